import type { z } from "zod";
import { OpsError } from "./errors.js";
import { escapeEcho } from "./validate.js";

/** A positional argument: `<env>` when required, `[n]` when optional. */
export interface PositionalDecl {
  readonly name: string;
  readonly optional?: boolean;
  /** What the usage line shows inside `<…>` / `[…]` (default: the name), e.g. `branch|slug`. */
  readonly label?: string;
  /**
   * Shown as required, but a missing value reaches the schema as `undefined`: the schema or the
   * handler's check names what is missing with the configured choices (`/deploy staging` →
   * "no ref given" with the environment's tag pattern).
   */
  readonly lenient?: boolean;
}

/** A flag: boolean (`--dry-run`) or with a value (`--group <name>`). */
export interface FlagDecl {
  /** Without the dashes: `dry-run`. The schema sees it under this key. */
  readonly name: string;
  /** The value's placeholder as the usage line shows it (`<name>`, `3d`); absent for a boolean flag. */
  readonly value?: string;
  /** `required`: shown without brackets (`--dry-run`); `hidden`: accepted, never shown (buttons send it). */
  readonly shown?: "required" | "hidden";
}

/** The raw, tokenised input a variant's schema reads: positionals and flags by name. */
export type RawArgs = Record<string, string | boolean | undefined>;

export interface VariantDecl<S extends z.ZodType> {
  /** The first word that selects this variant (`history`); absent for a default variant. */
  readonly sub?: string;
  readonly positionals?: readonly PositionalDecl[];
  readonly flags?: readonly FlagDecl[];
  /** Validates and types the raw arguments; its issue messages are what the user reads. */
  readonly schema: S;
  /** The next step for arguments of the wrong count or type, e.g. `Example: /deploy history staging 20`. */
  readonly hint?: string;
}

export interface Variant<T> extends Omit<VariantDecl<z.ZodType>, "schema"> {
  readonly schema: z.ZodType;
  /** The usage line rendered from the declaration. */
  readonly usage: string;
  readonly parse: (raw: RawArgs) => z.ZodSafeParseResult<T>;
}

/** A declared variant, typed by its schema's output. */
export function variant<S extends z.ZodType>(decl: VariantDecl<S>): Omit<Variant<z.output<S>>, "usage"> {
  return { ...decl, parse: (raw) => decl.schema.safeParse(raw) as z.ZodSafeParseResult<z.output<S>> };
}

/** Where a refusal happened, for the messages below. */
export interface ArgsContext {
  readonly command: string;
  readonly variant?: Variant<unknown>;
  /** Positionals read so far. */
  readonly positionals: readonly string[];
}

/** A refusal: the message and, when the default next step does not fit, its own. */
export type ArgsMessage = string | { message: string; nextStep: string };

/** The refusals a command may word in its own way; the defaults follow `/deploy`'s wording. */
export interface ArgsMessages {
  unknownSub(word: string | undefined, ctx: ArgsContext): ArgsMessage;
  unknownFlag(raw: string, ctx: ArgsContext): ArgsMessage;
  missing(name: string, ctx: ArgsContext): ArgsMessage;
  extra(word: string, ctx: ArgsContext): ArgsMessage;
  /** A flag given twice, a boolean flag given a value, a value flag without one. */
  flag(problem: "repeated" | "no value allowed" | "value missing", flag: FlagDecl, ctx: ArgsContext): ArgsMessage;
  /** The next step of every refusal that does not name its own. */
  nextStep(ctx: ArgsContext): string;
}

export interface CommandArgsDecl<V> {
  readonly variants: readonly V[];
  /** The variant used for no arguments at all (`/backup` = `/backup status`). */
  readonly defaultSub?: string;
  /** `/infra STATUS` = `/infra status` (the sub-command word only; arguments keep their case). */
  readonly subsIgnoreCase?: boolean;
  readonly messages?: Partial<ArgsMessages>;
}

/** The typed value a command's variants parse to (the union of their schemas' outputs). */
export type ArgsOutput<V> = V extends Omit<Variant<infer T>, "usage"> ? T : never;

export interface CommandArgs<T> {
  readonly variants: readonly Variant<T>[];
  /** Usage lines, one per variant, in declaration order. */
  readonly usage: readonly string[];
  readonly subcommands: readonly string[];
  /** Tokenise, pick the variant, validate: the typed value, or `OpsError("bad_input")`. */
  parse(args: readonly string[]): T;
}

function renderUsage(command: string, v: VariantDecl<z.ZodType>): string {
  const pos = (v.positionals ?? []).map((p) => (p.optional ? `[${p.label ?? p.name}]` : `<${p.label ?? p.name}>`));
  const flags = (v.flags ?? [])
    .filter((f) => f.shown !== "hidden")
    .map((f) => {
      const text = `--${f.name}${f.value !== undefined ? ` ${f.value}` : ""}`;
      return f.shown === "required" ? text : `[${text}]`;
    });
  return [`/${command}`, ...(v.sub !== undefined ? [v.sub] : []), ...pos, ...flags].join(" ");
}

const defaultMessages: ArgsMessages = {
  unknownSub: (word, ctx) => (word === undefined ? `/${ctx.command} needs a sub-command` : `unknown /${ctx.command} sub-command "${escapeEcho(word, 30)}"`),
  unknownFlag: (raw, ctx) => ({ message: `unknown option "${escapeEcho(raw, 30)}"`, nextStep: `Known options: ${(ctx.variant?.flags ?? []).filter((f) => f.shown !== "hidden").map((f) => `--${f.name}`).join(", ") || "none"}.` }),
  missing: (_name, ctx) => `usage: ${ctx.variant?.usage ?? `/${ctx.command}`}`,
  extra: (_word, ctx) => `usage: ${ctx.variant?.usage ?? `/${ctx.command}`}`,
  flag: (problem, f) => {
    const shown = `--${f.name}`;
    if (problem === "repeated") return { message: `${shown} is given more than once`, nextStep: `Give ${shown} once.` };
    if (problem === "no value allowed") return { message: `${shown} takes no value`, nextStep: `Write ${shown} on its own.` };
    return { message: `${shown} needs a value`, nextStep: `Write ${shown} ${f.value ?? "<value>"}.` };
  },
  nextStep: (ctx) => ctx.variant?.hint ?? `Usage: ${ctx.variant?.usage ?? `/${ctx.command}`}`,
};

/**
 * One command's argument declaration: the parser, the validation and the usage lines all come
 * from it, so `/help` cannot show a form the parser refuses. Tokens: `--` ends the flags;
 * `--name value` and `--name=value`; a flag given twice is refused (two values leave nothing
 * both the authorisation and the run could agree on); anything else starting with `-` is an
 * unknown option. A value flag takes the next word unless it starts with `--` (`--ttl -1` is a
 * value the schema refuses with the allowed range).
 */
export function defineArgs<V extends Omit<Variant<unknown>, "usage">>(command: string, decl: CommandArgsDecl<V>): CommandArgs<ArgsOutput<V>> {
  type T = ArgsOutput<V>;
  const variants = decl.variants.map((v) => ({ ...v, usage: renderUsage(command, v) }) as unknown as Variant<T>);
  const msg = { ...defaultMessages, ...decl.messages };
  const fail = (m: ArgsMessage, ctx: ArgsContext): never => {
    if (typeof m === "string") throw new OpsError("bad_input", m, msg.nextStep(ctx));
    throw new OpsError("bad_input", m.message, m.nextStep);
  };
  const bySub = new Map(variants.filter((v) => v.sub !== undefined).map((v) => [v.sub as string, v]));
  const defaults = variants.filter((v) => v.sub === undefined);

  function pick(args: readonly string[]): { candidates: Variant<T>[]; rest: readonly string[] } {
    const first = args.length === 0 ? decl.defaultSub : args[0];
    const chosen = first !== undefined ? bySub.get(decl.subsIgnoreCase ? first.toLowerCase() : first) : undefined;
    if (chosen) return { candidates: [chosen], rest: args.length === 0 ? [] : args.slice(1) };
    if (defaults.length === 0) return fail(msg.unknownSub(first, { command, positionals: [] }), { command, positionals: [] });
    return { candidates: defaults, rest: args };
  }

  function tokenise(v: Variant<T>, rest: readonly string[]): { positionals: string[]; flags: RawArgs } {
    const positionals: string[] = [];
    const flags: RawArgs = {};
    const ctx = (): ArgsContext => ({ command, variant: v as Variant<unknown>, positionals });
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i] ?? "";
      if (a === "--") {
        for (const p of rest.slice(i + 1)) {
          if (p.startsWith("-")) fail(`"${escapeEcho(p, 40)}" starts with "-"; names never do`, ctx());
          positionals.push(p);
        }
        break;
      }
      if (!a.startsWith("-") || a === "-") {
        positionals.push(a);
        continue;
      }
      const eq = a.indexOf("=");
      const name = a.startsWith("--") ? a.slice(2, eq === -1 ? undefined : eq) : "";
      const flag = (v.flags ?? []).find((f) => f.name === name);
      if (!flag) return fail(msg.unknownFlag(a, ctx()), ctx());
      if (Object.hasOwn(flags, flag.name)) fail(msg.flag("repeated", flag, ctx()), ctx());
      if (flag.value === undefined) {
        if (eq !== -1) fail(msg.flag("no value allowed", flag, ctx()), ctx());
        flags[flag.name] = true;
        continue;
      }
      const value = eq !== -1 ? a.slice(eq + 1) : rest[i + 1];
      if (value === undefined || (eq === -1 && value.startsWith("--"))) fail(msg.flag("value missing", flag, ctx()), ctx());
      flags[flag.name] = value;
      if (eq === -1) i++;
    }
    for (const f of v.flags ?? []) if (f.value === undefined && flags[f.name] === undefined) flags[f.name] = false;
    return { positionals, flags };
  }

  /** Of several default variants (`/status`, `/status <env>`) the first whose positionals fit. */
  function fits(v: Variant<T>, count: number): boolean {
    const all = v.positionals ?? [];
    return count >= all.filter((p) => !p.optional && !p.lenient).length && count <= all.length;
  }

  function parse(args: readonly string[]): T {
    const { candidates, rest } = pick(args);
    let v = candidates[0] as Variant<T>;
    let tokens = tokenise(v, rest);
    if (candidates.length > 1) {
      v = candidates.find((c) => fits(c, tokens.positionals.length)) ?? (candidates[candidates.length - 1] as Variant<T>);
      tokens = tokenise(v, rest);
    }
    const ctx: ArgsContext = { command, variant: v as Variant<unknown>, positionals: tokens.positionals };
    const decls = v.positionals ?? [];
    const raw: RawArgs = { ...tokens.flags };
    decls.forEach((p, i) => {
      const value = tokens.positionals[i];
      if (value === undefined && !p.optional && !p.lenient) fail(msg.missing(p.name, ctx), ctx);
      if (value !== undefined) raw[p.name] = value;
    });
    const extra = tokens.positionals[decls.length];
    if (extra !== undefined) fail(msg.extra(extra, ctx), ctx);
    const result = v.parse(raw);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []).join(".");
    const text = issue?.message ?? "invalid arguments";
    const nextStep = (issue?.code === "custom" ? (issue.params as { nextStep?: string } | undefined)?.nextStep : undefined) ?? msg.nextStep(ctx);
    // A message that does not name its argument (zod's own wording) gets the name in front.
    const named = path === "" || new RegExp(`(^|[^a-z])${path.replace(/[^a-z0-9]/gi, "")}([^a-z]|$)`, "i").test(text);
    throw new OpsError("bad_input", named ? text : `${path}: ${text}`, nextStep);
  }

  return { variants, usage: variants.map((v) => v.usage), subcommands: [...bySub.keys()], parse };
}
