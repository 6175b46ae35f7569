import { open } from "node:fs/promises";
import type { AuditEntry } from "../core/audit-log.js";
import { OpsError } from "../core/errors.js";
import type { Handler } from "./handler.js";
import { parseFlags } from "./deploy.js";

export interface AuditHandlerOptions {
  /** The audit JSON-lines file the router writes. */
  path: string;
  /** Environment names, for `--env` validation. */
  environments: string[];
  /** How much of the end of the file is read (default 4 MiB): the newest entries are at the end. */
  tailBytes?: number;
}

/** The last `maxBytes` of a file, cut at the first full line; empty when the file does not exist. */
export async function readTail(path: string, maxBytes: number): Promise<string> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const text = buf.toString("utf8");
    return start > 0 ? text.slice(text.indexOf("\n") + 1) : text;
  } finally {
    await fh.close();
  }
}

function line(e: AuditEntry): string {
  const detail = e.detail ? `  — ${e.detail}` : "";
  return `${e.time.replace("T", " ").slice(0, 19)}  ${e.actor}  /${e.command} ${e.args.join(" ")}  ${e.decision}/${e.result}${detail}`;
}

/**
 * `/audit [n] [--env e]`: the newest audit entries (admins; no rule is needed, deny by default
 * keeps it to admins). `--env` keeps entries whose arguments name that environment.
 */
export function createAuditHandler(options: AuditHandlerOptions): Handler {
  return {
    name: "audit",
    summary: "show the newest audit log entries (admins)",
    usage: ["/audit [n] [--env <env>]"],
    permission: (args) => {
      const i = args.indexOf("--env");
      const env = i >= 0 ? args[i + 1] : undefined;
      return { key: "audit", readOnly: false, ...(env && options.environments.includes(env) ? { env } : {}) };
    },
    async run(command) {
      const { positional, values } = parseFlags(command.args, { "--env": "value" });
      const [nText, ...extra] = positional;
      if (extra.length > 0) throw new OpsError("bad_input", "usage: /audit [n] [--env <env>]", "Example: /audit 50 --env prod");
      const n = nText === undefined ? 20 : Number(nText);
      if (!Number.isInteger(n) || n < 1 || n > 200) throw new OpsError("bad_input", "n must be a whole number from 1 to 200", "Example: /audit 50");
      const env = values.get("--env");
      if (env !== undefined && !options.environments.includes(env)) {
        throw new OpsError("bad_input", "unknown environment for --env", `Use one of: ${options.environments.join(", ") || "(none configured)"}.`);
      }
      const entries: AuditEntry[] = [];
      for (const raw of (await readTail(options.path, options.tailBytes ?? 4 * 1024 * 1024)).split("\n")) {
        if (!raw.trim()) continue;
        try {
          entries.push(JSON.parse(raw) as AuditEntry);
        } catch {
          // A torn last line (written while we read) is skipped.
        }
      }
      const picked = (env ? entries.filter((e) => e.args.includes(env)) : entries).slice(-n);
      return {
        status: "info",
        title: `audit log: last ${picked.length} entr${picked.length === 1 ? "y" : "ies"}${env ? ` for ${env}` : ""}`,
        visibility: "actor",
        ...(picked.length > 0 ? { code: picked.map(line).join("\n") } : { lines: ["No entries."] }),
      };
    },
  };
}
