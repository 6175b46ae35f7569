/** Read an environment variable named in the config; only `src/config/` touches `process.env`. */
export function readSecretEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[name];
  return v && v.length > 0 ? v : undefined;
}
