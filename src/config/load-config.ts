import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { readEnvValue, readSecretEnv } from "./read-secret-env.js";
import { Config } from "./schema.js";
import { suggestKey } from "./suggest-key.js";

/** Examples of valid values, keyed by the last path segment, used in error messages. */
const EXAMPLES: Record<string, string> = {
  data_dir: "data",
  log_level: "info",
  port: "8787",
  host: "local",
  hosts: "{ local: { type: local } }",
  type: "local (or ssh)",
  address: "10.0.0.5",
  user: "deploy",
  key_path: "~/.ssh/id_ed25519",
  base_dir: "/srv/previews",
  domain: "preview.example.com",
  image: "ghcr.io/acme/app:{ref}",
  quota: "5",
  default_ttl: "3d",
  max_ttl: "14d",
  health_timeout: "3m",
  command_timeout: "2m",
  min_free_disk_mb: "2048",
  min_free_memory_mb: "512",
  enabled: "true",
  credentials: "[DB_PASSWORD, APP_SECRET]",
  roles: "{ admin: [\"slack:U0123\"] }",
  rules: "{ preview: [deployer, admin] }",
  provider: "none",
  api_token_env: "CLOUDFLARE_API_TOKEN",
};

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file it came from. */
  path: string;
  /** Directory relative paths in the config are resolved against: where opsdeck was started. */
  baseDir: string;
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[");
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const key = formatPath(issue.path) || "(top level)";
  const last = [...issue.path].reverse().find((p) => typeof p === "string");
  let problem = issue.message;
  if (issue.code === "invalid_type") {
    const got = valueAt(raw, issue.path);
    problem = got === undefined ? "is missing" : `must be of type ${issue.expected}, not ${Array.isArray(got) ? "a list" : typeof got} ${JSON.stringify(got)?.slice(0, 40)}`;
  }
  if (issue.code === "unrecognized_keys") {
    const named = issue.keys.map((k) => {
      const near = suggestKey(Config, issue.path, k);
      return near ? `"${k}" (did you mean ${near}?)` : `"${k}"`;
    });
    return `${key ? `${key}: ` : ""}unknown key(s) ${named.join(", ")} — check the spelling against config/example.full.yaml`;
  }
  const example = typeof last === "string" ? EXAMPLES[last] : undefined;
  const hint = example && !/such as|e\.g\./.test(problem) ? ` (example: ${key.split(".").pop()}: ${example})` : "";
  return `${key}: ${problem}${hint}`;
}

/** Parse and validate config text; throws `ConfigError` listing every problem. */
export function parseConfig(text: string, source = "config"): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      throw new ConfigError([`${source}${pos ? ` line ${pos.line}, column ${pos.col}` : ""}: not valid YAML (${err.code}) — check indentation and quoting`]);
    }
    throw err;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([`${source}: must be a YAML mapping with at least "hosts" (example: hosts: { local: { type: local } })`]);
  }
  const result = Config.safeParse(raw);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, raw)));
  return result.data;
}

/** Read, parse and validate the config file at `path`. */
export function loadConfig(path: string): LoadedConfig {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([`${abs}: cannot read the config file (${code ?? "error"}) — pass --config <file> or create it from config/example.full.yaml`]);
  }
  const config = parseConfig(text, abs);
  return { config, path: abs, baseDir: process.cwd() };
}

/** Resolve a path from the config against the config file's directory. */
export function resolveConfigPath(loaded: Pick<LoadedConfig, "baseDir">, p: string): string {
  return isAbsolute(p) ? p : resolve(loaded.baseDir, p);
}

export { readSecretEnv };

/** `$OPSDECK_CONFIG`, else `config/opsdeck.yaml` in the working directory. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return readEnvValue("OPSDECK_CONFIG", env) ?? "config/opsdeck.yaml";
}
