import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.operations`: the operations journal (owned by src/ops/journal); finished entries are pruned. */
export const OperationStatus = z.enum(["requested", "approved", "running", "succeeded", "failed", "interrupted"]);
export type OperationStatus = z.infer<typeof OperationStatus>;

export const OperationRecord = record({
  id: z.string(),
  kind: z.string(),
  /** What it acts on: a preview slug, an environment name. */
  target: z.string(),
  actor: z.string(),
  status: OperationStatus,
  startedAt: z.string(),
  endedAt: z.string().optional(),
  summary: z.string().optional(),
  /** Set once the `interrupted` state has been reported, so a restart does not repeat it. */
  reportedAt: z.string().optional(),
});
export type OperationRecord = Known<z.infer<typeof OperationRecord>>;
