import { OpsError } from "../../core/errors.js";
import type { HostShell } from "../adapters/host-shell.js";

export interface HostLock {
  release(): Promise<void>;
}

/**
 * The holder: `flock -n -o` takes the lock (or exits 75 at once), then runs a small loop that
 * prints its pid, then writes one `.` a second. `-o` keeps the lock on flock's own descriptor
 * only, so the lock is gone the moment the loop ends. The loop ends when:
 * - we release: `kill <pid>`;
 * - the bot dies or the SSH connection drops: the next `.` hits a closed pipe (EPIPE/SIGPIPE);
 * - `maxSeconds` pass, as a last resort.
 * So a crashed bot never leaves a lock that outlives it by more than about a second, unlike a
 * plain `flock … sleep N` holder. The loop is a fixed string; only the lock path is an argument.
 */
const HOLDER = 'echo "locked $$"; i=0; while [ "$i" -lt "$1" ]; do sleep 1; echo . || exit 0; i=$((i+1)); done';
const BUSY_EXIT = 75;
const ACQUIRE_TIMEOUT_MS = 20_000;

/**
 * Take `flock -n` on `lockPath` on the host for as long as the returned lock is held.
 * A lock held by another process (a second bot, a human's script) → `OpsError("busy")` at once.
 */
export async function acquireHostLock(host: HostShell, lockPath: string, maxSeconds: number, what: string): Promise<HostLock> {
  let sawPid: ((pid: string) => void) | undefined;
  const pidSeen = new Promise<string>((resolve) => (sawPid = resolve));
  let out = "";
  const running = host.exec(["flock", "-n", "-o", "-E", String(BUSY_EXIT), lockPath, "sh", "-c", HOLDER, "opsdeck-lock", String(Math.ceil(maxSeconds))], {
    allowFailure: true,
    timeoutMs: (Math.ceil(maxSeconds) + 30) * 1000,
    onStdout: (chunk) => {
      if (out.length > 200) return;
      out += chunk;
      const m = /locked (\d+)/.exec(out);
      if (m?.[1]) sawPid?.(m[1]);
    },
  });
  const ended = running.then(
    (r) => ({ kind: "ended" as const, code: r.code, stderr: r.stderr, stdout: r.stdout }),
    (err: unknown) => ({ kind: "error" as const, err }),
  );
  let timer: NodeJS.Timeout | undefined;
  const tooSlow = new Promise<{ kind: "slow" }>((resolve) => (timer = setTimeout(() => resolve({ kind: "slow" }), ACQUIRE_TIMEOUT_MS)));
  const first = await Promise.race([pidSeen.then((pid) => ({ kind: "locked" as const, pid })), ended, tooSlow]);
  clearTimeout(timer);
  if (first.kind === "slow") {
    throw new OpsError("timeout", `taking the lock ${lockPath} on host ${host.name} did not answer within ${ACQUIRE_TIMEOUT_MS / 1000}s`, "Check that the host is reachable and not overloaded, then try again.");
  }
  if (first.kind === "locked") {
    const pid = first.pid;
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        await host.exec(["kill", pid], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
        await Promise.race([ended, new Promise((r) => setTimeout(r, 5_000))]);
      },
    };
  }
  if (first.kind === "ended") {
    // The holder may have printed its pid in the same chunk as it exited (a very short max).
    if (first.code === BUSY_EXIT) {
      throw new OpsError("busy", `${what} is locked on host ${host.name} by another process (${lockPath})`, "Another opsdeck or a script is working on it; try again in a minute.");
    }
    throw new OpsError("remote_failed", `could not take the lock ${lockPath} on host ${host.name} (exit ${first.code}): ${first.stderr.trim().slice(0, 200)}`, "Check that flock (util-linux) is installed on the host and the directory is writable.");
  }
  throw new OpsError("remote_failed", `could not take the lock ${lockPath} on host ${host.name}: ${(first.err as Error).message}`, "Check that the host is reachable.", { cause: first.err });
}
