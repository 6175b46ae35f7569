import type { ApprovedRunFn } from "../approvals/create-approval-desk.js";
import { actorKey } from "../../core/command.js";
import type { RestoreOp } from "./create-restore-op.js";
import { DUMP_ID } from "./resolve-dump.js";
import { restoreOutcomeReply } from "./restore-outcome-reply.js";

/** What an approved restore request runs: exactly the env, dump id and source it was asked for (the database is the id's prefix). */
export function createRestoreRunner(restore: RestoreOp, zone: string): ApprovedRunFn {
  return async (record, requester, approvers, progress) => {
    const db = DUMP_ID.exec(record.ref)?.[1] ?? "";
    const outcome = await restore.run({ env: record.env, db, ref: record.ref, actor: `${actorKey(requester)} (approved by ${approvers.join(", ")})`, progress, from: record.source ?? "local" });
    return restoreOutcomeReply(outcome, zone);
  };
}
