import { OpsError } from "../../core/errors.js";
import type { ExecResult, HostShell } from "../adapters/host-shell.js";

export interface HostLock {
  /** Kill the lock holder on the host; resolves once `flock` has exited. */
  release(): Promise<void>;
}

const HELD = "opsdeck-lock-held";
/** Exit code `flock -n` uses when the lock is taken (our choice via `-E`). */
const BUSY_EXIT = 75;

/**
 * Hold `flock` on `lockFile` on the host for the length of an operation, so a second bot, a seed
 * of the same environment, or a person running `flock <lockFile> …` by hand cannot race us.
 *
 * How, with nothing but `HostShell.exec`: one long-running command
 * `flock -n -o -E 75 <lockFile> sh -c '<holder loop>'`. The loop prints its pid, then one `.` a
 * second. Once the pid arrives we hold the lock; `release()` runs `kill <pid>` in a second exec.
 * `-o` keeps the lock on flock's own descriptor, so it ends with the loop. If the bot dies or the
 * SSH connection drops, the next `.` hits a closed pipe and the loop exits, so a crash frees the
 * lock within about a second; `leaseSeconds` bounds it in any case.
 */
export async function acquireHostLock(host: HostShell, lockFile: string, leaseSeconds: number, startTimeoutMs = 30_000): Promise<HostLock> {
  let seen = "";
  let onPid: (pid: string) => void = () => undefined;
  const pid = new Promise<string>((resolve) => {
    onPid = resolve;
  });
  const loop = `echo "${HELD} $$"; i=0; while [ "$i" -lt "$1" ]; do sleep 1; echo . || exit 0; i=$((i+1)); done`;
  const argv = ["flock", "-n", "-o", "-E", String(BUSY_EXIT), lockFile, "sh", "-c", loop, "opsdeck-lock", String(Math.ceil(leaseSeconds))];
  const holder: Promise<ExecResult | Error> = host
    .exec(argv, {
      allowFailure: true,
      timeoutMs: (leaseSeconds + 60) * 1000,
      onStdout: (chunk) => {
        if (seen.length > 200) return; // only the first line matters; the rest is the heartbeat
        seen += chunk;
        const m = new RegExp(`${HELD} (\\d+)`).exec(seen);
        if (m?.[1]) onPid(m[1]);
      },
    })
    .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), startTimeoutMs);
  });
  const first = await Promise.race([pid.then((p) => ({ pid: p })), holder.then((r) => ({ ended: r })), timeout]);
  clearTimeout(timer);

  if (first === "timeout") {
    throw new OpsError("timeout", `could not take the deploy lock ${lockFile} on ${host.name} within ${startTimeoutMs / 1000} s`, "Check the host is reachable and responsive, then try again.");
  }
  if ("ended" in first) {
    const r = first.ended;
    if (r instanceof Error) throw new OpsError("remote_failed", `could not take the deploy lock on ${host.name}: ${r.message}`, "Check the host is reachable, then try again.", { cause: r });
    if (r.code === BUSY_EXIT) {
      throw new OpsError("busy", `another deploy holds the lock ${lockFile} on ${host.name}`, "Wait for it to finish (a person may hold it with flock by hand), then try again.");
    }
    if (r.code === 127 || /flock: (command )?not found|No such file/.test(r.stderr)) {
      throw new OpsError("remote_failed", `flock is not available on ${host.name}`, "Install util-linux on the host (it provides flock), then try again.");
    }
    throw new OpsError("remote_failed", `could not take the deploy lock ${lockFile} on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`, "Check the compose directory exists and is writable by the deploy user.");
  }

  const holderPid = first.pid;
  return {
    async release() {
      await host.exec(["kill", holderPid], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
      let t: NodeJS.Timeout | undefined;
      await Promise.race([holder, new Promise((resolve) => (t = setTimeout(resolve, 15_000)))]);
      clearTimeout(t);
    },
  };
}
