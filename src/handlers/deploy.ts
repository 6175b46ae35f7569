import type { Environments } from "../config/environments-config.js";
import type { Command, ProgressFn, Reply } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import { validateRef } from "../core/validate.js";
import type { Notifier } from "../core/notifier.js";
import { findApproval } from "../ops/approvals/create-approvals.js";
import type { ApprovalDesk } from "../ops/approvals/create-approval-desk.js";
import type { DeployOp, DeployOutcome } from "../ops/deploy/create-deploy-op.js";
import { renderPlan } from "../ops/deploy/deploy-plan.js";
import { historyOf, type DeploymentRecord } from "../ops/deploy/history.js";
import { describeGroups, isMultiNode, selectGroups, type NodeScope } from "../ops/deploy/env-nodes.js";
import { nodeResultLines } from "../ops/deploy/node-result-lines.js";
import { envStatusReply } from "./env-status-reply.js";
import type { Store } from "../store/store.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { wholeNumberArg } from "../core/arg-schemas.js";
import { defineParsedHandler, type Handler, type Permission } from "./handler.js";

export interface DeployHandlerOptions {
  environments: Environments;
  deploy: DeployOp;
  desk: ApprovalDesk;
  store: Store;
  notifier: Notifier;
}

const env = z.string();
/** `/deploy` arguments, parsed once for both authorisation and the run. */
export const deploySpec = defineCommand({
  name: "deploy",
  summary: "deploy an image tag to an environment (protected ones need an approval)",
  section: "environments",
  variants: [
    variant({
      positionals: [{ name: "env" }, { name: "ref", lenient: true }],
      flags: [{ name: "dry-run" }, { name: "group", value: "<name>" }, { name: "node", value: "<host>" }],
      schema: z.object({ env, ref: z.string().optional(), "dry-run": z.boolean(), group: z.string().optional(), node: z.string().optional() }).transform((a) => ({
        sub: "deploy" as const,
        env: a.env,
        ref: a.ref,
        dryRun: a["dry-run"],
        scope: { ...(a.group !== undefined ? { group: a.group } : {}), ...(a.node !== undefined ? { node: a.node } : {}) } as NodeScope,
      })),
      hint: "Example: /deploy staging sha-1a2b3c4 --dry-run",
    }),
    ...(["approve", "reject"] as const).map((decision) =>
      variant({ sub: decision, positionals: [{ name: "id" }], schema: z.object({ id: z.string() }).transform((a) => ({ sub: "decide" as const, decision, id: a.id })), hint: "Use the buttons on the approval request." }),
    ),
    variant({
      sub: "history",
      positionals: [{ name: "env" }, { name: "n", optional: true }],
      schema: z.object({ env, n: wholeNumberArg("n", 1, 50, 10) }).transform((a) => ({ sub: "history" as const, ...a })),
      hint: "Example: /deploy history staging 20",
    }),
    variant({ sub: "status", positionals: [{ name: "env" }], schema: z.object({ env }).transform((a) => ({ sub: "status" as const, ...a })), hint: "Example: /deploy status preprod" }),
  ],
});

export type DeployArgs = ReturnType<typeof deploySpec.args.parse>;

function historyLine(d: DeploymentRecord): string {
  const when = d.startedAt.replace("T", " ").slice(0, 16);
  const secs = `${Math.round(d.durationMs / 1000)} s`;
  const what = d.kind === "rollback" ? `rollback to ${d.tag}` : d.tag;
  const rolled = d.rolledBack ? ` (rolled back to ${d.previousTag}${d.rollbackHealthy ? "" : ", not healthy"})` : "";
  const approved = d.approvedBy?.length ? `, approved by ${d.approvedBy.join(", ")}` : "";
  const scope = d.scope ? `  (${d.scope})` : "";
  const head = `${when}  ${what}  ${d.result}${rolled}  ${secs}  by ${d.actorName}${approved}${scope}`;
  return d.nodes ? [head, ...nodeResultLines(d.nodes, "    ")].join("\n") : head;
}

/** `/deploy`: deploy a tag, decide approval requests, show history. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The final reply of a deploy or rollback: what happened, and for failures what failed and whether it rolled back. */
export function deployOutcomeReply(outcome: DeployOutcome): Reply {
  const r = outcome.record;
  const verb = r.kind === "rollback" ? "roll back" : "deploy";
  const fields = [
    { label: "environment", value: r.env },
    { label: "tag", value: `${r.previousTag ?? "(none)"} → ${r.tag}` },
    { label: "by", value: r.actorName + (r.approvedBy?.length ? `, approved by ${r.approvedBy.join(", ")}` : "") },
    { label: "duration", value: seconds(r.durationMs) },
  ];
  const perNode = r.nodes ? nodeResultLines(r.nodes) : [];
  const scope = r.scope ? ` (${r.scope})` : "";
  if (r.result === "succeeded") {
    return { status: "success", title: r.kind === "rollback" ? `rolled back ${r.env}${scope} to ${r.tag}` : `deployed ${r.tag} to ${r.env}${scope}`, fields, ...(perNode.length > 0 ? { lines: perNode } : {}), visibility: "channel" };
  }
  if (r.nodes) {
    const changed = r.nodes.some((n) => n.result !== "not_run" && !n.failure?.startsWith("unreachable"));
    return {
      status: "failure",
      title: `${verb} of ${r.tag} to ${r.env}${scope} failed at ${r.failure ?? "an unknown step"}`,
      lines: [...perNode, changed ? (r.rolledBack ? `Nodes rolled back: ${r.nodes.filter((n) => n.rolledBack).map((n) => n.node).join(", ")}.` : "No node was rolled back.") : "No node was changed."],
      fields,
      nextStep: r.rolledBack && !r.rollbackHealthy ? `A node is NOT healthy after its roll back: check its containers and deploy a known good tag (see /deploy history ${r.env}).` : `Fix the failing node (see the line above), then deploy again; /deploy status ${r.env} shows every node.`,
      visibility: "channel",
    };
  }
  const failed = `${verb} of ${r.tag} to ${r.env} failed at ${r.failure ?? "an unknown step"}`;
  const after = r.rolledBack
    ? r.rollbackHealthy
      ? `rolled back automatically to ${r.previousTag}, which is healthy`
      : `rolled back automatically to ${r.previousTag}, but it is NOT healthy`
    : r.previousTag === r.tag
      ? `nothing to roll back to: ${r.tag} was already the tag before`
      : "nothing to roll back to: no previous tag was set";
  return {
    status: "failure",
    title: `${failed}; ${after}`,
    lines: [`Failed step: ${outcome.failedStep ?? "unknown"}.`, r.rolledBack ? `Rolled back to ${r.previousTag}.` : "Not rolled back."],
    fields,
    ...(outcome.logs ? { code: outcome.logs } : {}),
    nextStep: r.rolledBack && r.rollbackHealthy ? `Read the logs below, fix ${r.tag} and deploy again.` : `The environment needs attention now: check the containers on the host and deploy a known good tag (see /deploy history ${r.env}).`,
    visibility: "channel",
  };
}

export function createDeployHandler(options: DeployHandlerOptions): Handler {
  const { environments, deploy, desk, store, notifier } = options;
  const envIfKnown = (name: string | undefined): string | undefined => (name && Object.hasOwn(environments, name) ? name : undefined);

  async function history(name: string, n: number): Promise<Reply> {
    deploy.environment(name);
    const list = historyOf(store.read(), name, n);
    return {
      status: "info",
      title: `deploy history of ${name} (last ${list.length})`,
      ...(list.length > 0 ? { code: list.map(historyLine).join("\n") } : { lines: ["No deploys recorded yet."] }),
    };
  }

  async function deployCommand(command: Command, progress: ProgressFn, args: Extract<DeployArgs, { sub: "deploy" }>): Promise<Reply> {
    const { env: name, ref } = args;
    const env = deploy.environment(name);
    const tag = validateRef(ref, env.ref_pattern);
    const scoped = args.scope.group !== undefined || args.scope.node !== undefined;
    const groups = selectGroups(name, env, args.scope);
    if (args.dryRun && isMultiNode(env)) {
      return { status: "info", title: `plan: deploy ${tag} to ${name} (dry run, nothing was changed)`, lines: groups.map((g) => `${g.name} (${g.rolling ? "rolling" : `up to ${g.limit} at once`}, on failure ${g.onFailure}): ${g.nodes.map((n) => `${n.host} [${n.env.project} in ${n.env.compose_dir}${n.migrate ? ", migrates" : ""}]`).join(", ")}`) };
    }
    if (args.dryRun) {
      const plan = await deploy.plan(name, tag);
      return {
        status: "info",
        title: `plan: deploy ${tag} to ${name} (dry run, nothing was changed)`,
        lines: [env.protected ? "Protected environment: a real deploy needs an approval first." : "A real deploy runs these steps now."],
        code: renderPlan(plan).join("\n"),
      };
    }
    if (env.protected) {
      if (scoped) throw new OpsError("bad_input", `${name} is protected: it is deployed as a whole, through one approval`, `Run /deploy ${name} ${tag} without --group/--node.`);
      const currentTag = await deploy.currentTag(name);
      const details = isMultiNode(env) ? [{ label: "nodes", value: describeGroups(groups) }] : undefined;
      return desk.request(command, { kind: "deploy", env: name, ref: tag, currentTag, migrations: env.migration_command !== undefined, ...(details ? { details } : {}) }, progress);
    }
    const outcome = await deploy.run({ env: name, ref: tag, kind: "deploy", actor: command.actor, progress, ...(scoped ? { scope: args.scope } : {}) });
    const reply = deployOutcomeReply(outcome);
    if (outcome.record.result === "failed") await notifier.notify(reply).catch(() => undefined);
    return reply;
  }

  return defineParsedHandler(deploySpec, {
    permission(args): Permission {
      if (args.sub === "decide") {
        // Open to every known user here; the approval policy of the request's environment
        // (approver roles, never the requester) is checked when the click is applied.
        const env = findApproval(store.read(), args.id)?.env;
        return { key: `deploy ${args.decision}`, readOnly: true, ...(env ? { env } : {}) };
      }
      const env = envIfKnown(args.env);
      if (args.sub === "history") return { key: "deploy history", readOnly: true, ...(env ? { env } : {}) };
      if (args.sub === "status") return { key: "deploy status", readOnly: true, ...(env ? { env } : {}) };
      return { key: "deploy", readOnly: false, ...(env ? { env } : {}) };
    },
    async run(command, progress, args) {
      if (args.sub === "decide") return desk.decide(command, args.id, args.decision, progress);
      if (args.sub === "history") return history(args.env, args.n);
      if (args.sub === "status") return envStatusReply(args.env, await deploy.status(args.env));
      return deployCommand(command, progress, args);
    },
  });
}
