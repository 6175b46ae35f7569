import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.deployments`: deploy and roll back history, newest last, bounded per env (owned by src/ops/deploy/history.ts). */
export const DeploymentKind = z.enum(["deploy", "rollback"]);
export type DeploymentKind = z.infer<typeof DeploymentKind>;
export const DeploymentResult = z.enum(["succeeded", "failed"]);
export type DeploymentResult = z.infer<typeof DeploymentResult>;

/** What one node of a node-group deploy did (`not_run`: its group stopped or was never reached). */
export const NodeDeploymentResult = record({
  group: z.string(),
  node: z.string(),
  tag: z.string(),
  previousTag: z.string().nullable(),
  result: z.enum(["succeeded", "failed", "not_run"]),
  rolledBack: z.boolean(),
  rollbackHealthy: z.boolean().optional(),
  failure: z.string().optional(),
  durationMs: z.number(),
});
export type NodeDeploymentResult = Known<z.infer<typeof NodeDeploymentResult>>;

export const DeploymentRecord = record({
  id: z.string(),
  env: z.string(),
  kind: DeploymentKind,
  tag: z.string(),
  /** The tag that was live before this one started (null when none was set). */
  previousTag: z.string().nullable(),
  actor: z.string(),
  actorName: z.string(),
  /** Who approved it, for protected environments. */
  approvedBy: z.array(z.string()).optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number(),
  result: DeploymentResult,
  /** The step that failed and why (redacted text). */
  failure: z.string().optional(),
  /** True when a failed deploy was rolled back automatically to `previousTag`. */
  rolledBack: z.boolean(),
  /** Whether the automatic roll back itself came up healthy. */
  rollbackHealthy: z.boolean().optional(),
  /** Per node, for environments with node groups. */
  nodes: z.array(NodeDeploymentResult).optional(),
  /** `group workers` / `node worker1` when only part of the environment was deployed. */
  scope: z.string().optional(),
});
export type DeploymentRecord = Known<z.infer<typeof DeploymentRecord>>;
