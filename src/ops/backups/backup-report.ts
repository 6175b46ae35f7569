import type { OffsiteStepResult } from "./offsite-step.js";

/** What one pre-backup run of an environment did, step by step, and its one-line summary. */

/** One dump, snapshot or copy of a run. */
export interface StepResult {
  name: string;
  ok: boolean;
  path?: string;
  bytes?: number;
  /** Already redacted-safe: built from our own messages (no secrets, no heartbeat URL). */
  error?: string;
}

export interface BackupReport {
  env: string;
  startedAt: Date;
  endedAt: Date;
  databases: StepResult[];
  redis?: StepResult;
  /** Files removed by retention. */
  deleted: string[];
  retentionError?: string;
  /** The restic copy, when `offsite` is configured. */
  offsite?: OffsiteStepResult;
  heartbeat: "sent" | "skipped" | "failed" | "not configured";
  heartbeatError?: string;
  ok: boolean;
}

/** The message of a caught error, for a step result. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One line per report, for job summaries and replies. */
export function summarizeReport(r: BackupReport): string {
  const dbs = r.databases.map((d) => `${d.name} ${d.ok ? "ok" : "FAILED"}`).join(", ");
  const redis = r.redis ? `, redis ${r.redis.ok ? "ok" : "FAILED"}` : "";
  const offsite = r.offsite ? `; offsite ${r.offsite.ok ? "ok" : "FAILED"}` : "";
  return `${r.env}: ${dbs || "no databases"}${redis}; ${r.deleted.length} old file(s) removed${offsite}; heartbeat ${r.heartbeat}`;
}
