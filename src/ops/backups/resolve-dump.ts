import type { EnvironmentBackups } from "../../config/jobs-config.js";
import { OpsError } from "../../core/errors.js";
import type { HostShell } from "../adapters/host-shell.js";
import { readSidecars, type DumpSidecar } from "./dump-sidecar.js";
import { dumpId } from "./list-backups.js";
import { listDumps, type DumpFile } from "./list-dumps.js";

/** `shop-20261123T025500Z`: a database name, a dash, the UTC stamp. */
export const DUMP_ID = /^([a-z_][a-z0-9_]{0,62})-(\d{8}T\d{6}Z)$/;

export interface ResolvedDump {
  id: string;
  file: DumpFile;
  sidecar?: DumpSidecar;
}

/**
 * The dump `ref` names for `db`: `latest` (the newest dump that is not a restore's safety dump) or
 * an id from `/backup list`. Unknown ids, ids of another database and `latest` with no dump are
 * refused with what to type instead; nothing is touched.
 */
export async function resolveDump(host: HostShell, env: string, cfg: EnvironmentBackups, db: string, ref: string): Promise<ResolvedDump> {
  if (!cfg.databases.some((d) => d.name === db)) {
    throw new OpsError("not_found", `${env} has no database "${db}" in its backups`, `Databases of ${env}: ${cfg.databases.map((d) => d.name).join(", ") || "none"}.`);
  }
  const m = ref === "latest" ? null : DUMP_ID.exec(ref);
  if (ref !== "latest" && !m) throw new OpsError("bad_input", "that is not a dump id", `Give latest or an id from /backup list ${env} ${db}, such as ${db}-20261123T025500Z.`);
  if (m && m[1] !== db) {
    throw new OpsError("bad_input", `dump ${ref} is a dump of database ${m[1]}, not ${db}`, `Restore it with /backup restore ${env} ${m[1]} ${ref}, or pick a ${db} dump from /backup list ${env} ${db}.`);
  }
  const files = (await listDumps(host, cfg.dump_dir, db)).sort((a, b) => b.stampedAt.getTime() - a.stampedAt.getTime());
  const sidecars = await readSidecars(host, cfg.dump_dir, db);
  const file = ref === "latest" ? files.find((f) => sidecars.get(f.fileName)?.safety !== true) : files.find((f) => dumpId(f.fileName) === ref);
  if (!file) {
    throw new OpsError(
      "not_found",
      ref === "latest" ? `${env} has no dump of ${db} yet` : `no dump ${ref} in ${env}'s dumps`,
      ref === "latest" ? `Take one with /backup run ${env}, then restore.` : `Pick an id from /backup list ${env} ${db}; retention may have deleted that one.`,
    );
  }
  const sidecar = sidecars.get(file.fileName);
  return { id: dumpId(file.fileName), file, ...(sidecar ? { sidecar } : {}) };
}
