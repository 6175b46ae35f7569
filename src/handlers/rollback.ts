import type { Access } from "../config/schema.js";
import type { Environments } from "../config/environments-config.js";
import { rolesOf } from "../core/authorize.js";
import { actorKey, type Command, type ProgressFn, type Reply } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import type { Notifier } from "../core/notifier.js";
import { escapeEcho, validateRef } from "../core/validate.js";
import type { ApprovalDesk } from "../ops/approvals/create-approval-desk.js";
import type { DeployOp } from "../ops/deploy/create-deploy-op.js";
import { deployOutcomeReply } from "./deploy.js";
import { isMultiNode } from "../ops/deploy/env-nodes.js";
import { currentTagFromHistory, historyOf, previousGoodNodeTag, previousGoodTag, wasDeployed } from "../ops/deploy/history.js";
import type { Store } from "../store/store.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { defineParsedHandler, type Handler, type Permission } from "./handler.js";

/** `/rollback <env> [--to <ref>] [--group <name>]`, parsed once for both authorisation and the run. */
export const rollbackSpec = defineCommand({
  name: "rollback",
  summary: "roll an environment back to the previous good tag (or one from history)",
  section: "environments",
  variants: [
    variant({
      positionals: [{ name: "env" }],
      flags: [{ name: "to", value: "<ref>" }, { name: "group", value: "<name>" }],
      // `group`: environments with node groups, only this group.
      schema: z.object({ env: z.string(), to: z.string().optional(), group: z.string().optional() }),
      hint: "Example: /rollback staging, or /rollback staging --to v1.4.2",
    }),
  ],
});
export type RollbackArgs = ReturnType<typeof rollbackSpec.args.parse>;

export interface RollbackHandlerOptions {
  environments: Environments;
  access: Access;
  deploy: DeployOp;
  desk: ApprovalDesk;
  store: Store;
  notifier: Notifier;
}

/**
 * `/rollback <env> [--to <ref>]`: back to the last successful tag before the current one, or to
 * a tag that history shows was deployed successfully. Protected environments need an approval,
 * unless the actor holds one of the environment's emergency rollback roles (then the alert
 * channel is told).
 */
export function createRollbackHandler(options: RollbackHandlerOptions): Handler {
  const { environments, access, deploy, desk, store, notifier } = options;

  /** Node groups without --to: every node back to its own last good tag (nodes with none are left alone). */
  async function perNodeTargets(name: string, group: string | undefined): Promise<Record<string, string>> {
    const nodes = await deploy.nodeTags(name, group !== undefined ? { group } : {});
    const tags: Record<string, string> = {};
    for (const n of nodes) {
      const target = previousGoodNodeTag(store.read(), name, n.node, n.tag);
      if (target !== null && target !== n.tag) tags[n.node] = target;
    }
    if (Object.keys(tags).length === 0) throw new OpsError("not_found", `history has no earlier good tag for any node of ${name}${group ? ` in group ${group}` : ""}`, `See /deploy history ${name}; use /rollback ${name} --to <tag> or /deploy.`);
    return tags;
  }

  async function run(command: Command, progress: ProgressFn, args: RollbackArgs): Promise<Reply> {
    const { env: name, to } = args;
    const env = deploy.environment(name);
    if (isMultiNode(env) && to === undefined) return runPerNode(command, progress, args);
    if (args.group !== undefined && !isMultiNode(env)) throw new OpsError("bad_input", `${name} has no node groups`, `Run /rollback ${name} without --group.`);
    const current = (await deploy.currentTag(name)) ?? currentTagFromHistory(store.read(), name);
    let target: string;
    if (to !== undefined) {
      target = validateRef(to, env.ref_pattern);
      if (!wasDeployed(store.read(), name, target)) {
        const known = [...new Set(historyOf(store.read(), name, 200).filter((d) => d.result === "succeeded").map((d) => d.tag))].slice(0, 10);
        throw new OpsError("not_found", `${escapeEcho(target, 40)} was never deployed successfully to ${name}, so it is not a rollback target`, known.length > 0 ? `Tags from history: ${known.join(", ")}. To ship a new tag use /deploy.` : "History has no successful deploys yet; use /deploy.");
      }
    } else {
      const found = previousGoodTag(store.read(), name, current);
      if (!found) throw new OpsError("not_found", `history has no successful deploy of ${name} before ${current ?? "the current state"}`, `See /deploy history ${name}; use /rollback ${name} --to <tag> or /deploy.`);
      target = found;
    }
    if (target === current) throw new OpsError("conflict", `${name} already runs ${target}`, `Nothing to do; see /deploy history ${name}.`);

    if (env.protected) {
      const roles = rolesOf(access, command.actor);
      const emergency = env.approval.emergency_rollback_roles.some((r) => roles.includes(r));
      if (!emergency) {
        return desk.request(command, { kind: "rollback", env: name, ref: target, currentTag: current, migrations: false }, progress);
      }
      await notifier
        .notify({ status: "warning", title: `emergency rollback of ${name} to ${target} by ${command.actor.name}`, lines: [`${actorKey(command.actor)} holds an emergency rollback role; no approval was asked.`, `from ${current ?? "(none)"}`] })
        .catch(() => undefined);
    }
    const outcome = await deploy.run({ env: name, ref: target, kind: "rollback", actor: command.actor, progress, ...(args.group !== undefined ? { scope: { group: args.group } } : {}) });
    const reply = deployOutcomeReply(outcome);
    if (env.protected || outcome.record.result === "failed") await notifier.notify(reply).catch(() => undefined);
    return reply;
  }

  async function runPerNode(command: Command, progress: ProgressFn, args: RollbackArgs): Promise<Reply> {
    const name = args.env;
    const env = deploy.environment(name);
    const tags = await perNodeTargets(name, args.group);
    const distinct = [...new Set(Object.values(tags))];
    const ref = distinct[0] ?? "";
    if (env.protected) {
      if (args.group !== undefined || distinct.length > 1) {
        throw new OpsError("bad_input", `${name} is protected: a rollback covers every node with one tag, through one approval`, `Nodes would go back to ${distinct.join(", ")}; use /rollback ${name} --to <tag>.`);
      }
      const roles = rolesOf(access, command.actor);
      if (!env.approval.emergency_rollback_roles.some((r) => roles.includes(r))) {
        return desk.request(command, { kind: "rollback", env: name, ref, currentTag: await deploy.currentTag(name), migrations: false, details: [{ label: "nodes", value: Object.keys(tags).join(", ") }] }, progress);
      }
      await notifier.notify({ status: "warning", title: `emergency rollback of ${name} to ${ref} by ${command.actor.name}`, lines: [`${actorKey(command.actor)} holds an emergency rollback role; no approval was asked.`, `nodes: ${Object.keys(tags).join(", ")}`] }).catch(() => undefined);
    }
    const outcome = await deploy.run({ env: name, ref, tags, kind: "rollback", actor: command.actor, progress, ...(args.group !== undefined ? { scope: { group: args.group } } : {}) });
    const reply = deployOutcomeReply(outcome);
    if (env.protected || outcome.record.result === "failed") await notifier.notify(reply).catch(() => undefined);
    return reply;
  }

  return defineParsedHandler(rollbackSpec, {
    permission(args): Permission {
      // An unknown name is refused by the run; until then the plain `rollback` rule applies.
      return { key: "rollback", readOnly: false, ...(Object.hasOwn(environments, args.env) ? { env: args.env } : {}) };
    },
    run,
  });
}
