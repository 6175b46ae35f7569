import { DateTime } from "luxon";
import { z } from "zod";
import type { Retention } from "../../config/jobs-config.js";
import type { ProgressFn } from "../../core/command.js";
import { sidecarPath } from "./dump-sidecar.js";
import { dbTag, ensureRepository, envTag, OFFSITE_TAG, PINNED_TAG } from "./offsite-repository.js";
import { runRestic, type ResticContext } from "./restic-command.js";

export interface OffsiteFile {
  /** Database name (or `redis`). */
  name: string;
  path: string;
  /** When the dump was taken: the snapshot's time, so `forget` buckets it like local retention. */
  at: Date;
}

export interface OffsiteCopyResult {
  snapshots: number;
  /** Snapshots `forget` removed. */
  forgotten: number;
}

/** The `forget` policy of a local retention: `--keep-within 3d`, or `--keep-daily 7 --keep-weekly 4 …`. */
export function forgetPolicyArgs(retention: Retention): string[] {
  if (typeof retention === "number") {
    const hours = Math.max(1, Math.ceil(retention / 3_600_000));
    return ["--keep-within", hours % 24 === 0 ? `${hours / 24}d` : `${hours}h`];
  }
  return ["--keep-daily", String(retention.daily), "--keep-weekly", String(retention.weekly), "--keep-monthly", String(retention.monthly), "--keep-yearly", String(retention.yearly), "--keep-last", "1"];
}

const Forgotten = z.array(z.object({ remove: z.array(z.unknown()).nullish() }));

/**
 * The new dumps (and their sidecars) of one pre-backup to the restic repository, one snapshot per
 * dump tagged with env and database, then `forget` with the local retention policy per env and
 * database (snapshots tagged `pinned` are always kept), and `prune`. restic runs on the backup host: the files never pass through the bot.
 */
export async function copyOffsite(ctx: ResticContext, env: string, files: readonly OffsiteFile[], retention: Retention, progress: ProgressFn): Promise<OffsiteCopyResult> {
  await ensureRepository(ctx, progress);
  for (const f of files) {
    await progress(`offsite: restic backup of ${f.path}`);
    const sidecar = sidecarPath(f.path);
    const hasSidecar = (await ctx.host.exec(["test", "-f", sidecar], { allowFailure: true, timeoutMs: 30_000 })).code === 0;
    const time = DateTime.fromJSDate(f.at, { zone: ctx.zone }).toFormat("yyyy-MM-dd HH:mm:ss");
    await runRestic(ctx, "backup", ["backup", "--host", OFFSITE_TAG, "--tag", OFFSITE_TAG, "--tag", envTag(env), "--tag", dbTag(f.name), "--time", time, "--", f.path, ...(hasSidecar ? [sidecar] : [])]);
  }
  await progress(`offsite: restic forget (${forgetPolicyArgs(retention).join(" ")}) and prune`);
  const r = await runRestic(ctx, "forget", ["forget", "--json", "--tag", `${OFFSITE_TAG},${envTag(env)}`, "--group-by", "tags", "--keep-tag", PINNED_TAG, ...forgetPolicyArgs(retention)]);
  let json: unknown = [];
  try {
    json = JSON.parse(r.stdout.trim() || "[]");
  } catch {
    json = [];
  }
  const parsed = Forgotten.safeParse(json);
  const forgotten = parsed.success ? parsed.data.reduce((n, g) => n + (g.remove?.length ?? 0), 0) : 0;
  if (forgotten > 0) await runRestic(ctx, "prune", ["prune"]);
  return { snapshots: files.length, forgotten };
}
