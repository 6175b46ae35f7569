import type { Notifier } from "../core/notifier.js";
import type { Journal } from "../ops/journal/create-journal.js";
import type { Store } from "../store/store.js";
import { getJobRuns, putJobRun } from "./job-state.js";

/**
 * Runs a previous process left `running`: the journal's one start-up pass marks their entries
 * `interrupted` (a run recorded before runs were journaled gets an entry first), the run records
 * follow, and each is reported once. In the app the pass already ran at start-up, so this finds
 * nothing left to report.
 */
export async function reconcileJobRuns(deps: { store: Store; journal: Journal; notifier: Notifier; clock: () => Date }): Promise<void> {
  const { store, journal, notifier, clock } = deps;
  const stale = getJobRuns(store.read()).filter((r) => r.result === "running");
  if (stale.length > 0) {
    await store.update((s) => {
      for (const r of stale) {
        if (!s.operations.some((o) => o.id === r.id)) s.operations.push({ id: r.id, kind: "job", target: r.name, actor: r.trigger, status: "running", startedAt: r.start });
      }
    });
    await journal.reconcileAtStart((o) => o.kind === "job");
    const end = clock().toISOString();
    await store.update((s) => {
      for (const r of stale) putJobRun(s, { ...r, result: "interrupted", end, summary: "interrupted by a restart" });
    });
  }
  await journal.reportInterrupted((notice) => notifier.notify(notice), (o) => o.kind === "job");
}
