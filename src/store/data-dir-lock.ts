import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StateError } from "../core/errors.js";

export interface DataDirLock {
  release(): Promise<void>;
}

/** The lock file; it holds the pid of the process that holds the directory. */
const LOCK_FILE = "opsdeck.pid";
/** Taken while a stale lock is removed, so two processes never both remove and re-create it. */
const TAKEOVER_FILE = "opsdeck.pid.takeover";
/** A takeover file older than this was left by a process killed in the middle of a takeover. */
const TAKEOVER_STALE_MS = 10_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Create `path` holding `content`, atomically: it either appears complete or not at all (EEXIST). */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, content, { flag: "wx", mode: 0o600 });
  try {
    await link(temp, path); // fails with EEXIST when another process holds it
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function readPid(path: string): Promise<number | null> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Remove the lock of a dead holder, under the takeover file so that of several processes racing
 * for a stale lock only one removes it, and only while it still names that dead pid (a second
 * process must never remove the lock the first one just took).
 */
async function removeStaleLock(dataDir: string, deadPid: number): Promise<void> {
  const takeover = join(dataDir, TAKEOVER_FILE);
  if (!(await createExclusive(takeover, `${process.pid}\n`))) {
    const age = await stat(takeover).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > TAKEOVER_STALE_MS) await rm(takeover, { force: true });
    return; // someone else is taking over; the caller retries
  }
  try {
    const lockPath = join(dataDir, LOCK_FILE);
    if ((await readPid(lockPath)) === deadPid) await rm(lockPath, { force: true });
  } finally {
    await rm(takeover, { force: true });
  }
}

/**
 * One bot process per data directory: two writers on one lowdb file lose updates. The lock is
 * `opsdeck.pid`, created atomically (written to a temp file, then hard-linked into place, which
 * fails when it exists) and removed on release. A lock whose pid no longer runs on this machine
 * (a holder killed by SIGKILL or a crash) is taken over at once.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = join(dataDir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await createExclusive(lockPath, mine)) {
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          if ((await readPid(lockPath)) === process.pid) await rm(lockPath, { force: true });
        },
      };
    }
    const holder = await readPid(lockPath);
    if (holder !== null && holder !== process.pid && isAlive(holder)) {
      throw new StateError(`data directory ${dataDir} is in use by another opsdeck process (pid ${holder}); stop it first, or start this one with another data_dir`);
    }
    if (holder === process.pid) {
      throw new StateError(`data directory ${dataDir} is already locked by this process (pid ${holder}); release the first lock before taking it again`);
    }
    // The holder is gone (or the file vanished or is unreadable): take it over, then try again.
    if (holder !== null) await removeStaleLock(dataDir, holder);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
  }
  throw new StateError(`could not take the lock ${lockPath}: it keeps changing hands; check no other opsdeck is starting on ${dataDir}, or remove the file if no opsdeck runs`);
}
