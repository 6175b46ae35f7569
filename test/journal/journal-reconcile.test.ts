// The operations journal through the whole app: a runbook step and a backup leave entries, and the
// one start-up reconciliation reports every interrupted entry exactly once, even when the first
// restart stops before its start-up reports go out. Real router, handlers, store, local host shell.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { DestinationStream } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";

const admin: Actor = { platform: "console", id: "local", name: "local" };
const dir = mkdtempSync(join(tmpdir(), "opsdeck-journal-"));
const yaml = `data_dir: ${dir}/data
http: { enabled: false }
hosts:
  local: { type: local, command_timeout: 30s }
dns: { provider: none }
access:
  roles: { admin: ["console:local"] }
  rules: {}
backups:
  staging:
    host: local
    dump_dir: ${dir}/dumps
    seed_dir: ${dir}/seed
    # Nothing listens on port 1: the dump fails at once, and the run is still journaled.
    databases: [{ name: shop, host: 127.0.0.1, port: 1, user: backup }]
runbooks:
  hello:
    steps:
      - { name: greet, host: local, command: [echo, hello] }
`;

const quiet = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as DestinationStream; // a Writable is a valid pino destination

async function start(alerts: Reply[]): Promise<App> {
  return createApp({
    loaded: { config: parseConfig(yaml, "test config"), path: join(dir, "opsdeck.yaml"), baseDir: process.cwd() },
    env: {},
    logDestination: quiet,
    alertTargets: [{ platform: "test", post: async (r) => void alerts.push(r) }],
  });
}

async function send(app: App, text: string): Promise<Reply> {
  const [name = "", ...args] = text.slice(1).split(" ");
  const command: Command = { name, args, text, actor: admin, channelId: "test", respond: async () => {}, update: async () => {} };
  return app.router.dispatch(command);
}

const KINDS = ["preview.deploy", "deploy", "rollback", "seed", "backup", "restore", "drill", "runbook.step", "infra.down", "job"];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("one operations journal", () => {
  it("a runbook step and a backup leave journal entries; each interrupted entry is reported once across two restarts", async () => {
    const first = await start([]);
    const step = await send(first, "/runbook run hello greet");
    expect(step.status).toBe("success");
    await send(first, "/backup run staging");
    const entries = first.store.read().operations.map((o) => `${o.kind} ${o.target} ${o.status} ${o.actor}`);
    // `/backup run` goes through the scheduler like a scheduled run: the job's entry wraps the backup's.
    expect(entries.sort()).toEqual(["backup staging failed console:local", "job pre-backup failed console:local", "runbook.step hello/greet succeeded console:local"]);
    const ids = first.store.read().operations.map((o) => o.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]+-[0-9a-f]{6}$/);

    // A crash leaves one entry of every kind `running`.
    const t = new Date().toISOString();
    await first.store.update((s) => {
      KINDS.forEach((kind, i) => s.operations.push({ id: `crash-${i}`, kind, target: `t${i}`, actor: "console:local", status: "running", startedAt: t }));
    });
    await first.close();

    // Restart 1 stops before its start-up reports go out (the chat platforms never came up).
    const lost: Reply[] = [];
    const second = await start(lost);
    expect(second.store.read().operations.filter((o) => o.id.startsWith("crash-")).map((o) => o.status)).toEqual(KINDS.map(() => "interrupted"));
    await second.close();
    expect(lost.filter((r) => /interrupted/.test(r.title ?? ""))).toEqual([]);

    // Restart 2 reports each of them, once.
    const alerts: Reply[] = [];
    const third = await start(alerts);
    await third.reportStartup();
    await third.reportStartup();
    await third.close();
    const titles = alerts.map((r) => r.title).filter((x) => /interrupted/.test(x ?? ""));
    expect(titles.sort()).toEqual(KINDS.map((k, i) => (k === "job" ? `job t${i} was interrupted by a restart` : `${k} of t${i} was interrupted by a restart`)).sort());

    // Restart 3 has nothing left to say.
    const later: Reply[] = [];
    const fourth = await start(later);
    await fourth.reportStartup();
    await fourth.close();
    expect(later.filter((r) => /interrupted/.test(r.title ?? ""))).toEqual([]);
  }, 60_000);
});
