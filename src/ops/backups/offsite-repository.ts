import { z } from "zod";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import { dumpId } from "./list-backups.js";
import { resticCommand, resticProblem, runRestic, type ResticContext } from "./restic-command.js";

/** Every snapshot opsdeck writes carries these tags; `forget` groups by them (one group per env and database). */
export const OFFSITE_TAG = "opsdeck";
export const envTag = (env: string): string => `env:${env}`;
export const dbTag = (db: string): string => `db:${db}`;
/** On the snapshots of pinned dumps: `forget --keep-tag pinned` never removes them. */
export const PINNED_TAG = "pinned";

export interface OffsiteSnapshot {
  /** restic's short id. */
  id: string;
  time: Date;
  db: string;
  /** The dump id of the dump it holds (`shop-20261123T025500Z`). */
  dumpId: string;
  /** The dump's path on the backup host when it was copied (where `restic restore` puts it under the target). */
  path: string;
}

const Snapshots = z.array(z.object({ short_id: z.string(), time: z.string(), paths: z.array(z.string()), tags: z.array(z.string()).nullish() }));

/** Open the repository, or `restic init` it when there is none yet (said on `progress`). A wrong password is refused, naming its env var. */
export async function ensureRepository(ctx: ResticContext, progress: ProgressFn): Promise<void> {
  const { argv, stdin } = resticCommand(ctx, ["cat", "config"]);
  const r = await ctx.host.exec(argv, { stdin, allowFailure: true, timeoutMs: ctx.offsite.timeout });
  if (r.code === 0) return;
  if (resticProblem(r.stderr) !== "no_repository") {
    await runRestic(ctx, "open", ["cat", "config"]); // throws the precise error (wrong password, unreachable…)
    return;
  }
  await progress(`offsite: no restic repository at ${ctx.offsite.repository} yet — initialising it (restic init)`);
  await runRestic(ctx, "init", ["init"]);
}

/** The snapshots of `env` (optionally one database), newest first. */
export async function listOffsite(ctx: ResticContext, env: string, db?: string): Promise<OffsiteSnapshot[]> {
  const tags = [OFFSITE_TAG, envTag(env), ...(db !== undefined ? [dbTag(db)] : [])].join(",");
  const r = await runRestic(ctx, "snapshots", ["snapshots", "--json", "--tag", tags], 120_000);
  let parsed: z.infer<typeof Snapshots>;
  try {
    parsed = Snapshots.parse(JSON.parse(r.stdout || "[]"));
  } catch (err) {
    throw new OpsError("remote_failed", "restic snapshots printed something that is not its JSON listing", "Check the restic version on the backup host (0.14 or newer).", { cause: err });
  }
  const out: OffsiteSnapshot[] = [];
  for (const s of parsed) {
    const name = (s.tags ?? []).find((t) => t.startsWith("db:"))?.slice(3);
    const path = s.paths.find((p) => /\.(dump|rdb)$/.test(p));
    if (!name || !path) continue;
    out.push({ id: s.short_id, time: new Date(s.time), db: name, dumpId: dumpId(path.slice(path.lastIndexOf("/") + 1)), path });
  }
  return out.sort((a, b) => b.time.getTime() - a.time.getTime());
}

/** `restic check --read-data-subset <subset>`: the repository's structure and a sample of its data. */
export async function checkOffsite(ctx: ResticContext): Promise<string> {
  await runRestic(ctx, "check", ["check", "--read-data-subset", ctx.offsite.check_subset]);
  return `restic check of ${ctx.offsite.repository} (read ${ctx.offsite.check_subset} of the data) passed`;
}

/** Tag (`pinned`) or untag the offsite snapshots holding dump `id` of `db`; returns their short ids (none: the dump was never copied). */
export async function pinOffsite(ctx: ResticContext, env: string, db: string, id: string, pinned: boolean): Promise<string[]> {
  const ids = (await listOffsite(ctx, env, db)).filter((s) => s.dumpId === id).map((s) => s.id);
  if (ids.length > 0) await runRestic(ctx, pinned ? "tag --add pinned" : "tag --remove pinned", ["tag", pinned ? "--add" : "--remove", PINNED_TAG, "--", ...ids]);
  return ids;
}
