import { OpsError } from "../../core/errors.js";
import type { HostShell } from "../adapters/host-shell.js";
import { holderRelease, startLockHolder } from "../lock-holder.js";
import { existingDirs } from "./preview-exists.js";

/** Many preview locks held at once through one SSH session (the TTL sweep). */
export interface HeldLocks {
  /** The lock files now held (the same `flock` files `/preview destroy` takes one by one). */
  held: string[];
  /** Lock files another process holds: those previews are left for the next sweep. */
  busy: string[];
  /** Of the held locks' directories, those that exist on the host (seen while the locks were held). */
  dirs: Set<string>;
  /** Kill the holder on the host; every lock ends with it. */
  release(): Promise<void>;
}

/** One preview's lock file and the directory it guards. */
export interface SweepLock {
  lockFile: string;
  dir: string;
}

const BUSY_EXIT = 75;
const NO_PERL_EXIT = 69;
const NO_BASE_EXIT = 73;
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
 * One process holding every lock (flock(2) on each file, the call `flock -n` makes, so it excludes
 * `/preview destroy` the same way): a busy file is named and skipped, the held previews' existing
 * directories are named, then the pid line and the heartbeat (a closed channel ends it at the next
 * `.`; SIGPIPE). Arguments: lease, n, n lock files, n directories. Output lines: `busy <i>`, `dir <i>`.
 */
const PERL_HOLDER = String.raw`use strict; use Fcntl qw(:flock); $| = 1;
my ($lease, $n) = splice(@ARGV, 0, 2); my @locks = splice(@ARGV, 0, $n); my @dirs = @ARGV; my (@fh, @held);
for my $i (0 .. $#locks) {
  open(my $h, ">>", $locks[$i]) or die "cannot open $locks[$i]: $!\n";
  if (flock($h, LOCK_EX | LOCK_NB)) { push @fh, $h; push @held, $i } elsif ($!{EWOULDBLOCK}) { print "busy $i\n" } else { die "cannot lock $locks[$i]: $!\n" }
}
for my $i (@held) { print "dir $i\n" if -d $dirs[$i] }
print "${MARK} $$\n";
for (1 .. $lease) { sleep 1; print ".\n" or exit 0 }`;
/** The base directory first (the lock files live there), then the one-process holder when the host has perl. */
const WRAP = `mkdir -p -- "$1" || exit ${NO_BASE_EXIT}; command -v perl >/dev/null 2>&1 || exit ${NO_PERL_EXIT}; s=$2; shift 2; exec perl -e "$s" -- "$@"`;

function unreachable(host: HostShell, r: Error): OpsError {
  return new OpsError("remote_failed", `could not take the preview locks on ${host.name}: ${r.message}`, "Check the host is reachable; the next sweep tries again.", { cause: r });
}

/**
 * Take `flock -n` on every lock file in ONE SSH session, after creating `baseDir` (where they
 * live): with perl on the host, one process locks them all and also names the held previews'
 * existing directories (one round trip for the base dir, the locks and the directory check).
 * Without perl, the flock chain (`holdLocksByChain`), then one more command for the directories.
 */
export async function holdLocks(host: HostShell, baseDir: string, locks: readonly SweepLock[], leaseSeconds: number): Promise<HeldLocks> {
  const lease = Math.max(1, Math.ceil(leaseSeconds));
  if (locks.length === 0) {
    await host.exec(["mkdir", "-p", "--", baseDir]);
    return { held: [], busy: [], dirs: new Set(), release: async () => {} };
  }
  const argv = ["sh", "-c", WRAP, "opsdeck-locks", baseDir, PERL_HOLDER, String(lease), String(locks.length), ...locks.map((l) => l.lockFile), ...locks.map((l) => l.dir)];
  const started = await startLockHolder(host, argv, { mark: MARK, leaseSeconds: lease });
  if ("pid" in started) {
    const busy = new Set<number>();
    const dirs = new Set<string>();
    for (const line of started.out().split("\n")) {
      const m = /^(busy|dir) (\d+)$/.exec(line);
      const lock = m ? locks[Number(m[2])] : undefined;
      if (!m || !lock) continue;
      if (m[1] === "busy") busy.add(Number(m[2]));
      else dirs.add(lock.dir);
    }
    return { held: locks.filter((_, i) => !busy.has(i)).map((l) => l.lockFile), busy: [...busy].map((i) => (locks[i] as SweepLock).lockFile), dirs, release: holderRelease(host, started.pid, started.holder) };
  }
  const r = started.ended;
  if (r instanceof Error) throw unreachable(host, r);
  if (r.code === NO_BASE_EXIT) throw new OpsError("remote_failed", `could not create the preview directory ${baseDir} on ${host.name}: ${r.stderr.trim().slice(0, 200)}`, "Check that the preview base directory is writable by the SSH user.");
  if (r.code !== NO_PERL_EXIT) throw new OpsError("remote_failed", `could not take the preview locks on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`, "Check that the preview directory is writable and the lock files are regular files.");
  const chain = await holdLocksByChain(host, locks.map((l) => l.lockFile), lease);
  const byLock = new Map(locks.map((l) => [l.lockFile, l.dir]));
  return { ...chain, dirs: await existingDirs(host, chain.held.map((f) => byLock.get(f) as string)) };
}

/**
 * Take `flock -n` on every lock file as ONE chain of flock processes (`flock -o a flock -o b … sh
 * -c heartbeat`) over one SSH session instead of one session per lock: each flock holds its own
 * file, and killing the heartbeat unwinds the chain and frees them all. A file held by another
 * process (a person's `flock`, another bot, a `/preview destroy`) breaks the chain at once; the
 * held files are found and left out, and the chain is tried again without them.
 */
export async function holdLocksByChain(host: HostShell, lockFiles: readonly string[], lease: number): Promise<Omit<HeldLocks, "dirs">> {
  const busy = new Set<string>();
  for (let attempt = 0; attempt < 4; attempt++) {
    const want = lockFiles.filter((f) => !busy.has(f));
    if (want.length === 0) return { held: [], busy: [...busy], release: async () => {} };
    const chain = want.flatMap((f) => ["flock", "-n", "-o", "-E", String(BUSY_EXIT), f]);
    const started = await startLockHolder(host, [...chain, "sh", "-c", HEARTBEAT, "opsdeck-locks", String(lease)], { mark: MARK, leaseSeconds: lease });
    if ("pid" in started) return { held: want, busy: [...busy], release: holderRelease(host, started.pid, started.holder) };
    const r = started.ended;
    if (r instanceof Error) throw unreachable(host, r);
    if (r.code !== BUSY_EXIT) throw new OpsError("remote_failed", `could not take the preview locks on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`, "Check that flock (util-linux) is installed on the host and the preview directory is writable.");
    const found = await host.exec(["sh", "-c", WHICH_BUSY, "opsdeck-which-busy", ...want]);
    for (const line of found.stdout.split("\n")) if (want.includes(line)) busy.add(line);
  }
  throw new OpsError("busy", `the preview locks on ${host.name} kept changing hands while the sweep took them`, "The next sweep tries again.");
}
