import { randomBytes } from "node:crypto";
import type { OperationRecord } from "../../store/state.js";
import type { Store } from "../../store/store.js";

/**
 * Run `fn` as a journaled operation: the record is written as `running` before any side effect
 * and closed as `succeeded` or `failed`. A crash leaves it `running`, which start-up turns into
 * `interrupted` and reports; nothing here is re-run on its own.
 */
export async function journaled<T>(
  store: Store,
  entry: { kind: string; target: string; actor: string },
  clock: () => Date,
  fn: () => Promise<T>,
  summarize: (result: T) => string,
): Promise<T> {
  const id = `${entry.kind}-${clock().getTime().toString(36)}-${randomBytes(3).toString("hex")}`;
  await store.update((s) => {
    const record: OperationRecord = { id, kind: entry.kind, target: entry.target, actor: entry.actor, status: "running", startedAt: clock().toISOString() };
    s.operations.push(record);
  });
  const close = (status: "succeeded" | "failed", summary: string): Promise<void> =>
    store.update((s) => {
      const r = s.operations.find((o) => o.id === id);
      if (r) Object.assign(r, { status, endedAt: clock().toISOString(), summary });
    });
  try {
    const result = await fn();
    await close("succeeded", summarize(result));
    return result;
  } catch (err) {
    await close("failed", err instanceof Error ? err.message : String(err));
    throw err;
  }
}
