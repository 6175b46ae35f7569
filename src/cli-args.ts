import { parseArgs } from "node:util";

export interface CliArgs {
  mode: "interactive" | "run" | "check-config" | "trust-host" | "help";
  text?: string;
  /** `trust-host`: the host name and the fingerprint to accept. */
  host?: string;
  fingerprint?: string;
  configPath: string;
}

export const USAGE = `usage:
  opsdeck [--config FILE]                 start the bot (chat adapters from the config; console prompt by default)
  opsdeck run "/preview list" [--config FILE]   run one command, print the reply, exit 1 on failure
  opsdeck check-config [--config FILE]    validate the config and exit
  opsdeck trust-host HOST SHA256:…        accept a changed SSH host key (after checking it on the host; bot stopped)
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
  if (verb === "trust-host") {
    const [host, fingerprint, ...extra] = rest;
    if (host === undefined || fingerprint === undefined || extra.length > 0) throw new Error('"trust-host" needs the host name and the new fingerprint, e.g. opsdeck trust-host preview1 SHA256:…');
    return { mode: "trust-host", host, fingerprint, configPath };
  }
  throw new Error(`unknown verb "${verb}"`);
}
