import type { Environments } from "../config/environments-config.js";
import type { Command, ProgressFn, Reply } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import type { Notifier } from "../core/notifier.js";
import { escapeEcho } from "../core/validate.js";
import { findApproval } from "../ops/approvals/approval-record.js";
import type { ApprovalDesk } from "../ops/approvals/create-approval-desk.js";
import type { DeployOp } from "../ops/deploy/create-deploy-op.js";
import { renderPlan } from "../ops/deploy/deploy-plan.js";
import { deployOutcomeReply } from "../ops/deploy/deploy-outcome-reply.js";
import { historyOf, type DeploymentRecord } from "../ops/deploy/history.js";
import { validateRef } from "../ops/deploy/validate-ref.js";
import type { Store } from "../store/store.js";
import type { Handler, Permission } from "./handler.js";

export interface DeployHandlerOptions {
  environments: Environments;
  deploy: DeployOp;
  desk: ApprovalDesk;
  store: Store;
  notifier: Notifier;
}

const USAGE = ["/deploy <env> <ref> [--dry-run]", "/deploy approve <id>", "/deploy reject <id>", "/deploy history <env> [n]"];

/** Split args into positionals and known flags; anything else that starts with `-` is refused. */
export function parseFlags(args: string[], flags: Record<string, "bool" | "value">): { positional: string[]; bool: Set<string>; values: Map<string, string> } {
  const positional: string[] = [];
  const bool = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (!a.startsWith("-")) {
      positional.push(a);
      continue;
    }
    const kind = flags[a];
    if (!kind) throw new OpsError("bad_input", `unknown option "${escapeEcho(a, 30)}"`, `Known options: ${Object.keys(flags).join(", ") || "none"}.`);
    if (kind === "bool") bool.add(a);
    else {
      const v = args[i + 1];
      if (v === undefined || v.startsWith("-")) throw new OpsError("bad_input", `${a} needs a value`, `Write ${a} <value>.`);
      values.set(a, v);
      i++;
    }
  }
  return { positional, bool, values };
}

function historyLine(d: DeploymentRecord): string {
  const when = d.startedAt.replace("T", " ").slice(0, 16);
  const secs = `${Math.round(d.durationMs / 1000)} s`;
  const what = d.kind === "rollback" ? `rollback to ${d.tag}` : d.tag;
  const rolled = d.rolledBack ? ` (rolled back to ${d.previousTag}${d.rollbackHealthy ? "" : ", not healthy"})` : "";
  const approved = d.approvedBy?.length ? `, approved by ${d.approvedBy.join(", ")}` : "";
  return `${when}  ${what}  ${d.result}${rolled}  ${secs}  by ${d.actorName}${approved}`;
}

/** `/deploy`: deploy a tag, decide approval requests, show history. */
export function createDeployHandler(options: DeployHandlerOptions): Handler {
  const { environments, deploy, desk, store, notifier } = options;
  const envIfKnown = (name: string | undefined): string | undefined => (name && Object.hasOwn(environments, name) ? name : undefined);

  async function history(args: string[]): Promise<Reply> {
    const [name, nText, ...extra] = parseFlags(args, {}).positional;
    if (extra.length > 0 || name === undefined) throw new OpsError("bad_input", "usage: /deploy history <env> [n]", "Give the environment, and optionally how many entries (1-50).");
    deploy.environment(name);
    const n = nText === undefined ? 10 : Number(nText);
    if (!Number.isInteger(n) || n < 1 || n > 50) throw new OpsError("bad_input", "n must be a whole number from 1 to 50", "Example: /deploy history staging 20");
    const list = historyOf(store.read(), name, n);
    return {
      status: "info",
      title: `deploy history of ${name} (last ${list.length})`,
      ...(list.length > 0 ? { code: list.map(historyLine).join("\n") } : { lines: ["No deploys recorded yet."] }),
    };
  }

  async function deployCommand(command: Command, progress: ProgressFn): Promise<Reply> {
    const { positional, bool } = parseFlags(command.args, { "--dry-run": "bool" });
    const [name, ref, ...extra] = positional;
    if (name === undefined || extra.length > 0) throw new OpsError("bad_input", "usage: /deploy <env> <ref> [--dry-run]", "Example: /deploy staging sha-1a2b3c4 --dry-run");
    const env = deploy.environment(name);
    const tag = validateRef(ref, env.ref_pattern);
    if (bool.has("--dry-run")) {
      const plan = await deploy.plan(name, tag);
      return {
        status: "info",
        title: `plan: deploy ${tag} to ${name} (dry run, nothing was changed)`,
        lines: [env.protected ? "Protected environment: a real deploy needs an approval first." : "A real deploy runs these steps now."],
        code: renderPlan(plan).join("\n"),
      };
    }
    if (env.protected) {
      const currentTag = await deploy.currentTag(name);
      return desk.request(command, { kind: "deploy", env: name, ref: tag, currentTag, migrations: env.migration_command !== undefined });
    }
    const outcome = await deploy.run({ env: name, ref: tag, kind: "deploy", actor: command.actor, progress });
    const reply = deployOutcomeReply(outcome);
    if (outcome.record.result === "failed") await notifier.notify(reply).catch(() => undefined);
    return reply;
  }

  return {
    name: "deploy",
    summary: "deploy an image tag to an environment (protected ones need an approval)",
    usage: USAGE,
    permission(args): Permission {
      const [sub, second] = args;
      if (sub === "approve" || sub === "reject") {
        // Open to every known user here; the approval policy of the request's environment
        // (approver roles, never the requester) is checked when the click is applied.
        const env = second ? findApproval(store.read(), second)?.env : undefined;
        return { key: `deploy ${sub}`, readOnly: true, ...(env ? { env } : {}) };
      }
      if (sub === "history") {
        const env = envIfKnown(second);
        return { key: "deploy history", readOnly: true, ...(env ? { env } : {}) };
      }
      const env = envIfKnown(sub);
      return { key: "deploy", readOnly: false, ...(env ? { env } : {}) };
    },
    async run(command, progress) {
      const [sub, ...rest] = command.args;
      if (sub === "approve" || sub === "reject") {
        const [id, ...extra] = rest;
        if (id === undefined || extra.length > 0) throw new OpsError("bad_input", `usage: /deploy ${sub} <id>`, "Use the buttons on the approval request.");
        return desk.decide(command, id, sub, progress);
      }
      if (sub === "history") return history(rest);
      return deployCommand(command, progress);
    },
  };
}
