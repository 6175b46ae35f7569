import { constants } from "node:fs";
import { copyFile, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Adapter } from "lowdb";

/**
 * Write `text` to `path` so that after a crash or power loss the file holds either the old or the
 * new content, never a torn one: write a temporary file in the same directory, fsync it, rename it
 * over `path`, then fsync the directory so the rename itself is on disk.
 */
export async function writeFileDurably(path: string, text: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await open(tmp, "w", mode);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

/**
 * Make `dest` hold the bytes `src` holds now, durably, without decoding or re-encoding them in JS:
 * `copyFile` (a reflink where the file system offers one, else the kernel's copy) to a temporary
 * name, fsync, rename over `dest`, fsync of the directory. A copy, not a hard link: a state file
 * damaged in place must not take its last good copy with it.
 */
export async function preserveFileDurably(src: string, dest: string): Promise<void> {
  const dir = dirname(dest);
  const tmp = join(dir, `.${basename(dest)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await copyFile(src, tmp, constants.COPYFILE_FICLONE);
    const fh = await open(tmp, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * lowdb adapter replacing `JSONFile`: compact JSON (no indentation, the file stays small and one
 * update costs less), written with {@link writeFileDurably}. Writes must be serialised by the caller
 * (the store's mutex does that); each write uses its own temporary file, so an overlap cannot
 * corrupt the file, only reorder which version wins.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  constructor(readonly path: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    await writeFileDurably(this.path, JSON.stringify(data));
  }
}
