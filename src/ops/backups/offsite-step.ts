import type { EnvironmentBackups } from "../../config/jobs-config.js";
import type { ProgressFn } from "../../core/command.js";
import type { Logger } from "../../core/logger.js";
import type { CheckResult } from "../health/alert-state.js";
import { parseDumpFileName } from "./dump-paths.js";
import { copyOffsite, type OffsiteCopyResult } from "./offsite-copy.js";
import type { ResticContext } from "./restic-command.js";

export interface OffsiteStepResult extends Partial<OffsiteCopyResult> {
  ok: boolean;
  repository: string;
  /** Our own words and restic's stderr tail (restic never prints the password). */
  error?: string;
}

/** The pre-backup's offsite step: copy the dumps this run wrote; the result feeds the report and the `backup-offsite:<env>` alert. */
export async function runOffsiteStep(
  ctx: ResticContext,
  env: string,
  cfg: EnvironmentBackups,
  written: ReadonlyArray<{ name: string; path?: string | undefined }>,
  progress: ProgressFn,
  log: Logger,
): Promise<{ result: OffsiteStepResult; alert: CheckResult }> {
  const files = written.flatMap((w) => {
    if (!w.path) return [];
    const at = parseDumpFileName(w.name, w.path.slice(w.path.lastIndexOf("/") + 1));
    return at ? [{ name: w.name, path: w.path, at }] : [];
  });
  const repository = ctx.offsite.repository;
  let result: OffsiteStepResult;
  try {
    result = { ok: true, repository, ...(await copyOffsite(ctx, env, files, cfg.retention, progress)) };
  } catch (err) {
    log.error({ err, env }, "offsite copy failed");
    result = { ok: false, repository, error: err instanceof Error ? err.message : String(err) };
  }
  const detail = result.ok ? `${result.snapshots ?? 0} dump(s) copied to ${repository}, ${result.forgotten ?? 0} old snapshot(s) forgotten` : `offsite copy to ${repository} failed: ${result.error ?? "?"}`;
  return { result, alert: { id: `backup-offsite:${env}`, label: `offsite copy of ${env}`, ok: result.ok, detail } };
}
