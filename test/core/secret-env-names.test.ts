// Every secret the config names is registered with the redactor when the app is built, in every
// mode: a one-shot `opsdeck run` never starts the chat adapters, yet a failing command can still
// print the Slack signing secret or a database password in its output.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { DestinationStream } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load-config.js";
import { secretEnvNames } from "../../src/config/secret-env-names.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("configured secrets are registered at start", () => {
  it("collects every *_env value except source_env, at any depth", () => {
    const names = secretEnvNames({
      chat: { slack: { bot_token_env: "SLACK_BOT_TOKEN", signing_secret_env: "SLACK_SIGNING_SECRET" } },
      backups: { prod: { databases: [{ name: "shop", password_env: "PG_PASSWORD" }] } },
      seed: { preprod: { source_env: "prod" } },
      hosts: { a: { key_passphrase_env: "lowercase-not-a-var" } },
    });
    expect(names.sort()).toEqual(["PG_PASSWORD", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]);
  });

  it("an app built for a one-shot run (no chat adapter started) redacts the Slack signing secret and a db password", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opsdeck-secret-names-"));
    dirs.push(dir);
    const signing = "8f2b1c9d0e7a6b5c4d3e2f1a0b9c8d7e";
    const pg = "pg-pass-Zq7wX9vY2";
    const yaml = `data_dir: ${dir}/data
http: { enabled: false }
hosts:
  local: { type: local }
chat:
  slack: { enabled: true, mode: http, bot_token_env: T_SLACK_BOT, signing_secret_env: T_SLACK_SIGNING }
backups:
  prod:
    host: local
    dump_dir: ${dir}/dumps
    seed_dir: ${dir}/seed
    databases: [{ name: shop, host: 127.0.0.1, port: 5432, user: backup, password_env: T_PG_PASSWORD }]
access:
  roles: { admin: ["console:local"] }
`;
    const sink = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as DestinationStream; // a Writable is a valid pino destination
    const app = await createApp({
      loaded: { config: parseConfig(yaml, "test config"), path: join(dir, "opsdeck.yaml"), baseDir: dir },
      env: { T_SLACK_BOT: "xoxb-1111-2222-abcdefabcdef", T_SLACK_SIGNING: signing, T_PG_PASSWORD: pg },
      logDestination: sink,
    });
    try {
      const text = `out: ${signing} ${Buffer.from(signing).toString("base64")} ${encodeURIComponent(pg)} ${pg}`;
      const shown = app.redact(text);
      expect(shown).not.toContain(signing);
      expect(shown).not.toContain(Buffer.from(signing).toString("base64"));
      expect(shown).not.toContain(pg);
    } finally {
      await app.close();
    }
  });
});
