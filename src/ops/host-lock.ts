import { posix } from "node:path";
import { CONFIG_NAME } from "../config/common-schemas.js";
import type { Environment } from "../config/environments-config.js";
import { OpsError } from "../core/errors.js";
import type { HostShell } from "./adapters/host-shell.js";
import { holderRelease, startLockHolder } from "./lock-holder.js";

/** Where env locks live by default: a directory of the deploy user, created mode 700 (not `/tmp`). */
export const DEFAULT_LOCK_DIR = "~/.opsdeck-locks";

/** `<dir>/opsdeck-env-<env>.lock`: the lock file of an environment on its host; deploys and seeds of that env share it. */
export function hostLockPath(env: string, dir = DEFAULT_LOCK_DIR): string {
  if (!CONFIG_NAME.test(env)) throw new Error(`invalid environment name for a lock file: ${env}`);
  return `${dir.replace(/\/+$/, "")}/opsdeck-env-${env}.lock`;
}

/**
 * `<lock_dir>/opsdeck-env-<env>.lock`, the same file seeds of the environment take: take it with
 * `flock` by hand to keep the bot out while you work.
 */
export function lockFileOf(envName: string, env: Environment): string {
  return hostLockPath(envName, env.lock_dir);
}

/** The deploy's refusal when another process holds the environment's lock file on `host`. */
export function deployLockBusy(host: string, lockFile: string): { message: string; nextStep: string } {
  return { message: `another deploy holds the lock ${lockFile} on ${host}`, nextStep: "Wait for it to finish (a person may hold it with flock by hand), then try again." };
}

export interface HostLock {
  /** Kill the holder on the host; resolves once `flock` has exited (or after a grace period). */
  release(): Promise<void>;
}

export interface HostLockOptions {
  /** The longest the lock is held, in ms (rounded up to whole seconds); the holder exits by itself after it (last resort). */
  leaseMs: number;
  /** How long to wait for the holder to report it holds the lock. */
  startTimeoutMs?: number;
  /**
   * The refusal when another process holds the lock. Default: "<host>: <path> is locked by another
   * process", with `fuser <path>` as the next step.
   */
  busy?: { message: string; nextStep: string };
  /** What the lock is for, in other error messages ("a deploy of prod"). */
  what: string;
  /**
   * Create the lock's directory (mode 700) when missing and refuse one every user can write:
   * there, anyone on the host could create and hold the lock file first (as in `/tmp`).
   */
  privateDir?: boolean;
}

/** Exit code of the directory check for a world-writable directory. */
const SHARED_DIR_EXIT = 76;
const ENSURE_DIR = `umask 077; mkdir -p -- "$1" || exit 1; [ -z "$(find "$1" -maxdepth 0 -perm -0002)" ] || exit ${SHARED_DIR_EXIT}`;

/** `~/x/y.lock` → run in the home directory on `x/y.lock` (flock does not expand `~`). */
function inHome(lockPath: string): { cwd?: string; path: string } {
  return lockPath.startsWith("~/") ? { cwd: "~", path: lockPath.slice(2) } : { path: lockPath };
}

async function ensurePrivateDir(host: HostShell, lockPath: string, what: string): Promise<void> {
  const { cwd, path } = inHome(lockPath);
  const dir = posix.dirname(path);
  const r = await host.exec(["sh", "-c", ENSURE_DIR, "opsdeck-lock-dir", dir], { allowFailure: true, timeoutMs: 30_000, ...(cwd ? { cwd } : {}) });
  const shown = posix.dirname(lockPath);
  if (r.code === SHARED_DIR_EXIT) {
    throw new OpsError("config", `${host.name}: the lock directory ${shown} for ${what} is writable by every user, so anyone on the host could hold the lock`, "Set lock_dir to a directory only the deploy user can write (the default ~/.opsdeck-locks is created with mode 700), or remove its write bit for others (chmod o-w).");
  }
  if (r.code !== 0) {
    throw new OpsError("remote_failed", `${host.name}: cannot create the lock directory ${shown} for ${what} (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`, "Check lock_dir is a directory the deploy user can create and write.");
  }
}

/** Exit code `flock -n` reports when the lock is taken (our choice, via `-E`). */
const BUSY_EXIT = 75;
const MARK = "opsdeck-lock-held";
/**
 * The holder loop, a fixed string (only the lease is an argument): print its pid, then one `.` a
 * second. `flock -o` keeps the lock on flock's own descriptor only, so the lock ends with the loop.
 * The loop ends when we `kill` it, when the bot dies or its SSH connection drops (the next `.` hits
 * a closed pipe), or after the lease — so a crash never leaves a lock behind for more than ~1 s.
 * `sleep` gets /dev/null for its output: killed, the loop's shell leaves its `sleep` running for
 * up to a second, and one holding the command's stdout would keep the SSH channel (and `release`)
 * open that long after flock has already let go.
 */
const HOLDER = `echo "${MARK} $$"; i=0; while [ "$i" -lt "$1" ]; do sleep 1 >/dev/null 2>&1; echo . || exit 0; i=$((i+1)); done`;

/**
 * Hold `flock -n` on `lockPath` on the host while an operation runs, so a second bot or a person
 * running `flock <lockPath> …` by hand cannot race it. Another holder → `OpsError("busy")` at once.
 * Works through `HostShell.exec` alone (local or SSH): one long-running command, released by a
 * second `kill` command.
 */
export async function acquireHostLock(host: HostShell, lockPath: string, options: HostLockOptions): Promise<HostLock> {
  const lease = Math.max(1, Math.ceil(options.leaseMs / 1000));
  if (options.privateDir) await ensurePrivateDir(host, lockPath, options.what);
  const where = inHome(lockPath);
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const first = await startLockHolder(host, ["flock", "-n", "-o", "-E", String(BUSY_EXIT), where.path, "sh", "-c", HOLDER, "opsdeck-lock", String(lease)], {
    mark: MARK, leaseSeconds: lease, startTimeoutMs, ...(where.cwd ? { cwd: where.cwd } : {}),
  });

  if ("timedOut" in first) {
    throw new OpsError("timeout", `taking the lock ${lockPath} on ${host.name} for ${options.what} did not answer within ${startTimeoutMs / 1000} s`, "Check the host is reachable and not overloaded, then try again.");
  }
  if ("ended" in first) {
    const r = first.ended;
    if (r instanceof Error) {
      throw new OpsError("remote_failed", `could not take the lock ${lockPath} on ${host.name} for ${options.what}: ${r.message}`, "Check the host is reachable, then try again.", { cause: r });
    }
    if (r.code === BUSY_EXIT) {
      const busy = options.busy ?? { message: `${host.name}: ${lockPath} is locked by another process`, nextStep: `Wait for it to finish, or check on ${host.name} with: fuser ${lockPath}` };
      throw new OpsError("busy", busy.message, busy.nextStep);
    }
    if (r.code === 127 || /flock: (command )?not found/.test(r.stderr)) {
      throw new OpsError("remote_failed", `flock is not available on ${host.name}`, "Install util-linux on the host (it provides flock), then try again.");
    }
    throw new OpsError("remote_failed", `could not take the lock ${lockPath} on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`, "Check that flock (util-linux) is installed on the host and the lock directory exists and is writable.");
  }

  return { release: holderRelease(host, first.pid, first.holder) };
}
