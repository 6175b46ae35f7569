import { z } from "zod";

/**
 * Pieces every config section uses. This module imports nothing from the other config modules,
 * so any of them can import it without an import cycle through schema.ts.
 */

/** The name of an environment variable that holds a secret; the secret itself never sits in the file. */
export function envVarName(example: string): z.ZodString {
  return z.string().regex(/^[A-Z][A-Z0-9_]*$/, `must be an environment variable name such as ${example}`);
}

/** A key of `hosts:`; whether it is declared is checked across sections in `Config.superRefine`. */
export const HostName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "must name a host declared under hosts (e.g. local)");
