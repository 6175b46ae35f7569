import { parseArgs } from "node:util";

export interface CliArgs {
  mode: "interactive" | "run" | "check-config" | "help";
  text?: string;
  configPath: string;
}

export const USAGE = `usage:
  opsdeck [--config FILE]                 start the bot (chat adapters from the config; console prompt by default)
  opsdeck run "/preview list" [--config FILE]   run one command, print the reply, exit 1 on failure
  opsdeck check-config [--config FILE]    validate the config and exit
Default config: config/opsdeck.yaml (or $OPSDECK_CONFIG).`;

export function parseCliArgs(argv: string[], defaultConfig: string): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
  });
  const configPath = values.config ?? defaultConfig;
  if (values.help) return { mode: "help", configPath };
  const [verb, ...rest] = positionals;
  if (verb === undefined) return { mode: "interactive", configPath };
  if (verb === "run") {
    if (rest.length === 0) throw new Error('"run" needs the command text, e.g. opsdeck run "/preview list"');
    return { mode: "run", text: rest.join(" "), configPath };
  }
  if (verb === "check-config") return { mode: "check-config", configPath };
  throw new Error(`unknown verb "${verb}"`);
}
