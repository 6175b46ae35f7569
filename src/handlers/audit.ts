import type { AuditEntry } from "../core/audit-log.js";
import { OpsError } from "../core/errors.js";
import { readAuditEntries } from "../core/read-audit.js";
import type { CommandSpec } from "../core/command-spec.js";
import { defineParsedHandler, type Handler } from "./handler.js";
import { parseFlags } from "./parse-flags.js";

export interface AuditHandlerOptions {
  /** The audit JSON-lines file the router writes. */
  path: string;
  /** Environment names, for `--env` validation. */
  environments: string[];
  /** How much is read at most, over the current and rotated files (default 4 MiB): the newest entries are at the ends. */
  tailBytes?: number;
}

function line(e: AuditEntry): string {
  const detail = e.detail ? `  — ${e.detail}` : "";
  return `${e.time.replace("T", " ").slice(0, 19)}  ${e.actor}  /${e.command} ${e.args.join(" ")}  ${e.decision}/${e.result}${detail}`;
}

export const auditSpec: CommandSpec = {
  name: "audit",
  summary: "show the newest audit log entries (admins)",
  subcommands: [],
  usage: ["/audit [n] [--env <env>]"],
};

export interface AuditArgs {
  n: number;
  env?: string;
}

/** `/audit [n] [--env e]`, parsed once for both authorisation and the run. */
export function parseAuditArgs(args: string[]): AuditArgs {
  const { positional, values } = parseFlags(args, { "--env": "value" });
  const [nText, ...extra] = positional;
  if (extra.length > 0) throw new OpsError("bad_input", "usage: /audit [n] [--env <env>]", "Example: /audit 50 --env prod");
  const n = nText === undefined ? 20 : Number(nText);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new OpsError("bad_input", "n must be a whole number from 1 to 200", "Example: /audit 50");
  const env = values.get("--env");
  return { n, ...(env !== undefined ? { env } : {}) };
}

/**
 * `/audit [n] [--env e]`: the newest audit entries (admins; no rule is needed, deny by default
 * keeps it to admins). `--env` keeps entries whose arguments name that environment.
 */
export function createAuditHandler(options: AuditHandlerOptions): Handler {
  return defineParsedHandler<AuditArgs>(auditSpec, {
    parse: parseAuditArgs,
    // An unknown --env is refused by the run, after authorisation, so it lists env names to admins only.
    permission: (args) => ({ key: "audit", readOnly: false, ...(args.env !== undefined && options.environments.includes(args.env) ? { env: args.env } : {}) }),
    async run(_command, _progress, { n, env }) {
      if (env !== undefined && !options.environments.includes(env)) {
        throw new OpsError("bad_input", "unknown environment for --env", `Use one of: ${options.environments.join(", ") || "(none configured)"}.`);
      }
      const picked = await readAuditEntries(options.path, {
        limit: n,
        ...(env ? { filter: (e: AuditEntry) => e.args.includes(env) } : {}),
        ...(options.tailBytes ? { maxBytes: options.tailBytes } : {}),
      });
      return {
        status: "info",
        title: `audit log: last ${picked.length} entr${picked.length === 1 ? "y" : "ies"}${env ? ` for ${env}` : ""}`,
        visibility: "actor",
        ...(picked.length > 0 ? { code: picked.map(line).join("\n") } : { lines: ["No entries."] }),
      };
    },
  });
}
