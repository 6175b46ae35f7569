import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Mutex } from "async-mutex";
import { Low } from "lowdb";
import { StateError } from "../core/errors.js";
import { DurableJsonFile, preserveFileDurably, writeFileDurably } from "./durable-json-file.js";
import { loadState } from "./load-state.js";
import { DEFAULT_PRUNE_POLICY, pruneRawOperations, pruneState, type PrunePolicy } from "./prune-state.js";
import { emptyState, STATE_VERSION, type State } from "./state.js";

export interface Store {
  readonly path: string;
  /** A snapshot for reading; do not mutate it. */
  read(): State;
  /**
   * Change the state and write it (tmp file, fsync, rename, fsync of the directory). Updates are
   * serialised, also across an `await` inside an async `fn`, so a read-modify-write inside `fn`
   * never loses a concurrent update. Do not call `update` from inside `fn` (it would wait on itself).
   */
  update<T>(fn: (state: State) => T | Promise<T>): Promise<T>;
}

export interface StoreOptions {
  /** For the last-good refresh interval; defaults to the wall clock. */
  clock?: () => Date;
  /** The last good copy is refreshed after a successful write at most this often (default 10 min). */
  lastGoodEveryMs?: number;
  /** Finished operations and decided approvals past these bounds are pruned (config `state:`). */
  prune?: PrunePolicy;
  /** Prune once every this many writes (default 100), and once at open. */
  pruneEveryWrites?: number;
}

const FILE = "state.json";
const BACKUP = "state.json.last-good";

/**
 * Open the state file in `dataDir`. A file that does not parse stops start-up: it is left in
 * place untouched, and the error says how to restore the last good copy. The last good copy is
 * taken at start and refreshed after successful writes, at most every `lastGoodEveryMs`, so a
 * restore loses at most that much history (a copy per write would double the write cost).
 */
export async function openStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  const clock = options.clock ?? (() => new Date());
  const lastGoodEveryMs = options.lastGoodEveryMs ?? 10 * 60_000;
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, FILE);
  const backupPath = join(dataDir, BACKUP);

  let exists = true;
  try {
    await stat(path);
  } catch {
    exists = false;
  }
  const policy = options.prune ?? DEFAULT_PRUNE_POLICY;
  let loaded: State = emptyState();
  let migratedFrom: number | undefined;
  let prunedAtOpen = 0;
  if (exists) {
    const text = await readFile(path, "utf8");
    let raw: unknown;
    try {
      raw = JSON.parse(text);
      if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error("not an opsdeck state file");
    } catch (err) {
      const hasBackup = await stat(backupPath).then(() => true, () => false);
      throw new StateError(
        `state file ${path} is corrupt or truncated (${(err as Error).message}); opsdeck did not start and changed nothing.\n` +
          (hasBackup
            ? `Restore the last good copy with:\n  mv ${path} ${path}.corrupt && cp ${backupPath} ${path}\nthen start opsdeck again.`
            : `No last good copy exists. Move it aside to start with empty state:\n  mv ${path} ${path}.corrupt`),
      );
    }
    // Refuses a newer version or a collection of the wrong shape before anything is written.
    // Finished history past the policy is dropped first, so it is not validated only to be pruned.
    const result = loadState(raw, path, (migrated) => {
      prunedAtOpen = pruneRawOperations(migrated, policy, clock());
    });
    loaded = result.state;
    if (result.from !== STATE_VERSION) {
      // Keep the file as the older version wrote it, so going back to that release stays possible.
      migratedFrom = result.from;
      await preserveFileDurably(path, `${path}.v${result.from}`);
    }
    // The file parsed: keep it as the last good copy before anything writes.
    await preserveFileDurably(path, backupPath);
  }
  // Without a last good copy yet, the first successful update makes one.
  let lastGoodAt = exists ? clock().getTime() : Number.NEGATIVE_INFINITY;

  const db = new Low<State>(new DurableJsonFile<State>(path), loaded);
  const pruneEvery = options.pruneEveryWrites ?? 100;
  let writesSincePrune = 0;
  const pruned = pruneState(db.data, policy, clock()) + prunedAtOpen > 0;
  if (!exists || migratedFrom !== undefined || pruned) await db.write();

  const mutex = new Mutex();
  return {
    path,
    read: () => db.data,
    update: (fn) =>
      mutex.runExclusive(async () => {
        const result = await fn(db.data);
        // Pruning in batches: one pass over the journal every `pruneEvery` writes, not per write.
        if (++writesSincePrune >= pruneEvery) {
          writesSincePrune = 0;
          pruneState(db.data, policy, clock());
        }
        await db.write();
        const now = clock().getTime();
        if (now - lastGoodAt >= lastGoodEveryMs) {
          // The write above succeeded, so this is a good copy; a failure here must not fail the update.
          await writeFileDurably(backupPath, JSON.stringify(db.data)).then(
            () => (lastGoodAt = now),
            () => {},
          );
        }
        return result;
      }),
  };
}
