import type { HostShell } from "../adapters/host-shell.js";
import { acquireHostLock as acquire, type HostLock } from "../host-lock.js";

export type { HostLock };

/** The per-preview lock on the preview host (see ../host-lock.ts). */
export function acquireHostLock(host: HostShell, lockPath: string, maxSeconds: number, what: string): Promise<HostLock> {
  return acquire(host, lockPath, {
    leaseSeconds: maxSeconds,
    startTimeoutMs: 20_000,
    what,
    busy: { message: `${what} is locked on host ${host.name} by another process (${lockPath})`, nextStep: "Another opsdeck or a script is working on it; try again in a minute." },
  });
}
