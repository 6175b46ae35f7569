import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { DestinationStream } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { CHAT_COMMANDS } from "../../src/bot/discord/chat-commands.js";
import { slashCommandBodies } from "../../src/bot/discord/register-slash-commands.js";
import { renderSlackManifest } from "../../src/bot/slack/render-slack-manifest.js";
import { SLACK_COMMANDS } from "../../src/bot/slack/slack-command.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { Command, Reply } from "../../src/core/command.js";
import { COMMAND_SPECS } from "../../src/handlers/registry.js";

const dirs: string[] = [];
const apps: App[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The real app (handlers, router) from a config text; `@DIR@` is a fresh temp dir. */
async function appFrom(yaml: (dir: string) => string): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-reg-"));
  dirs.push(dir);
  const sink = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as DestinationStream; // a Writable is a valid pino destination
  const app = await createApp({ loaded: { config: parseConfig(yaml(dir), "test config"), path: join(dir, "opsdeck.yaml"), baseDir: process.cwd() }, env: { HCLOUD_TOKEN: "hcloud-test-token-0123456789" }, logDestination: sink });
  apps.push(app);
  return app;
}

async function send(app: App, name: string, args: string[]): Promise<Reply> {
  const command: Command = { name, args, text: `/${name} ${args.join(" ")}`.trim(), actor: { platform: "console", id: "local", name: "local" }, channelId: "test", respond: async () => {}, update: async () => {} };
  return app.router.dispatch(command);
}

const FULL = (dir: string): string => `data_dir: ${dir}/data
http: { enabled: false }
hosts:
  local: { type: local }
previews: { host: local, base_dir: ${dir}/previews, domain: localhost, url: "http://{hostname}", template: templates/preview/docker-compose.yml, image: "nginx:{ref}", default_ref: 1.27-alpine }
dns: { provider: none }
access: { roles: { admin: ["console:local"] }, rules: {} }
environments:
  staging: { host: local, compose_dir: ${dir}/staging, project: reg-staging }
  preprod: { host: local, compose_dir: ${dir}/preprod, project: reg-preprod }
  prod: { host: local, compose_dir: ${dir}/prod, project: reg-prod, protected: true, approval: { approvers: [admin] } }
backups:
  prod: { host: local, dump_dir: ${dir}/dumps, seed_dir: ${dir}/seed, databases: [{ name: shop, host: 127.0.0.1, port: 5432, user: backup }] }
seed:
  preprod: { source_env: prod, source_host: local, seed_dir: ${dir}/seed, target_host: local, databases: [{ name: shop_preprod, source_name: shop, user: app }], app_services: { compose_dir: ${dir}/preprod, project: reg-preprod, services: [web] } }
runbooks:
  disk-full: { description: Free disk space, steps: [{ name: look, host: local, command: [df, -h] }] }
hetzner: { api_token_env: HCLOUD_TOKEN, location: nbg1, server_type: cx22, image: debian-12, envs: { preprod: {} } }
`;

/** A configured value for each placeholder; `<env>` depends on which environments the command serves. */
const ENV_OF: Record<string, string> = { seed: "preprod", backup: "prod", infra: "preprod", audit: "prod" };
const VALUES: Record<string, string> = {
  "<branch>": "feature-x",
  "<branch|slug>": "feature-x",
  "<duration>": "2d",
  "<commit>": "1a2b3c4",
  "<ref>": "sha-1a2b3c4",
  "<id>": "a1b2c3",
  n: "5",
  db: "shop",
  "<db>": "shop",
  "<dump-id|latest>": "latest",
  "<dump-id>": "shop-20261123T025500Z",
  "<name>": "disk-full",
  step: "1",
};

/** Both forms of a usage line: every optional part given, and none. */
function argsOf(command: string, usage: string): string[][] {
  const rest = usage.replace(new RegExp(`^/${command}\\s*`), "");
  const fill = (text: string): string[] =>
    text
      .split(/\s+/)
      .filter((t) => t !== "")
      .map((t) => (t === "<env>" || t === "env" ? (ENV_OF[command] ?? "staging") : t === "<name>" && command === "jobs" ? "pre-backup" : (VALUES[t] ?? t)));
  const all = fill(rest.replace(/\[([^\]]*)\]/g, (_m, inner: string) => inner));
  const none = fill(rest.replace(/\[[^\]]*\]/g, ""));
  return [all, none];
}

describe("the command registry", () => {
  it("every /help usage line of every handler is accepted by that handler's own parser", async () => {
    const app = await appFrom(FULL);
    const handlers = app.router.handlers();
    expect(handlers.map((h) => h.name).sort()).toEqual(COMMAND_SPECS.map((s) => s.name).filter((n) => n !== "help").sort());
    let checked = 0;
    for (const h of handlers) {
      expect(COMMAND_SPECS).toContain(h.spec);
      for (const line of h.usage) {
        for (const args of argsOf(h.name, line)) {
          expect(() => h.prepare(args), `${line} as /${h.name} ${args.join(" ")}`).not.toThrow();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect((await send(app, "help", [])).code?.split("\n")).toEqual([...handlers.flatMap((h) => h.usage), "/help"]);
  });

  it("refuses a repeated flag for every handler", async () => {
    const app = await appFrom(FULL);
    for (const [name, args] of [["preview", ["feature-x", "--ttl", "1d", "--ttl", "2d"]], ["infra", ["down", "preprod", "--yes", "--yes"]], ["runbook", ["run", "disk-full", "1", "--confirmed", "--confirmed"]], ["backup", ["retention", "prod", "--dry-run", "--dry-run"]]] as const) {
      const reply = await send(app, name, [...args]);
      expect(reply.title, `/${name}`).toMatch(/is given more than once/);
    }
  });

  it("renders each command's usage lines from its argument declaration, and /help shows exactly those", async () => {
    const app = await appFrom(FULL);
    const handlers = app.router.handlers();
    const rendered = handlers.flatMap((h) => {
      const variants = h.spec?.args?.variants;
      expect(variants, `/${h.name} declares its arguments`).toBeDefined();
      return (variants ?? []).map((v) => v.usage);
    });
    expect((await send(app, "help", [])).code?.split("\n")).toEqual([...rendered, "/help"]);
    // The rendering itself: positionals, optional ones in brackets, flags with their placeholders.
    expect(rendered).toContain("/deploy <env> <ref> [--dry-run] [--group <name>] [--node <host>]");
    expect(rendered).toContain("/deploy history <env> [n]");
    expect(rendered).toContain("/backup retention <env> --dry-run");
    expect(rendered).toContain("/backup restore <env> <db> <dump-id|latest> [--dry-run] [--from offsite]");
    expect(rendered).toContain("/runbook run <name> [step]");
  });

  it("refuses a value of the wrong type with the schema's message naming the argument, before anything runs", async () => {
    const app = await appFrom(FULL);
    const cases: Array<[string, string[], string]> = [
      ["deploy", ["history", "staging", "abc"], "n must be a whole number from 1 to 50"],
      ["deploy", ["history", "staging", "0"], "n must be a whole number from 1 to 50"],
      ["audit", ["5.5"], "n must be a whole number from 1 to 200"],
      ["jobs", ["run", "Pre_Backup!"], "/jobs run needs one job name"],
      ["backup", ["restore", "prod", "shop", "latest", "--from", "s3"], "--from takes offsite"],
      ["backup", ["pin", "prod", "../x"], "/backup pin needs a dump id"],
    ];
    for (const [name, args, title] of cases) {
      const reply = await send(app, name, args);
      expect(reply.status, `/${name} ${args.join(" ")}`).toBe("failure");
      expect(reply.title, `/${name} ${args.join(" ")}`).toBe(title);
      expect(reply.nextStep, `/${name} ${args.join(" ")}`).toBeTruthy();
    }
    expect((await send(app, "deploy", ["history", "staging", "abc"])).nextStep).toBe("Example: /deploy history staging 20");
  });

  it("refuses an unknown flag for every command", async () => {
    const app = await appFrom(FULL);
    for (const h of app.router.handlers()) {
      for (const line of h.usage) {
        const [args] = argsOf(h.name, line);
        const prepared = (): unknown => h.prepare([...(args ?? []), "--bogus"]);
        expect(prepared, `${line} --bogus`).toThrow(/--bogus|arguments|unknown option/);
        const reply = await send(app, h.name, [...(args ?? []), "--bogus"]);
        expect(reply.status, `${line} --bogus`).toBe("failure");
      }
    }
  });

  it("reads /infra's sub-command in any case, as before, and keeps the other commands' words exact", async () => {
    const app = await appFrom(FULL);
    const infra = app.router.handlers().find((h) => h.name === "infra");
    expect(infra?.permission(["SNAPSHOT", "preprod"])).toEqual({ key: "infra snapshot", readOnly: false, env: "preprod" });
    expect(infra?.permission([])).toEqual({ key: "infra status", readOnly: true });
    const preview = app.router.handlers().find((h) => h.name === "preview");
    expect(preview?.permission(["LIST"])).toEqual({ key: "preview", readOnly: false });
  });

  it("answers 'not configured here' for the commands of sections the config leaves out", async () => {
    const app = await appFrom((dir) => `data_dir: ${dir}/data\nhttp: { enabled: false }\nhosts: { local: { type: local } }\naccess: { roles: { admin: ["console:local"] }, rules: {} }\n`);
    const cases: Array<[string, string[], string]> = [
      ["preview", ["list"], "previews"],
      ["deploy", ["staging", "v1"], "environments"],
      ["rollback", ["staging"], "environments"],
      ["backup", ["status"], "backups"],
      ["runbook", ["list"], "runbooks"],
      ["infra", ["status"], "hetzner"],
      ["seed", ["preprod"], "seed"],
    ];
    for (const [name, args, section] of cases) {
      const reply = await send(app, name, args);
      expect(reply.status).toBe("failure");
      expect(reply.title).toBe(`/${name} is not configured here: add \`${section}:\` (see config/example.full.yaml)`);
    }
    expect((await send(app, "previw", [])).nextStep).toBe("Did you mean /preview? Type /help for the list.");
    expect((await send(app, "nosuch", [])).title).toBe('unknown command "/nosuch"');
  });

  it("gives Discord, Telegram and Slack exactly the registry's commands", () => {
    const names = COMMAND_SPECS.map((s) => s.name);
    expect(CHAT_COMMANDS.map((c) => c.name)).toEqual(names);
    expect(slashCommandBodies(CHAT_COMMANDS).map((b) => b.name)).toEqual(names);
    expect(SLACK_COMMANDS).toEqual(names.map((n) => (n === "help" ? "opsdeck" : n)));
  });

  it("config/slack-manifest.yaml is what npm run slack-manifest generates", () => {
    const checkedIn = readFileSync(new URL("../../config/slack-manifest.yaml", import.meta.url), "utf8");
    expect(checkedIn, "run npm run slack-manifest and commit config/slack-manifest.yaml").toBe(renderSlackManifest(COMMAND_SPECS));
  });
});
