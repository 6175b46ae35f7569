import { CONFIG_NAME } from "../../config/common-schemas.js";
import type { HostShell } from "../adapters/host-shell.js";
import { acquireHostLock as acquire, type HostLock } from "../host-lock.js";

export type { HostLock };

/** Where env locks live by default: a directory of the deploy user, created mode 700 (not `/tmp`). */
export const DEFAULT_LOCK_DIR = "~/.opsdeck-locks";

/** The lock file for an environment on its host; deploys and seeds of that env share it. */
export function hostLockPath(env: string, dir = DEFAULT_LOCK_DIR): string {
  if (!CONFIG_NAME.test(env)) throw new Error(`invalid environment name for a lock file: ${env}`);
  return `${dir.replace(/\/+$/, "")}/opsdeck-env-${env}.lock`;
}

/** The seed's hold on the environment's lock file (see ../host-lock.ts), at most `maxMs`. */
export function acquireHostLock(host: HostShell, path: string, what: string, maxMs: number): Promise<HostLock> {
  return acquire(host, path, {
    leaseSeconds: maxMs / 1000,
    what,
    privateDir: true,
    busy: { message: `${host.name}: ${path} is locked by another process (a deploy or seed of the same environment)`, nextStep: `Wait for it to finish, or check on ${host.name} with: fuser ${path}` },
  });
}
