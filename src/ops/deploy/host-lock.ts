import type { HostShell } from "../adapters/host-shell.js";
import { acquireHostLock as acquire, type HostLock } from "../host-lock.js";

export type { HostLock };

/** The deploy lock: `flock` on the environment's lock file for the length of a deploy (see ../host-lock.ts). */
export function acquireHostLock(host: HostShell, lockFile: string, leaseSeconds: number, startTimeoutMs = 30_000): Promise<HostLock> {
  return acquire(host, lockFile, {
    leaseSeconds,
    startTimeoutMs,
    what: "a deploy",
    privateDir: true,
    busy: { message: `another deploy holds the lock ${lockFile} on ${host.name}`, nextStep: "Wait for it to finish (a person may hold it with flock by hand), then try again." },
  });
}
