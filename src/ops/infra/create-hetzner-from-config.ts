import type { Hetzner } from "../../config/infra-config.js";
import { ConfigError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import { Secret } from "../../core/secret.js";
import { createHetznerClient, type HetznerClient } from "../adapters/hetzner-client.js";

/** The Hetzner client for `main.ts`, from the `hetzner:` section; the token is registered with the redactor. */
export function createHetznerFromConfig(config: Hetzner, options: { log: Logger; redact: Redactor; readEnv: (name: string) => string | undefined }): HetznerClient {
  const raw = options.readEnv(config.api_token_env);
  if (!raw) throw new ConfigError([`hetzner.api_token_env: the environment variable ${config.api_token_env} is empty or unset — export a Read & Write Hetzner Cloud API token there`]);
  const token = new Secret(raw);
  options.redact.add(token);
  return createHetznerClient({ baseUrl: config.api_url, token, log: options.log.child({ component: "hetzner" }), tokenEnvName: config.api_token_env });
}
