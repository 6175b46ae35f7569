import { execFile } from "node:child_process";
import { readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Backups } from "../../src/config/jobs-config.js";
import type { Reply } from "../../src/core/command.js";
import { Secret } from "../../src/core/secret.js";
import { createBackupHandler } from "../../src/handlers/backup.js";
import { getJobRuns } from "../../src/jobs/job-state.js";
import { createPreBackupJob } from "../../src/jobs/pre-backup-job.js";
import { createScheduler, type Scheduler } from "../../src/jobs/scheduler.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createBackupOps, type BackupOps } from "../../src/ops/backups/create-backup-ops.js";
import { dumpFileName, latestDumpPath, parseDumpFileName } from "../../src/ops/backups/dump-paths.js";
import { captureLog } from "../fakes/capture-log.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { loadTestEnv } from "../support/test-env.js";
import { startPg, startPingServer, startRedis, type PgCluster, type PingServer, type RedisServer } from "./backup-fixtures.js";
import { asTestUser, testUserDir } from "../support/test-user.js";

const execFileP = promisify(execFile);
const env = loadTestEnv();
const HOUR = 3_600_000;

let pg: PgCluster;
let redis: RedisServer;
let pings: PingServer;
let shell: HostShell;
let prodDumps: string;
let prodSeed: string;
let brokenDumps: string;
let ops: BackupOps;
let scheduler: Scheduler;
let h: Harness;
const alerts: Reply[] = [];
/** Every command line sent to the host, to prove no secret is ever on one. */
const commandLines: string[] = [];

const files = (dir: string): string[] => readdirSync(dir).sort();

beforeAll(async () => {
  [pg, redis, pings] = await Promise.all([startPg(env.pgBin), startRedis(env.redisServer), startPingServer()]);
  await pg.sql("postgres", "CREATE DATABASE shop");
  await pg.sql("postgres", "CREATE DATABASE crm");
  await pg.sql("shop", "CREATE TABLE orders (id serial primary key, item text); INSERT INTO orders (item) SELECT 'item ' || g FROM generate_series(1, 2000) g");
  await pg.sql("crm", "CREATE TABLE customers (id serial primary key, email text); INSERT INTO customers (email) VALUES ('a@example.com'), ('b@example.com')");
  await redis.cli("SET", "greeting", "hello");

  const root = testUserDir("opsdeck-bk-");
  prodDumps = join(root, "dumps");
  prodSeed = join(root, "seed");
  brokenDumps = join(root, "broken-dumps");
  shell = createSshHostShell({ name: "db1", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });

  const backups = Backups.parse({
    prod: {
      host: "db1",
      dump_dir: prodDumps,
      seed_dir: prodSeed,
      pg_bin: env.pgBin,
      databases: [
        { name: "shop", port: pg.port, user: pg.user, password_env: "PROD_PG_PASSWORD" },
        { name: "crm", port: pg.port, user: pg.user, password_env: "PROD_PG_PASSWORD" },
      ],
      redis: { cli: ["redis-cli", "-p", String(redis.port)], rdb_path: redis.rdbPath, password_env: "PROD_REDIS_PASSWORD" },
      heartbeat_url: `${pings.url}/ping/prod-token`,
    },
    broken: {
      host: "db1",
      dump_dir: brokenDumps,
      seed_dir: join(root, "broken-seed"),
      pg_bin: env.pgBin,
      databases: [{ name: "shop", port: pg.port, user: pg.user, password_env: "BROKEN_PG_PASSWORD" }],
      heartbeat_url: `${pings.url}/ping/broken-token`,
      heartbeat_method: "POST",
    },
  });
  const secrets: Record<string, string> = { PROD_PG_PASSWORD: pg.password, PROD_REDIS_PASSWORD: redis.password, BROKEN_PG_PASSWORD: "wrong-password-4711" };
  ops = createBackupOps({
    backups,
    shellFor: (name) => {
      if (name !== "db1") throw new Error(`unexpected host ${name}`);
      return {
        ...shell,
        name: shell.name,
        exec: (argv, opts) => {
          commandLines.push(argv.join(" "));
          return shell.exec(argv, opts);
        },
      };
    },
    readSecret: (name) => (secrets[name] ? new Secret(secrets[name]) : undefined),
    log: captureLog(Object.values(secrets)).log,
  });
  const lazy = { jobInfo: (name: string) => scheduler.jobInfo(name) };
  h = await createHarness({ handlers: [createBackupHandler({ ops, timeZone: "Europe/Paris", jobInfo: (n) => lazy.jobInfo(n) })] });
  for (const s of Object.values(secrets)) h.redact.add(s);
  scheduler = createScheduler({
    jobs: [createPreBackupJob({ backups: ops, time: "02:55" })],
    store: h.store,
    notifier: { notify: async (r) => void alerts.push(r) },
    redact: h.redact,
    log: h.log,
    timeZone: "Europe/Paris",
  });
}, 120_000);

afterAll(async () => {
  await shell?.close();
  await Promise.allSettled([pg?.stop(), redis?.stop(), pings?.close()]);
  if (prodDumps) rmSync(join(prodDumps, ".."), { recursive: true, force: true });
});

describe("pre-backup", () => {
  it("dumps every database, saves redis, copies the latest and pings the heartbeat only for the environment that fully succeeded", async () => {
    // Leftovers from earlier runs: one older than the 3-day retention, one within it, and files
    // retention must never touch.
    const now = Date.now();
    const old = dumpFileName("shop", new Date(now - 4 * 24 * HOUR));
    const recent = dumpFileName("shop", new Date(now - 2 * 24 * HOUR));
    const otherDb = dumpFileName("billing", new Date(now - 10 * 24 * HOUR));
    await asTestUser(["mkdir", "-p", prodDumps]);
    for (const f of [old, recent, otherDb, "notes.txt"]) await asTestUser(["sh", "-c", 'echo x > "$1"', "sh", join(prodDumps, f)]);
    // Temporary files: one left by a run killed two days ago, one being written right now.
    const deadPartial = `${recent}.0badf00d.partial`;
    const livePartial = `${dumpFileName("crm", new Date(now))}.1ee7c0de.partial`;
    for (const f of [deadPartial, livePartial]) await asTestUser(["sh", "-c", 'echo x > "$1"', "sh", join(prodDumps, f)]);
    await asTestUser(["touch", "-d", "2 days ago", join(prodDumps, deadPartial)]);

    const run = await scheduler.runNow("pre-backup", "schedule");

    // The broken environment failed (wrong password): the job failed and was reported once.
    expect(run.result).toBe("failed");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.title).toBe("job pre-backup failed");
    expect(alerts[0]?.code).toMatch(/broken\/shop: pg_dump of shop exited with code 1: .*password authentication failed/);
    expect(JSON.stringify(alerts)).not.toContain("wrong-password-4711");
    expect(JSON.stringify(getJobRuns(h.store.read()))).not.toContain(pg.password);
    // Heartbeat: prod pinged once (GET), broken never.
    expect(pings.pings).toEqual(["GET /ping/prod-token"]);
    // The failed dump left nothing behind, not even a partial file.
    expect(files(brokenDumps)).toEqual([]);

    const dumped = files(prodDumps);
    const shopDumps = dumped.filter((f) => parseDumpFileName("shop", f));
    const crmDumps = dumped.filter((f) => parseDumpFileName("crm", f));
    const rdbs = dumped.filter((f) => parseDumpFileName("redis", f));
    expect(shopDumps).toHaveLength(2); // the new one + the 2-day-old one
    expect(shopDumps).toContain(recent);
    expect(dumped).not.toContain(old);
    expect(dumped).toContain(otherDb);
    expect(dumped).toContain("notes.txt");
    expect(crmDumps).toHaveLength(1);
    expect(rdbs).toHaveLength(1);
    expect(dumped.filter((f) => f.endsWith(".partial"))).toEqual([livePartial]);

    // pg_restore accepts the dumps and sees the tables.
    const newShop = shopDumps.find((f) => f !== recent) ?? "";
    const toc = (await execFileP(join(env.pgBin, "pg_restore"), ["-l", join(prodDumps, newShop)])).stdout;
    expect(toc).toMatch(/TABLE public orders/);
    const crmToc = (await execFileP(join(env.pgBin, "pg_restore"), ["-l", join(prodDumps, crmDumps[0] ?? "")])).stdout;
    expect(crmToc).toMatch(/TABLE public customers/);
    // The seed area holds byte-identical latest copies.
    expect(readFileSync(latestDumpPath(prodSeed, "shop")).equals(readFileSync(join(prodDumps, newShop)))).toBe(true);
    expect(readFileSync(latestDumpPath(prodSeed, "crm")).equals(readFileSync(join(prodDumps, crmDumps[0] ?? "")))).toBe(true);
    expect(files(prodSeed)).toEqual(["crm-latest.dump", "redis-latest.rdb", "shop-latest.dump"]);
    // The RDB is a real snapshot holding our key.
    const rdb = readFileSync(join(prodDumps, rdbs[0] ?? ""));
    expect(rdb.subarray(0, 5).toString()).toBe("REDIS");
    expect(rdb.includes(Buffer.from("greeting"))).toBe(true);
  }, 120_000);

  it("/backup run <env> runs it now and says what failed", async () => {
    const ok = await h.send("/backup run prod");
    expect(ok.final.status).toBe("success");
    expect(ok.final.title).toBe("backup of prod succeeded");
    expect(ok.final.fields?.find((f) => f.label === "heartbeat")?.value).toBe("sent");
    expect(ok.messages.some((m) => m.status === "progress" && m.lines?.[0] === "prod: dumping shop")).toBe(true);
    expect(pings.pings).toEqual(["GET /ping/prod-token", "GET /ping/prod-token"]);

    const bad = await h.send("/backup run broken");
    expect(bad.final.status).toBe("failure");
    expect(bad.final.fields?.find((f) => f.label === "heartbeat")?.value).toBe("skipped");
    expect(bad.final.code).toContain("password authentication failed");
    expect(pings.pings).toHaveLength(2);

    const unknown = await h.send("/backup run ../etc");
    expect(unknown.final.status).toBe("failure");
    expect(unknown.final.title).toContain("no backups are configured for");
  }, 120_000);

  it("/backup status flags a dump older than 24 h and one 90 % smaller than the previous", async () => {
    const fine = await h.send("/backup status prod");
    expect(fine.final.status).toBe("info");
    expect(fine.final.lines?.[0]).toMatch(/^last pre-backup: failed at \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1/);
    expect(fine.final.lines?.[1]).toMatch(/^next pre-backup: /);

    // shop: every dump's mtime 30 h ago → the latest is stale.
    for (const f of files(prodDumps).filter((n) => parseDumpFileName("shop", n))) await asTestUser(["touch", "-d", "30 hours ago", join(prodDumps, f)]);
    // crm: a newer dump at 10 % of the previous one's size.
    const crm = files(prodDumps).filter((n) => parseDumpFileName("crm", n)).sort();
    const prevSize = statSync(join(prodDumps, crm[crm.length - 1] ?? "")).size;
    const tiny = dumpFileName("crm", new Date(Date.now() + 60_000));
    await asTestUser(["sh", "-c", 'head -c "$2" /dev/zero > "$1"', "sh", join(prodDumps, tiny), String(Math.floor(prevSize * 0.1))]);
    await asTestUser(["touch", "-d", "1 minute", join(prodDumps, tiny)]);

    const { final } = await h.send("/backup status");
    expect(final.status).toBe("warning");
    const field = (label: string): string => final.fields?.find((f) => f.label === label)?.value ?? "";
    expect(field("prod/shop")).toMatch(/\(1d 6h ago\).*⚠ older than 1d 0h/);
    expect(field("prod/crm")).toMatch(/⚠ 90% smaller than the previous dump/);
    expect(field("prod/crm")).not.toContain("older than");
    expect(field("prod/redis")).not.toContain("⚠");
    expect(field("broken/shop")).toBe("⚠ no dump found");
    expect(final.title).toBe("backups: 3 need attention");
  }, 60_000);

  it("never put a password on a command line", () => {
    expect(commandLines.some((l) => l.includes("pg_dump -Fc -w -h 127.0.0.1"))).toBe(true);
    expect(commandLines.some((l) => l.includes("BGSAVE"))).toBe(true);
    for (const secret of [pg.password, redis.password, "wrong-password-4711"]) {
      expect(commandLines.filter((l) => l.includes(secret))).toEqual([]);
    }
  });
});
