import { OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";

/**
 * A fixed script: reads one line from stdin into the environment variable named by `$1`, then
 * runs the rest of its arguments. The secret travels on stdin only — never on a command line
 * (visible in `ps`) nor in a file.
 */
const WITH_SECRET_ENV = 'IFS= read -r v; n=$1; shift; export "$n=$v"; unset v n; exec "$@"';

/** `argv` run with `variable` set to the secret (e.g. PGPASSWORD, REDISCLI_AUTH), or as is without one. */
export function withSecretEnv(variable: string, argv: readonly string[], secret: Secret | undefined, what: string): { argv: string[]; stdin?: string } {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(variable)) throw new Error(`bad variable name ${variable}`);
  if (!secret) return { argv: [...argv] };
  const value = secret.reveal();
  if (/[\r\n\0]/.test(value)) {
    throw new OpsError("config", `the password for ${what} contains a line break`, "Set its environment variable to a single-line password and restart opsdeck.");
  }
  return { argv: ["sh", "-c", WITH_SECRET_ENV, "sh", variable, ...argv], stdin: `${value}\n` };
}
