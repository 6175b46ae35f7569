import { OpsError } from "../core/errors.js";
import { escapeEcho } from "../core/validate.js";

export interface ParsedFlags {
  positional: string[];
  bool: Set<string>;
  values: Map<string, string>;
}

/**
 * Split args into positionals and known flags. Anything else that starts with `-` is refused,
 * and so is a flag given twice: with `--env a --env b` there is no single value both the
 * authorisation and the run could agree on.
 */
export function parseFlags(args: string[], flags: Record<string, "bool" | "value">): ParsedFlags {
  const positional: string[] = [];
  const bool = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (!a.startsWith("-")) {
      positional.push(a);
      continue;
    }
    const kind = Object.hasOwn(flags, a) ? flags[a] : undefined;
    if (!kind) throw new OpsError("bad_input", `unknown option "${escapeEcho(a, 30)}"`, `Known options: ${Object.keys(flags).join(", ") || "none"}.`);
    if (bool.has(a) || values.has(a)) throw new OpsError("bad_input", `${a} is given more than once`, `Give ${a} once.`);
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

/**
 * Refuse a flag given twice (`--to a --to b`, `--yes --yes`, `--ttl=1d --ttl 2d`): with two
 * values there is no single one both the authorisation and the run could agree on. Stops at `--`.
 */
export function refuseRepeatedFlags(args: string[]): void {
  const seen = new Set<string>();
  for (const a of args) {
    if (a === "--") return;
    if (!a.startsWith("--")) continue;
    const name = a.split("=")[0] ?? a;
    if (seen.has(name)) throw new OpsError("bad_input", `${escapeEcho(name, 30)} is given more than once`, `Give ${escapeEcho(name, 30)} once.`);
    seen.add(name);
  }
}
