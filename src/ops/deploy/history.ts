import type { DeploymentRecord } from "../../store/collections/deployments.js";
import type { State } from "../../store/state.js";
import type { Store } from "../../store/store.js";

/** One deploy or rollback of an environment, newest last in `state.deployments` (schema: src/store/collections/deployments.ts). */
export type { DeploymentKind, DeploymentRecord, DeploymentResult } from "../../store/collections/deployments.js";

/** Keep the history bounded: this many records per environment. */
export const MAX_HISTORY_PER_ENV = 200;

/** The `deployments` collection. */
export function deploymentsOf(state: State): DeploymentRecord[] {
  return state.deployments;
}

export async function recordDeployment(store: Store, record: DeploymentRecord): Promise<void> {
  await store.update((s) => {
    const all = deploymentsOf(s);
    all.push(record);
    const mine = all.filter((d) => d.env === record.env);
    if (mine.length > MAX_HISTORY_PER_ENV) {
      const drop = new Set(mine.slice(0, mine.length - MAX_HISTORY_PER_ENV));
      s.deployments = all.filter((d) => !drop.has(d));
    }
  });
}

/** The last `n` records of an environment, newest first. */
export function historyOf(state: State, env: string, n = 10): DeploymentRecord[] {
  return state.deployments.filter((d) => d.env === env).slice(-n).reverse();
}

/**
 * The tag `/rollback` goes back to: the newest successful tag older than the record that made
 * `current` live, and different from it. `null` when history has none.
 */
export function previousGoodTag(state: State, env: string, current: string | null): string | null {
  const list = historyOf(state, env, MAX_HISTORY_PER_ENV); // newest first
  let start = 0;
  if (current !== null) {
    const idx = list.findIndex((d) => d.result === "succeeded" && d.tag === current);
    if (idx >= 0) start = idx + 1;
  }
  const found = list.slice(start).find((d) => d.result === "succeeded" && d.tag !== current);
  return found?.tag ?? null;
}

/** Whether `tag` was ever deployed successfully to `env` (the only tags `/rollback --to` accepts). */
export function wasDeployed(state: State, env: string, tag: string): boolean {
  return historyOf(state, env, MAX_HISTORY_PER_ENV).some((d) => d.result === "succeeded" && d.tag === tag);
}

/** The tag history says is live: the newest successful record, or the tag a failed deploy rolled back to. */
export function currentTagFromHistory(state: State, env: string): string | null {
  for (const d of historyOf(state, env, MAX_HISTORY_PER_ENV)) {
    if (d.result === "succeeded") return d.tag;
    if (d.rolledBack && d.rollbackHealthy) return d.previousTag;
  }
  return null;
}

/**
 * Per node: the newest tag `node` ran successfully before the record that made `current` live on
 * it, and different from it. `null` when history has none for this node.
 */
export function previousGoodNodeTag(state: State, env: string, node: string, current: string | null): string | null {
  const runs = historyOf(state, env, MAX_HISTORY_PER_ENV).flatMap((d) => (d.nodes ?? []).filter((n) => n.node === node && n.result === "succeeded"));
  let start = 0;
  if (current !== null) {
    const idx = runs.findIndex((n) => n.tag === current);
    if (idx >= 0) start = idx + 1;
  }
  return runs.slice(start).find((n) => n.tag !== current)?.tag ?? null;
}
