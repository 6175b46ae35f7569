import type { ExecResult, HostShell } from "./adapters/host-shell.js";

/** A holder command that printed its pid line (the locks are held), or one that ended (not held), or no answer in time. */
export type HolderStart =
  | { pid: string; holder: Promise<ExecResult | Error>; out: () => string }
  | { ended: ExecResult | Error }
  | { timedOut: true };

export interface HolderOptions {
  /** The holder prints `<mark> <pid>` once it holds its locks. */
  mark: string;
  leaseSeconds: number;
  cwd?: string;
  /** Give up on a holder that neither prints its pid line nor ends in this time (no limit without it). */
  startTimeoutMs?: number;
}

/**
 * Run a lock-holder command (flock's or the sweep's: one long-running command whose locks end with
 * it) until it prints its pid line or ends. `out()` is its output up to and including the pid line
 * (what it said before holding, e.g. which locks were busy); the heartbeat after it is not kept.
 */
export function startLockHolder(host: HostShell, argv: string[], options: HolderOptions & { startTimeoutMs: number }): Promise<HolderStart>;
export function startLockHolder(host: HostShell, argv: string[], options: Omit<HolderOptions, "startTimeoutMs">): Promise<Exclude<HolderStart, { timedOut: true }>>;
export async function startLockHolder(host: HostShell, argv: string[], options: HolderOptions): Promise<HolderStart> {
  const { mark } = options;
  let seen = "";
  let onPid: (pid: string) => void = () => undefined;
  const pid = new Promise<string>((resolve) => (onPid = resolve));
  const holder: Promise<ExecResult | Error> = host
    .exec(argv, {
      allowFailure: true,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      timeoutMs: (options.leaseSeconds + 60) * 1000,
      onStdout: (chunk) => {
        if (seen.includes(mark)) return;
        seen += chunk;
        const m = new RegExp(`${mark} (\\d+)`).exec(seen);
        if (m?.[1]) onPid(m[1]);
      },
    })
    .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  let timer: NodeJS.Timeout | undefined;
  const waits: Array<Promise<HolderStart>> = [pid.then((p) => ({ pid: p, holder, out: () => seen })), holder.then((r) => ({ ended: r }))];
  if (options.startTimeoutMs !== undefined) waits.push(new Promise((resolve) => (timer = setTimeout(() => resolve({ timedOut: true }), options.startTimeoutMs))));
  const first = await Promise.race(waits);
  clearTimeout(timer);
  return first;
}

/**
 * Release a started holder: `kill` its pid on the host (every lock ends with it), then wait, at most
 * 15 s, for its command to end. Calling it again does nothing.
 */
export function holderRelease(host: HostShell, pid: string, holder: Promise<unknown>): () => Promise<void> {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await host.exec(["kill", pid], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
    let t: NodeJS.Timeout | undefined;
    await Promise.race([holder, new Promise((resolve) => (t = setTimeout(resolve, 15_000)))]);
    clearTimeout(t);
  };
}
