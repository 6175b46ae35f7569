/**
 * Every environment-variable name the config gives for a secret: the values of keys ending in
 * `_env` (`bot_token_env`, `password_env`, `api_token_env`, …), wherever they sit. The app
 * registers each set value with the redactor at start, in every mode: a one-shot
 * `opsdeck run` never starts the chat adapters, yet a failing command's output may still print
 * the Slack signing secret or a database password.
 */
const NOT_SECRETS = new Set(["source_env"]); // `seed.<env>.source_env` names an environment, not a variable
const VAR_NAME = /^[A-Z][A-Z0-9_]*$/;

export function secretEnvNames(config: unknown): string[] {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      if (key.endsWith("_env") && !NOT_SECRETS.has(key) && typeof v === "string" && VAR_NAME.test(v)) names.add(v);
      else walk(v);
    }
  };
  walk(config);
  return [...names];
}
