import type { AuditEntry } from "../core/audit-log.js";
import { OpsError } from "../core/errors.js";
import { readAuditEntries } from "../core/read-audit.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { wholeNumberArg } from "../core/arg-schemas.js";
import { defineParsedHandler, type Handler } from "./handler.js";

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

/** `/audit [n] [--env e]`, parsed once for both authorisation and the run. */
export const auditSpec = defineCommand({
  name: "audit",
  summary: "show the newest audit log entries (admins)",
  variants: [
    variant({
      positionals: [{ name: "n", optional: true }],
      flags: [{ name: "env", value: "<env>" }],
      schema: z.object({ n: wholeNumberArg("n", 1, 200, 20), env: z.string().optional() }),
      hint: "Example: /audit 50 --env prod",
    }),
  ],
});
export type AuditArgs = ReturnType<typeof auditSpec.args.parse>;

/**
 * `/audit [n] [--env e]`: the newest audit entries (admins; no rule is needed, deny by default
 * keeps it to admins). `--env` keeps entries whose arguments name that environment.
 */
export function createAuditHandler(options: AuditHandlerOptions): Handler {
  return defineParsedHandler(auditSpec, {
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
