import ms from "ms";
import type { Access } from "../config/schema.js";
import { rolesOf } from "../core/authorize.js";
import type { Actor, Command, ProgressFn, Reply } from "../core/command.js";
import { actorKey } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import { escapeEcho } from "../core/validate.js";
import { createInfraOps, type InfraOps } from "../ops/infra/create-infra-ops.js";
import type { InfraDeps } from "../ops/infra/infra-deps.js";
import { downReply } from "../ops/infra/infra-down-reply.js";
import type { InfraStatus } from "../ops/infra/infra-status.js";
import type { UpResult } from "../ops/infra/infra-up.js";
import type { SnapshotResult } from "../ops/infra/snapshot-env.js";
import type { InfraDownApproval } from "../ops/infra/create-infra-down-approval.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant, type ArgsMessage } from "../core/command-args.js";
import { defineParsedHandler, type Handler } from "./handler.js";

export interface InfraHandlerOptions extends InfraDeps {
  access: Access;
  approvals?: InfraDownApproval;
  /** Prebuilt operations (tests, or main.ts sharing them with a job); built from the deps otherwise. */
  ops?: InfraOps;
}

const env = z.string();
export const infraSpec = defineCommand({
  name: "infra",
  summary: "Hetzner preview servers: status, golden snapshots, up and down",
  section: "hetzner",
  defaultSub: "status",
  subsIgnoreCase: true,
  variants: [
    variant({ sub: "status", schema: z.object({}).transform(() => ({ sub: "status" as const, yes: false })) }),
    variant({ sub: "snapshot", positionals: [{ name: "env" }], schema: z.object({ env }).transform((a) => ({ sub: "snapshot" as const, env: a.env, yes: false })) }),
    variant({ sub: "up", positionals: [{ name: "env" }], schema: z.object({ env }).transform((a) => ({ sub: "up" as const, env: a.env, yes: false })) }),
    variant({ sub: "down", positionals: [{ name: "env" }], flags: [{ name: "yes" }], schema: z.object({ env, yes: z.boolean() }).transform((a) => ({ sub: "down" as const, ...a })) }),
  ],
  messages: {
    unknownSub: (word): ArgsMessage => ({ message: `unknown /infra subcommand "${escapeEcho(word ?? "", 30)}"`, nextStep: `Use one of: ${infraSpec.usage.join(" · ")}` }),
    missing: (_n, ctx) => ({ message: `/infra ${ctx.variant?.sub ?? ""} needs an environment`, nextStep: `Type /infra ${ctx.variant?.sub ?? ""} <env>.` }),
    unknownFlag: (raw, ctx) => {
      const sub = ctx.variant?.sub ?? "status";
      if (sub === "status") return { message: "/infra status takes no arguments", nextStep: "Type /infra status." };
      if (ctx.positionals.length === 0) return { message: `expected an environment after /infra ${sub}, got the option "${escapeEcho(raw, 30)}"`, nextStep: `Type /infra ${sub} <env>${sub === "down" ? " --yes" : ""}.` };
      return `unexpected argument "${escapeEcho(raw, 30)}" for /infra ${sub}`;
    },
    extra: (word, ctx) => (ctx.variant?.sub === "status" ? { message: "/infra status takes no arguments", nextStep: "Type /infra status." } : `unexpected argument "${escapeEcho(word, 30)}" for /infra ${ctx.variant?.sub ?? ""}`),
  },
});
type ParsedArgs = ReturnType<typeof infraSpec.args.parse>;

function money(m: { gross: number; currency: string } | null): string {
  return m ? `${m.gross.toFixed(2)} ${m.currency}/month` : "price unknown";
}

function statusReply(s: InfraStatus): Reply {
  const total = s.servers.reduce((sum, x) => sum + (x.monthly?.gross ?? 0), 0);
  const currency = s.servers.find((x) => x.monthly)?.monthly?.currency ?? "";
  return {
    status: "info",
    title: `Infra: ${s.servers.length} server(s), ${s.snapshots.length} golden snapshot(s)`,
    fields: s.servers.map((x) => ({
      label: x.name,
      value: `${x.env ?? "no env label"} · ${x.serverType} in ${x.location} · ${x.ipv4 ?? "no IPv4"} · ${x.status} · ${money(x.monthly)} · up ${ms(x.ageMs)}`,
    })),
    lines: [
      ...(s.servers.length === 0 ? ["No server is running."] : [`Running cost: ${total.toFixed(2)} ${currency}/month`]),
      ...s.snapshots.map((i) => `Snapshot ${i.id} · ${i.env ?? "?"} · ${i.created.toISOString().replace(/\.\d+Z$/, "Z")} · ${i.sizeGb === null ? "size unknown" : `${i.sizeGb.toFixed(1)} GB`} · ${i.status}`),
      ...s.pendingDnsDeletions.map((p) => `DNS delete pending for ${p.name} (${p.owner}; ${p.attempts} attempt(s); last error: ${p.lastError})`),
    ],
  };
}

function snapshotReply(env: string, r: SnapshotResult): Reply {
  return {
    status: "success",
    title: `Golden snapshot of ${env} taken`,
    lines: [`Snapshot ${r.snapshot.id} of ${r.server.name} is available.`, r.pruned.length > 0 ? `Deleted ${r.pruned.length} older snapshot(s): ${r.pruned.map((p) => p.id).join(", ")}.` : "No older snapshot needed deleting."],
  };
}

function upReply(env: string, r: UpResult): Reply {
  const from = r.source.kind === "snapshot" ? `snapshot ${r.source.id}` : `image ${r.source.name}`;
  const lines = [`${r.server.name} (${r.server.serverType} in ${r.server.location}) is ${r.server.status} at ${r.server.ipv4 ?? "no IPv4"}, built from ${from}.`];
  if (r.dns.state === "updated") lines.push(`${r.dns.hostname} now points at it.`);
  if (r.dns.state === "failed") {
    return { status: "warning", title: `${env} is up, but its DNS record was not updated`, lines: [...lines, `DNS error: ${r.dns.error}`], nextStep: `Fix the DNS problem, then point ${r.dns.hostname} at ${r.server.ipv4 ?? "the server"} by hand or run /infra down ${env} and /infra up ${env} again.` };
  }
  return { status: "success", title: `${env} is up`, lines };
}

/**
 * `/infra status|snapshot <env>|up <env>|down <env>`. Who may run each is decided by the router
 * from `access.rules` (`infra`, or `infra up`, …; admins always).
 *
 * `down` is destructive. With an `approvals` hook, `/infra down <env>` opens a request on the
 * approval desk; it is decided with `/deploy approve|reject <id>` (its buttons) like every other
 * approval, and the desk runs the approved down. Without the hook, the simple mode: only admins
 * may take an env down, and only with a confirmation — `--yes`, which its button sends.
 */
export function createInfraHandler(options: InfraHandlerOptions): Handler {
  const ops = options.ops ?? createInfraOps(options);


  async function down(command: Command, env: string, parsed: Extract<ParsedArgs, { sub: "down" }>, progress: ProgressFn): Promise<Reply> {
    const actor = command.actor;
    const run = { actor: actorKey(actor), progress };
    if (options.approvals) {
      if (parsed.yes) throw new OpsError("forbidden", "/infra down needs an approval; --yes does not replace it", `Type /infra down ${env} to ask for one.`);
      return options.approvals.request({ command, env, description: await ops.describeDown(env), progress });
    }
    const isAdmin = actor.platform === "job" || rolesOf(options.access, actor).includes("admin");
    if (!isAdmin) throw new OpsError("forbidden", "/infra down is limited to admins until two-person approval is available", "Ask an admin to take the environment down.");
    if (!parsed.yes) {
      const d = await ops.describeDown(env);
      if (!d.actionable) throw new OpsError("not_found", d.title, "See /infra status.");
      return {
        status: "warning",
        title: d.title,
        lines: [...d.lines, `Confirm with the button or type /infra down ${env} --yes.`],
        buttons: [{ command: `/infra down ${env} --yes`, label: "Approve: snapshot and delete", style: "danger", confirm: `Snapshot and delete the ${env} server?` }],
      };
    }
    return downReply(env, await ops.down(env, { ...run, approved: true }));
  }

  return defineParsedHandler(infraSpec, {
    // The environment is resolved before authorisation: an unknown one is refused first.
    check: (parsed) => (parsed.sub === "status" ? parsed : { ...parsed, env: ops.env(parsed.env).env }),
    permission: (parsed) => (parsed.sub === "status" ? { key: "infra status", readOnly: true } : { key: `infra ${parsed.sub}`, readOnly: false, env: parsed.env }),
    async run(command, progress, parsed) {
      if (parsed.sub === "status") {
        await progress("Asking Hetzner for servers and snapshots…");
        return statusReply(await ops.status());
      }
      const env = parsed.env;
      // First message before any remote call: platforms want an answer within 3 s.
      await progress(`/infra ${parsed.sub} ${env}: starting…`);
      const run = { actor: actorKey(command.actor), progress };
      if (parsed.sub === "snapshot") return snapshotReply(env, await ops.snapshot(env, run));
      if (parsed.sub === "up") return upReply(env, await ops.up(env, run));
      return down(command, env, parsed, progress);
    },
  });
}
