import { copyFile, mkdir, readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { Mutex } from "async-mutex";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { StateError } from "../core/errors.js";
import { emptyState, type State } from "./state.js";

export interface Store {
  readonly path: string;
  /** A snapshot for reading; do not mutate it. */
  read(): State;
  /**
   * Change the state and write it (atomic rename). Updates are serialised, so a read-modify-write
   * inside `fn` never loses a concurrent update.
   */
  update<T>(fn: (state: State) => T): Promise<T>;
}

const FILE = "state.json";
const BACKUP = "state.json.last-good";

/**
 * Open the state file in `dataDir`. A file that does not parse stops start-up: it is left in
 * place untouched, and the error says how to restore the last good copy.
 */
export async function openStore(dataDir: string): Promise<Store> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, FILE);
  const backupPath = join(dataDir, BACKUP);

  let exists = true;
  try {
    await stat(path);
  } catch {
    exists = false;
  }
  if (exists) {
    const text = await readFile(path, "utf8");
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== "object" || !Array.isArray((parsed as State).previews)) throw new Error("not an opsdeck state file");
    } catch (err) {
      const hasBackup = await stat(backupPath).then(() => true, () => false);
      throw new StateError(
        `state file ${path} is corrupt or truncated (${(err as Error).message}); opsdeck did not start and changed nothing.\n` +
          (hasBackup
            ? `Restore the last good copy with:\n  mv ${path} ${path}.corrupt && cp ${backupPath} ${path}\nthen start opsdeck again.`
            : `No last good copy exists. Move it aside to start with empty state:\n  mv ${path} ${path}.corrupt`),
      );
    }
    // The file parsed: keep it as the last good copy before anything writes.
    await copyFile(path, `${backupPath}.tmp`);
    await rename(`${backupPath}.tmp`, backupPath);
  }

  const db = new Low<State>(new JSONFile<State>(path), emptyState());
  await db.read();
  const defaults = emptyState();
  db.data = { ...defaults, ...db.data };
  if (!exists) await db.write();

  const mutex = new Mutex();
  return {
    path,
    read: () => db.data,
    update: (fn) =>
      mutex.runExclusive(async () => {
        const result = fn(db.data);
        await db.write();
        return result;
      }),
  };
}
