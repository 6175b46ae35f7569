import { ConfigError } from "../core/errors.js";
import { MIN_SECRET_LENGTH } from "../core/redact.js";

/**
 * Read a secret from an environment variable named in the config; only `src/config/` touches
 * `process.env`. A value shorter than 6 characters is refused with a `ConfigError` naming the
 * variable: the redactor cannot hide it without mangling ordinary text, so it would leak.
 */
export function readSecretEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = readEnvValue(name, env);
  if (v !== undefined && v.length < MIN_SECRET_LENGTH) {
    throw new ConfigError([
      `environment variable ${name} holds a ${v.length}-character secret; secrets must be at least ${MIN_SECRET_LENGTH} characters, since shorter ones cannot be redacted from replies and logs — set a longer one (e.g. openssl rand -base64 24)`,
    ]);
  }
  return v;
}

/** Read a plain (non-secret) environment variable; empty counts as unset. */
export function readEnvValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[name];
  return v && v.length > 0 ? v : undefined;
}
