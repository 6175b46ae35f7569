import { z } from "zod";

/**
 * Pieces every config section uses. This module imports nothing from the other config modules,
 * so any of them can import it without an import cycle through schema.ts.
 */

/** The name of an environment variable that holds a secret; the secret itself never sits in the file. */
export function envVarName(example: string): z.ZodString {
  return z.string().regex(/^[A-Z][A-Z0-9_]*$/, `must be an environment variable name such as ${example}`);
}

/**
 * Names of things in the config (hosts, environments, roles, backup envs): they end up in lock
 * file names, compose labels and chat commands, so one rule for all of them.
 */
export const CONFIG_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** A config name, with the message the section wants to show for a bad one. */
export function configName(message: string): z.ZodString {
  return z.string().regex(CONFIG_NAME, message);
}

/** A key of `hosts:`; whether it is declared is checked across sections in `Config.superRefine`. */
export const HostName = configName("must name a host declared under hosts (e.g. local)");

/**
 * An absolute path on a host: letters, digits and `. _ - / @ +` only, no `..`. With
 * `{ home: true }` it may also start with `~/` — only for paths whose consumer expands `~`
 * itself (the host shell does for lock and base directories); a quoted `~` never expands.
 */
export function absPath(example: string, options: { home?: boolean } = {}): z.ZodString {
  const pattern = options.home ? /^(\/|~\/)[A-Za-z0-9._\/@+-]*$/ : /^\/[A-Za-z0-9._\/@+-]*$/;
  const shape = options.home ? `an absolute path such as ${example} or ~/previews` : `an absolute path such as ${example}`;
  return z
    .string()
    .regex(pattern, `must be ${shape} (letters, digits, . _ - / only)`)
    .refine((p) => !p.split("/").includes(".."), "must not contain '..'");
}
