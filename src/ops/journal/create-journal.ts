import { randomBytes } from "node:crypto";
import type { OperationRecord, State } from "../../store/state.js";
import type { Store } from "../../store/store.js";
import { interruptedNotice, type InterruptedNotice } from "./interrupted-notice.js";

/** How a finished `run` is recorded: its status and a one-line summary. */
export interface JournalOutcome {
  status: "succeeded" | "failed";
  summary: string;
}

export interface RunOptions<T> {
  /** The entry's summary while it runs (e.g. `deploy sha-abc`). */
  summary?: string;
  /** Turn a result into the entry's outcome; default `succeeded` with an empty summary. */
  outcome?: (result: T) => JournalOutcome;
}

export interface Journal {
  /**
   * Run `fn` as one journaled operation: `running` is written before `fn` starts (before any side
   * effect), `succeeded` / `failed` after; a throw is recorded as `failed` and re-thrown.
   */
  run<T>(kind: string, target: string, actor: string, fn: (id: string) => Promise<T>, options?: RunOptions<T>): Promise<T>;
  /** For operations that span several functions (a preview deploy): write `running`, return the id. */
  begin(kind: string, target: string, actor: string, summary?: string): Promise<string>;
  finish(id: string, status: "succeeded" | "failed", summary: string): Promise<void>;
  /** `begin` for many operations in one state write (the TTL sweep); ids in the order given. */
  beginMany(entries: ReadonlyArray<{ kind: string; target: string; actor: string }>, alsoChange?: (s: State) => void): Promise<string[]>;
  /** `finish` for many operations in one state write (with `alsoChange` in the same write). */
  finishMany(entries: ReadonlyArray<{ id: string; status: "succeeded" | "failed"; summary: string }>, alsoChange?: (s: State) => void): Promise<void>;
  /**
   * At start-up: every `running` entry (matching `filter`) was cut off by a crash or restart and
   * becomes `interrupted`; nothing is re-run. Returns the entries changed by this call.
   */
  reconcileAtStart(filter?: (op: OperationRecord) => boolean): Promise<OperationRecord[]>;
  /**
   * Post each `interrupted` entry not reported yet (matching `filter`) and mark it reported; an
   * entry whose post failed is tried again at the next start. Returns how many were posted.
   */
  reportInterrupted(notify: (notice: InterruptedNotice) => Promise<void>, filter?: (op: OperationRecord) => boolean): Promise<number>;
}

export interface JournalOptions {
  store: Store;
  /** Applied to every summary before it is stored. */
  redact?: (text: string) => string;
  clock?: () => Date;
}

const MAX_SUMMARY = 500;

/** The one id format of the journal: sortable time (base 36) plus 6 random hex digits. */
export function newOperationId(now: Date): string {
  return `${now.getTime().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/**
 * The operations journal (`state.operations`): one record per operation, one id format, one
 * start-up reconciliation. It holds no state of its own, so every op may build it over the store.
 */
export function createJournal(options: JournalOptions): Journal {
  const { store } = options;
  const clock = options.clock ?? (() => new Date());
  const clean = (s: string): string => (options.redact ? options.redact(s) : s).slice(0, MAX_SUMMARY);

  async function begin(kind: string, target: string, actor: string, summary?: string): Promise<string> {
    const now = clock();
    const id = newOperationId(now);
    const record: OperationRecord = { id, kind, target, actor, status: "running", startedAt: now.toISOString(), ...(summary ? { summary: clean(summary) } : {}) };
    await store.update((s) => {
      s.operations.push(record);
    });
    return id;
  }

  async function finish(id: string, status: "succeeded" | "failed", summary: string): Promise<void> {
    const endedAt = clock().toISOString();
    await store.update((s) => {
      const op = s.operations.find((o) => o.id === id);
      if (op) Object.assign(op, { status, endedAt, summary: clean(summary) });
    });
  }

  return {
    begin,
    finish,
    async beginMany(entries, alsoChange) {
      const now = clock();
      const records: OperationRecord[] = entries.map((e) => ({ id: newOperationId(now), kind: e.kind, target: e.target, actor: e.actor, status: "running", startedAt: now.toISOString() }));
      await store.update((s) => {
        s.operations.push(...records);
        alsoChange?.(s);
      });
      return records.map((r) => r.id);
    },
    async finishMany(entries, alsoChange) {
      const endedAt = clock().toISOString();
      const byId = new Map(entries.map((e) => [e.id, e]));
      await store.update((s) => {
        alsoChange?.(s);
        for (const op of s.operations) {
          const e = byId.get(op.id);
          if (e) Object.assign(op, { status: e.status, endedAt, summary: clean(e.summary) });
        }
      });
    },
    async run(kind, target, actor, fn, runOptions) {
      const id = await begin(kind, target, actor, runOptions?.summary);
      let result;
      try {
        result = await fn(id);
      } catch (err) {
        await finish(id, "failed", err instanceof Error ? err.message : String(err));
        throw err;
      }
      const outcome = runOptions?.outcome?.(result) ?? { status: "succeeded" as const, summary: runOptions?.summary ?? "" };
      await finish(id, outcome.status, outcome.summary);
      return result;
    },
    async reconcileAtStart(filter = () => true) {
      const now = clock().toISOString();
      return store.update((s) => {
        const cut = s.operations.filter((o) => o.status === "running" && filter(o));
        for (const o of cut) Object.assign(o, { status: "interrupted", endedAt: now, summary: clean(`${o.summary ?? o.kind}: interrupted by a restart`) });
        return cut.map((o) => ({ ...o }));
      });
    },
    async reportInterrupted(notify, filter = () => true) {
      const due = store.read().operations.filter((o) => o.status === "interrupted" && !o.reportedAt && filter(o));
      let posted = 0;
      for (const op of due) {
        try {
          await notify(interruptedNotice(op));
        } catch {
          continue;
        }
        const at = clock().toISOString();
        await store.update((s) => {
          const r = s.operations.find((o) => o.id === op.id);
          if (r) r.reportedAt = at;
        });
        posted++;
      }
      return posted;
    },
  };
}
