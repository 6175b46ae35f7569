// Pre-backup anomaly alerts (size, duration, offsite copy) and /backup run, pin and unpin:
// real PostgreSQL, the real sshd as the backup host, real restic, the real scheduler and store.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Backups } from "../../src/config/jobs-config.js";
import type { Reply } from "../../src/core/command.js";
import { Secret } from "../../src/core/secret.js";
import { createBackupHandler } from "../../src/handlers/backup.js";
import { getJobRuns } from "../../src/jobs/job-state.js";
import { createPreBackupJob } from "../../src/jobs/pre-backup-job.js";
import { createScheduler } from "../../src/jobs/scheduler.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createBackupOps, type BackupOps } from "../../src/ops/backups/create-backup-ops.js";
import type { Store } from "../../src/store/store.js";
import { captureLog } from "../fakes/capture-log.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { loadTestEnv } from "../support/test-env.js";
import { asTestUser, testUserDir } from "../support/test-user.js";
import { startPg, type PgCluster } from "./backup-fixtures.js";

const tenv = loadTestEnv();
let pg: PgCluster;
let shell: HostShell;
let root: string;
let ops: BackupOps;
let h: Harness;
const alerts: Reply[] = [];
const secrets: Record<string, string> = {};
const titles = (label: string): string[] => alerts.map((a) => a.title).filter((t) => t.includes(label));

beforeAll(async () => {
  pg = await startPg(tenv.pgBin);
  for (const db of ["shrink", "grow", "steady", "sent"]) {
    await pg.sql("postgres", `CREATE DATABASE ${db}`);
    await pg.sql(db, "CREATE TABLE t (id serial primary key, v text); INSERT INTO t (v) SELECT md5(g::text) FROM generate_series(1, 20000) g");
  }
  await pg.sql("grow", "DELETE FROM t WHERE id > 10");
  root = testUserDir("opsdeck-anomaly-");
  shell = createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 120_000 });
  const env = (db: string, extra: Record<string, unknown> = {}) => ({ host: "db1", dump_dir: join(root, db), seed_dir: join(root, `${db}-seed`), pg_bin: tenv.pgBin, databases: [{ name: db, port: pg.port, user: pg.user, password_env: "PG_PASSWORD" }], ...extra });
  const backups = Backups.parse({ shrink: env("shrink"), grow: env("grow"), steady: env("steady"), sent: env("sent", { offsite: { repository: join(root, "repo"), password_env: "RESTIC_PW" } }) });
  Object.assign(secrets, { PG_PASSWORD: pg.password, RESTIC_PW: "restic-anomaly-password" });
  const readSecret = (n: string): Secret | undefined => (Object.hasOwn(secrets, n) ? new Secret(secrets[n] as string) : undefined);
  const lazyStore: Store = { get path() { return h.store.path; }, read: () => h.store.read(), update: (fn) => h.store.update(fn) };
  const notifier = { notify: async (r: Reply) => void alerts.push(r) };
  const captured = captureLog([pg.password]);
  const log = captured.log;
  ops = createBackupOps({ backups, shellFor: () => shell, readSecret, log, alerts: { store: lazyStore, notifier } });
  const scheduler = createScheduler({ jobs: [createPreBackupJob({ backups: ops, time: "02:55" })], store: lazyStore, notifier, redact: captured.redact, log, timeZone: "UTC" });
  h = await createHarness({ handlers: [createBackupHandler({ ops, timeZone: "UTC", jobs: scheduler, jobInfo: (n) => scheduler.jobInfo(n) })] });
  for (const db of ["shrink", "grow", "steady", "sent"]) await asTestUser(["mkdir", "-p", join(root, db)]);
}, 180_000);

afterAll(async () => {
  await shell?.close();
  await pg?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const run = async (env: string): Promise<Reply> => (await h.send(`/backup run ${env}`)).final;
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 1100)); // dump names have one-second stamps

describe("pre-backup anomaly alerts", () => {
  it("a much smaller dump opens one alert, and recovers", async () => {
    await run("shrink");
    await pg.sql("shrink", "DELETE FROM t WHERE id > 5");
    await pause();
    await run("shrink");
    expect(titles("dump size of shrink/shrink")).toEqual(["down: dump size of shrink/shrink"]);
    expect(alerts.find((a) => a.title.includes("shrink/shrink"))?.lines?.join(" ")).toMatch(/% smaller than the previous one/);
    await pause();
    await run("shrink");
    expect(titles("dump size of shrink/shrink").at(-1)).toMatch(/^recovered: dump size of shrink\/shrink/);
  }, 120_000);

  it("a much larger dump opens one alert", async () => {
    await run("grow");
    await pg.sql("grow", "INSERT INTO t (v) SELECT md5(g::text) FROM generate_series(1, 20000) g");
    await pause();
    await run("grow");
    expect(titles("dump size of grow/grow")).toEqual(["down: dump size of grow/grow"]);
    expect(alerts.find((a) => a.title.includes("grow/grow"))?.lines?.join(" ")).toMatch(/× the size of the previous one/);
  }, 120_000);

  it("a dump slower than 3× the median of the recorded durations opens one alert, and recovers", async () => {
    const dir = join(root, "steady");
    const fake = async (ms: number): Promise<void> => {
      for (const d of ["01", "02", "03"]) {
        const dump = join(dir, `steady-202001${d}T025500Z.dump`);
        await shell.writeFile(dump, "x".repeat(1000));
        await shell.writeFile(`${dump}.json`, JSON.stringify({ dumpMs: ms }));
      }
    };
    await fake(1);
    await run("steady");
    expect(titles("dump duration of steady/steady")).toEqual(["down: dump duration of steady/steady"]);
    await fake(600_000);
    await pause();
    await run("steady");
    expect(titles("dump duration of steady/steady").at(-1)).toMatch(/^recovered: dump duration of steady\/steady/);
  }, 120_000);

  it("a failed offsite copy opens one alert, fails the run, and recovers", async () => {
    expect((await run("sent")).status).toBe("success");
    secrets["RESTIC_PW"] = "wrong-restic-password";
    await pause();
    const failed = await run("sent");
    expect(failed.status).toBe("failure");
    expect(titles("offsite copy of sent")).toEqual(["down: offsite copy of sent"]);
    secrets["RESTIC_PW"] = "restic-anomaly-password";
    await pause();
    expect((await run("sent")).status).toBe("success");
    expect(titles("offsite copy of sent").at(-1)).toMatch(/^recovered: offsite copy of sent/);
  }, 180_000);
});

describe("/backup run, pin and unpin", () => {
  it("/backup run records a job run like a scheduled run, triggered by the actor", async () => {
    const runs = getJobRuns(h.store.read()).filter((r) => r.name === "pre-backup");
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.trigger === "console:local")).toBe(true);
    expect(runs.at(-1)?.summary).toMatch(/^sent: sent ok; .*offsite ok/);
  });

  it("pin keeps a dump out of retention; unpin gives it back", async () => {
    const listed = (await h.send("/backup list shrink shrink")).final.code ?? "";
    const id = /shrink-\d{8}T\d{6}Z/.exec(listed.split("\n").at(-1) ?? "")?.[0] ?? "";
    expect((await h.send(`/backup pin shrink ${id}`)).final.title).toMatch(/pinned/);
    expect((await h.send("/backup list shrink shrink")).final.code).toMatch(new RegExp(`${id}.*📌 pinned`));
    expect((await h.send(`/backup unpin shrink ${id}`)).final.title).toMatch(/unpinned/);
    expect((await h.send("/backup list shrink shrink")).final.code).not.toMatch(new RegExp(`${id}.*📌`));
    expect((await h.send("/backup pin shrink shrink-20200101T000000Z")).final.title).toMatch(/no dump shrink-20200101T000000Z/);
  }, 60_000);
});
