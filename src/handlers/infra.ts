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
import type { CommandSpec } from "../core/command-spec.js";
import { defineParsedHandler, type Handler } from "./handler.js";

export interface InfraHandlerOptions extends InfraDeps {
  access: Access;
  approvals?: InfraDownApproval;
  /** Prebuilt operations (tests, or main.ts sharing them with a job); built from the deps otherwise. */
  ops?: InfraOps;
}

type Sub = "status" | "snapshot" | "up" | "down";
interface ParsedArgs {
  sub: Sub;
  env?: string;
  yes: boolean;
}

export const infraSpec: CommandSpec = {
  name: "infra",
  summary: "Hetzner preview servers: status, golden snapshots, up and down",
  subcommands: ["status", "snapshot", "up", "down"],
  usage: ["/infra status", "/infra snapshot <env>", "/infra up <env>", "/infra down <env> [--yes]"],
  section: "hetzner",
};
const USAGE = infraSpec.usage;

function parseArgs(args: string[]): ParsedArgs {
  const [rawSub = "status", rawEnv, ...rest] = args;
  const sub = rawSub.toLowerCase();
  if (sub !== "status" && sub !== "snapshot" && sub !== "up" && sub !== "down") {
    throw new OpsError("bad_input", `unknown /infra subcommand "${escapeEcho(rawSub, 30)}"`, `Use one of: ${USAGE.join(" · ")}`);
  }
  if (sub === "status") {
    if (args.length > 1) throw new OpsError("bad_input", "/infra status takes no arguments", "Type /infra status.");
    return { sub, yes: false };
  }
  if (rawEnv === undefined) throw new OpsError("bad_input", `/infra ${sub} needs an environment`, `Type /infra ${sub} <env>.`);
  if (rawEnv.startsWith("-")) {
    throw new OpsError("bad_input", `expected an environment after /infra ${sub}, got the option "${escapeEcho(rawEnv, 30)}"`, `Type /infra ${sub} <env>${sub === "down" ? " --yes" : ""}.`);
  }
  let yes = false;
  for (const flag of rest) {
    if (sub === "down" && flag === "--yes") yes = true;
    else throw new OpsError("bad_input", `unexpected argument "${escapeEcho(flag, 30)}" for /infra ${sub}`, `Usage: ${USAGE.find((u) => u.includes(sub)) ?? USAGE[0]}${sub === "down" ? " [--yes]" : ""}`);
  }
  return { sub, env: rawEnv, yes };
}

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


  async function down(command: Command, env: string, parsed: ParsedArgs, progress: ProgressFn): Promise<Reply> {
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

  return defineParsedHandler<ParsedArgs>(infraSpec, {
    // The environment is resolved in the parse: an unknown one is refused before authorisation.
    parse: (args) => {
      const parsed = parseArgs(args);
      return parsed.sub === "status" ? parsed : { ...parsed, env: ops.env(parsed.env ?? "").env };
    },
    permission: (parsed) => (parsed.sub === "status" ? { key: "infra status", readOnly: true } : { key: `infra ${parsed.sub}`, readOnly: false, env: parsed.env ?? "" }),
    async run(command, progress, parsed) {
      if (parsed.sub === "status") {
        await progress("Asking Hetzner for servers and snapshots…");
        return statusReply(await ops.status());
      }
      const env = parsed.env ?? "";
      // First message before any remote call: platforms want an answer within 3 s.
      await progress(`/infra ${parsed.sub} ${env}: starting…`);
      const run = { actor: actorKey(command.actor), progress };
      if (parsed.sub === "snapshot") return snapshotReply(env, await ops.snapshot(env, run));
      if (parsed.sub === "up") return upReply(env, await ops.up(env, run));
      return down(command, env, parsed, progress);
    },
  });
}
