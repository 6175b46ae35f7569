import { OpsError } from "../../core/errors.js";
import type { ExecResult, HostShell } from "../adapters/host-shell.js";

/** Many preview locks held at once through one SSH session (the TTL sweep). */
export interface HeldLocks {
  /** The lock files now held (the same `flock` files `/preview destroy` takes one by one). */
  held: string[];
  /** Lock files another process holds: those previews are left for the next sweep. */
  busy: string[];
  /** Kill the holder chain on the host; every lock ends with it. */
  release(): Promise<void>;
}

const BUSY_EXIT = 75;
const MARK = "opsdeck-locks-held";
/**
 * The end of the chain (a fixed string, only the lease is an argument): print its pid, then one
 * `.` a second. `sleep` gets no stdout, so once the loop is killed nothing keeps the SSH channel
 * open; a dropped connection ends the loop at the next `.`, and the lease ends it at the latest.
 */
const HEARTBEAT = `echo "${MARK} $$"; i=0; while [ "$i" -lt "$1" ]; do sleep 1 </dev/null >/dev/null 2>&1; echo . || exit 0; i=$((i+1)); done`;
/** Prints each lock file of "$@" that another process holds right now. */
const WHICH_BUSY = `for p in "$@"; do flock -n -E ${BUSY_EXIT} "$p" true; [ $? -eq ${BUSY_EXIT} ] && echo "$p"; done; true`;

/**
 * Take `flock -n` on every lock file as ONE chain of flock processes (`flock -o a flock -o b … sh
 * -c heartbeat`) over one SSH session instead of one session per lock: each flock holds its own
 * file, and killing the heartbeat unwinds the chain and frees them all. A file held by another
 * process (a person's `flock`, another bot, a `/preview destroy`) breaks the chain at once; the
 * held files are found and left out, and the chain is tried again without them.
 */
export async function holdLocks(host: HostShell, lockFiles: readonly string[], leaseSeconds: number): Promise<HeldLocks> {
  const lease = Math.max(1, Math.ceil(leaseSeconds));
  const busy = new Set<string>();
  for (let attempt = 0; attempt < 4; attempt++) {
    const want = lockFiles.filter((f) => !busy.has(f));
    if (want.length === 0) return { held: [], busy: [...busy], release: async () => {} };
    const chain = want.flatMap((f) => ["flock", "-n", "-o", "-E", String(BUSY_EXIT), f]);
    let seen = "";
    let onPid: (pid: string) => void = () => undefined;
    const pid = new Promise<string>((resolve) => (onPid = resolve));
    const holder: Promise<ExecResult | Error> = host
      .exec([...chain, "sh", "-c", HEARTBEAT, "opsdeck-locks", String(lease)], {
        allowFailure: true,
        timeoutMs: (lease + 60) * 1000,
        onStdout: (chunk) => {
          if (seen.length > 200) return;
          seen += chunk;
          const m = new RegExp(`${MARK} (\\d+)`).exec(seen);
          if (m?.[1]) onPid(m[1]);
        },
      })
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    const first = await Promise.race([pid.then((p) => ({ pid: p })), holder.then((r) => ({ ended: r }))]);
    if ("pid" in first) {
      let released = false;
      return {
        held: want,
        busy: [...busy],
        async release() {
          if (released) return;
          released = true;
          await host.exec(["kill", first.pid], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
          let t: NodeJS.Timeout | undefined;
          await Promise.race([holder, new Promise((resolve) => (t = setTimeout(resolve, 15_000)))]);
          clearTimeout(t);
        },
      };
    }
    const r = first.ended;
    if (r instanceof Error) throw new OpsError("remote_failed", `could not take the preview locks on ${host.name}: ${r.message}`, "Check the host is reachable; the next sweep tries again.", { cause: r });
    if (r.code !== BUSY_EXIT) throw new OpsError("remote_failed", `could not take the preview locks on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`, "Check that flock (util-linux) is installed on the host and the preview directory is writable.");
    const found = await host.exec(["sh", "-c", WHICH_BUSY, "opsdeck-which-busy", ...want]);
    for (const line of found.stdout.split("\n")) if (want.includes(line)) busy.add(line);
  }
  throw new OpsError("busy", `the preview locks on ${host.name} kept changing hands while the sweep took them`, "The next sweep tries again.");
}
