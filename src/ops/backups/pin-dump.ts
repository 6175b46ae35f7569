import type { EnvironmentBackups } from "../../config/jobs-config.js";
import { OpsError } from "../../core/errors.js";
import type { HostShell } from "../adapters/host-shell.js";
import { updateSidecar } from "./dump-sidecar.js";
import { pinOffsite } from "./offsite-repository.js";
import type { ResticContext } from "./restic-command.js";
import { DUMP_ID, resolveDump } from "./resolve-dump.js";

/**
 * `/backup pin|unpin`: mark the dump's sidecar (local retention keeps it) and tag its offsite
 * snapshots `pinned` (restic `forget --keep-tag pinned` keeps them). Returns the dump id.
 */
export async function pinDump(host: HostShell, env: string, cfg: EnvironmentBackups, id: string, pinned: boolean, restic: ResticContext | undefined): Promise<string> {
  const db = DUMP_ID.exec(id)?.[1];
  if (db === undefined) throw new OpsError("bad_input", "that is not a dump id", `Give an id from /backup list ${env}, such as shop-20261123T025500Z.`);
  const dump = await resolveDump(host, env, cfg, db, id);
  await updateSidecar(host, dump.file.path, { pinned });
  if (!restic) return dump.id;
  try {
    await pinOffsite(restic, env, db, dump.id, pinned);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new OpsError("remote_failed", `${dump.id} is ${pinned ? "pinned" : "unpinned"} locally, but tagging its offsite snapshot failed: ${why}`, `Fix the repository access, then run /backup ${pinned ? "pin" : "unpin"} ${env} ${dump.id} again.`, { cause: err });
  }
  return dump.id;
}
