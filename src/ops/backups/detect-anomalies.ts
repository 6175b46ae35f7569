import type { EnvironmentBackups } from "../../config/jobs-config.js";
import { formatBytes } from "../../core/format-bytes.js";
import { formatDuration } from "../../core/format-local-time.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { CheckResult } from "../health/alert-state.js";
import { readSidecars } from "./dump-sidecar.js";
import { listDumps } from "./list-dumps.js";

/** Dumps whose duration makes the median a slow dump is judged against. */
export const SLOW_WINDOW = 10;
/** Fewer recorded durations than this: no judgement (a new database has no "usual" yet). */
const SLOW_MIN_SAMPLES = 3;

const ms = (t: number): string => (t < 10_000 ? `${Math.round(t)} ms` : formatDuration(t));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Judge the dump just written for `db` against the ones before it (safety dumps left out):
 * `backup-size:<env>/<db>` fails when it is at most `small_ratio` or at least `large_ratio` of
 * the previous dump's size; `backup-duration:<env>/<db>` fails when it took more than
 * `slow_ratio` × the median of the durations recorded in the last 10 sidecars.
 */
export async function detectAnomalies(host: HostShell, cfg: EnvironmentBackups, env: string, db: string, path: string, dumpMs: number): Promise<CheckResult[]> {
  const sidecars = await readSidecars(host, cfg.dump_dir, db);
  const files = (await listDumps(host, cfg.dump_dir, db)).filter((f) => sidecars.get(f.fileName)?.safety !== true).sort((a, b) => b.stampedAt.getTime() - a.stampedAt.getTime());
  const current = files.find((f) => f.path === path);
  if (!current) return [];
  const older = files.filter((f) => f.stampedAt.getTime() < current.stampedAt.getTime());
  const out: CheckResult[] = [];
  const prev = older[0];
  if (prev && prev.bytes > 0) {
    const ratio = current.bytes / prev.bytes;
    const small = ratio <= cfg.small_ratio;
    const large = ratio >= cfg.large_ratio;
    const what = small ? `${Math.round((1 - ratio) * 100)}% smaller than` : large ? `${ratio.toFixed(1)}× the size of` : "in line with";
    out.push({ id: `backup-size:${env}/${db}`, label: `dump size of ${env}/${db}`, ok: !small && !large, detail: `dump ${formatBytes(current.bytes)}, ${what} the previous one (${formatBytes(prev.bytes)})` });
  }
  const durations = older
    .slice(0, SLOW_WINDOW)
    .map((f) => sidecars.get(f.fileName)?.dumpMs)
    .filter((d): d is number => typeof d === "number");
  if (durations.length >= SLOW_MIN_SAMPLES) {
    const m = median(durations);
    const slow = dumpMs > cfg.slow_ratio * m;
    out.push({
      id: `backup-duration:${env}/${db}`,
      label: `dump duration of ${env}/${db}`,
      ok: !slow,
      detail: `dump took ${ms(dumpMs)}${slow ? `, more than ${cfg.slow_ratio}×` : ","} the median of the last ${durations.length} (${ms(m)})`,
    });
  }
  return out;
}
