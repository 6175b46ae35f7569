import type { OperationRecord } from "../../store/state.js";

/** An alert-channel notice (shaped like a `Reply` with status `warning`). */
export interface InterruptedNotice {
  status: "warning";
  title: string;
  lines: string[];
}

/** What to check next, per kind of interrupted operation. */
function nextStep(op: OperationRecord): string {
  if (op.kind === "job") return "It was not re-run; /jobs run <name> runs it now.";
  if (op.kind === "deploy" || op.kind === "rollback") return `Nothing was re-run on its own. Check the environment with /deploy history ${op.target} and the host.`;
  return "Nothing was re-run on its own. Check its state and run it again if needed.";
}

/** The one notice an interrupted journal entry gets. */
export function interruptedNotice(op: OperationRecord): InterruptedNotice {
  if (op.kind === "job") {
    return { status: "warning", title: `job ${op.target} was interrupted by a restart`, lines: [`started ${op.startedAt} (${op.actor})`, nextStep(op)] };
  }
  return { status: "warning", title: `${op.kind} of ${op.target} was interrupted by a restart`, lines: [`started ${op.startedAt} by ${op.actor}`, nextStep(op)] };
}
