import { OpsError } from "../../core/errors.js";
import { parseDumpFileName } from "./dump-paths.js";
import type { ResolvedDump } from "./resolve-dump.js";
import { listOffsite, type OffsiteSnapshot } from "./offsite-repository.js";
import { runRestic, type ResticContext } from "./restic-command.js";

/** The offsite snapshot `ref` (`latest` or a dump id) names for `db` of `env`; refused with what to type instead. */
export async function resolveOffsiteDump(ctx: ResticContext, env: string, db: string, ref: string): Promise<OffsiteSnapshot> {
  const snaps = await listOffsite(ctx, env, db);
  const snap = ref === "latest" ? snaps[0] : snaps.find((s) => s.dumpId === ref);
  if (!snap) {
    throw new OpsError(
      "not_found",
      ref === "latest" ? `the offsite repository has no snapshot of ${env}/${db}` : `no offsite snapshot of ${ref} for ${env}`,
      `See /backup list ${env} ${db} for the offsite snapshots; forget may have removed that one.`,
    );
  }
  return snap;
}

export interface FetchedDump {
  dump: ResolvedDump;
  /** Remove the temporary directory (always call it). */
  cleanup(): Promise<void>;
}

/** `restic restore` of one snapshot's dump file into a fresh temporary directory on the backup host. */
export async function fetchOffsiteDump(ctx: ResticContext, db: string, snap: OffsiteSnapshot): Promise<FetchedDump> {
  const dir = (await ctx.host.exec(["mktemp", "-d", "-t", "opsdeck-offsite-restore.XXXXXXXX"], { timeoutMs: 30_000 })).stdout.trim();
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir)) throw new OpsError("remote_failed", `mktemp on ${ctx.host.name} gave an unexpected path`, "Check the backup host's temporary directory.");
  const cleanup = async (): Promise<void> => {
    await ctx.host.exec(["rm", "-rf", "--", dir], { allowFailure: true, timeoutMs: 60_000 });
  };
  try {
    await runRestic(ctx, "restore", ["restore", snap.id, "--target", dir, "--include", snap.path]);
    const path = `${dir}${snap.path}`;
    const size = await ctx.host.exec(["stat", "-c", "%s %Y", "--", path], { timeoutMs: 30_000 });
    const [bytes, mtime] = size.stdout.trim().split(" ").map(Number);
    const fileName = snap.path.slice(snap.path.lastIndexOf("/") + 1);
    const stampedAt = parseDumpFileName(db, fileName) ?? snap.time;
    return { dump: { id: snap.dumpId, file: { path, fileName, stampedAt, modifiedAt: new Date((mtime ?? 0) * 1000), bytes: bytes ?? 0 } }, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
