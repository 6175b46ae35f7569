import { mkdir, readFile, writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { StateError } from "../core/errors.js";

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * One bot process per data directory: two writers on one lowdb file lose updates.
 * The lock is a directory created atomically by proper-lockfile and refreshed while we run;
 * a lock left by a killed process goes stale after `staleMs` and is taken over.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function lockDataDir(dataDir: string, staleMs = 10_000): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const pidFile = join(dataDir, "opsdeck.pid");
  const lockPath = join(dataDir, ".opsdeck.lock");
  // A holder that was killed (SIGKILL, crash) leaves its lock behind until it goes stale; when the
  // pid it recorded no longer runs on this machine, take the lock over at once.
  const recorded = Number.parseInt((await readFile(pidFile, "utf8").catch(() => "")).trim(), 10);
  if (Number.isInteger(recorded) && recorded > 0 && recorded !== process.pid && !isAlive(recorded)) {
    await rm(lockPath, { recursive: true, force: true });
  }
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, {
      lockfilePath: lockPath,
      stale: staleMs,
      update: Math.floor(staleMs / 3),
      realpath: false,
      onCompromised: (err) => {
        // Another process took our lock: continuing would risk lost updates.
        process.stderr.write(`opsdeck: lost the data directory lock (${err.message}); exiting\n`);
        process.exit(70);
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
      const holder = (await readFile(pidFile, "utf8").catch(() => "")).trim();
      throw new StateError(
        `data directory ${dataDir} is in use by another opsdeck process${holder ? ` (pid ${holder})` : ""}; ` +
          `stop it first, or start this one with another data_dir`,
      );
    }
    throw err;
  }
  await writeFile(pidFile, `${process.pid}\n`);
  return {
    async release() {
      await rm(pidFile, { force: true });
      await release();
    },
  };
}
