import { OpsError } from "../../core/errors.js";
import type { ExecResult, HostShell } from "../adapters/host-shell.js";

/** The lock file for an environment on its host; deploys and seeds of that env share it. */
export function hostLockPath(env: string, dir = "/tmp"): string {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(env)) throw new Error(`invalid environment name for a lock file: ${env}`);
  return `${dir.replace(/\/+$/, "")}/opsdeck-env-${env}.lock`;
}

export interface HostLock {
  release(): Promise<void>;
}

const BUSY_EXIT = 75;
/**
 * Held by `flock -o` around a tiny shell loop: `-o` keeps the lock on flock's own descriptor only,
 * so it is released the moment the loop ends. The loop writes a byte every second; when the bot
 * dies or its SSH connection drops, that write fails (SIGPIPE) and the lock goes with it, so a
 * crash never leaves the environment locked.
 */
const HOLDER_SCRIPT = 'echo "opsdeck-lock $$"; while sleep 1; do echo . || exit 0; done';

/**
 * Take `flock` on `path` on the host without waiting, for as long as the returned lock is held
 * (at most `maxMs`). Refuses with `OpsError("busy")` when another process holds it.
 */
export async function acquireHostLock(host: HostShell, path: string, what: string, maxMs: number): Promise<HostLock> {
  let output = "";
  let onLocked: ((pid: string) => void) | undefined;
  const locked = new Promise<string>((resolve) => {
    onLocked = resolve;
  });
  const holder: Promise<ExecResult | Error> = host
    .exec(["flock", "-n", "-o", "-E", String(BUSY_EXIT), path, "sh", "-c", HOLDER_SCRIPT], {
      allowFailure: true,
      timeoutMs: maxMs,
      onStdout: (chunk) => {
        output += chunk;
        const m = /opsdeck-lock (\d+)/.exec(output);
        if (m?.[1]) onLocked?.(m[1]);
      },
    })
    .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

  const first = await Promise.race([locked, holder]);
  if (typeof first !== "string") {
    if (!(first instanceof Error) && first.code === BUSY_EXIT) {
      throw new OpsError("busy", `${host.name}: ${path} is locked by another process (a deploy or seed of the same environment)`, `Wait for it to finish, or check on ${host.name} with: fuser ${path}`);
    }
    const why = first instanceof Error ? first.message : `flock exited with code ${first.code}: ${first.stderr.trim().slice(0, 200)}`;
    throw new OpsError("remote_failed", `${host.name}: could not take the lock ${path} for ${what}: ${why}`, "Check that flock (util-linux) is installed on the host and the lock directory is writable.");
  }
  const pid = first;
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await host.exec(["kill", pid], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
      await holder;
    },
  };
}
