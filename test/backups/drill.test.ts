// Restore drills against real PostgreSQL over the real sshd: a good dump passes with its counts,
// a dump truncated on disk fails with an alert naming the database, a dump missing a table fails
// min_tables; the scratch database is dropped and the result is recorded on the dump.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reply } from "../../src/core/command.js";
import { Secret } from "../../src/core/secret.js";
import { createBackupHandler } from "../../src/handlers/backup.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createBackupOps, type BackupOps } from "../../src/ops/backups/create-backup-ops.js";
import { createDrillOp } from "../../src/ops/backups/create-drill-op.js";
import { judgeDrill } from "../../src/ops/backups/drill-dump.js";
import { BackupDrill, Backups } from "../../src/config/jobs-config.js";
import { readSidecar } from "../../src/ops/backups/dump-sidecar.js";
import { listDumps } from "../../src/ops/backups/list-dumps.js";
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
/** The handler's clock (status ages); `undefined`: real time. */
let handlerNow: Date | undefined;
const databases = async (): Promise<string[]> => (await pg.sql("postgres", "SELECT datname FROM pg_database ORDER BY 1")).split("\n");

beforeAll(async () => {
  pg = await startPg(tenv.pgBin);
  await pg.sql("postgres", "CREATE DATABASE shop");
  await pg.sql("shop", "CREATE TABLE orders (id serial primary key, item text); INSERT INTO orders (item) SELECT 'i' || g FROM generate_series(1, 500) g; CREATE TABLE users (id int); INSERT INTO users VALUES (1), (2)");
  root = testUserDir("opsdeck-drill-");
  await asTestUser(["mkdir", "-p", join(root, "dumps")]);
  shell = createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 60_000 });
  const backups = Backups.parse({
    prod: {
      host: "db1",
      dump_dir: join(root, "dumps"),
      seed_dir: join(root, "seed"),
      pg_bin: tenv.pgBin,
      databases: [{ name: "shop", port: pg.port, user: pg.user, password_env: "PG_PASSWORD" }],
      drill: { min_tables: 2, min_rows: { orders: 100 }, row_tolerance_pct: 5 },
    },
  });
  const readSecret = (n: string): Secret | undefined => (n === "PG_PASSWORD" ? new Secret(pg.password) : undefined);
  ops = createBackupOps({ backups, shellFor: () => shell, readSecret, log: captureLog([pg.password]).log, timeZone: "Europe/Paris" });
  const drill = createDrillOp({ backups: ops, shellFor: () => shell, readSecret, notifier: { notify: async (r) => void alerts.push(r) }, store: { get path() { return h.store.path; }, read: () => h.store.read(), update: (fn) => h.store.update(fn) } });
  h = await createHarness({ handlers: [createBackupHandler({ ops, timeZone: "Europe/Paris", drill, clock: () => handlerNow ?? new Date() })] });
}, 120_000);

afterAll(async () => {
  await shell?.close();
  await pg?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("restore drills", () => {
  it("/backup status flags a database never drilled; a good dump passes with its counts, is recorded and leaves no scratch database", async () => {
    expect((await h.send("/backup run prod")).final.status).toBe("success");
    const before = await h.send("/backup status prod");
    expect(before.final.fields?.find((f) => f.label === "prod/shop drill")?.value).toBe("⚠ never drilled");

    const { final } = await h.send("/backup drill prod");
    expect(final.status).toBe("success");
    expect(final.lines?.[0]).toMatch(/^prod\/shop: dump shop-\d{8}T\d{6}Z \d+s old, restored in \d+s, 2 table\(s\), 502 row\(s\) — passed$/);
    expect((await databases()).filter((d) => d.includes("_drill_"))).toEqual([]);
    const [dump] = await listDumps(shell, join(root, "dumps"), "shop");
    expect((await readSidecar(shell, dump?.path ?? ""))?.drill).toMatchObject({ ok: true, tables: 2, rows: 502 });
    expect(alerts.map((a) => a.title)).toEqual(["restore drill passed: prod/shop"]);
    const after = await h.send("/backup status prod");
    expect(after.final.fields?.find((f) => f.label === "prod/shop drill")?.value).toMatch(/^passed \d{4}-/);
    expect((await h.send("/backup list prod")).final.code).toContain("drill ✓");
  }, 120_000);

  it("/backup status flags a database whose last drill is older than drill_max_age (default 8 days)", async () => {
    try {
      handlerNow = new Date(Date.now() + 7 * 86_400_000);
      const fresh = await h.send("/backup status prod");
      expect(fresh.final.fields?.find((f) => f.label === "prod/shop drill")?.value).toMatch(/^passed \d{4}-.*ago\)$/);
      handlerNow = new Date(Date.now() + 9 * 86_400_000);
      const old = await h.send("/backup status prod");
      expect(old.final.fields?.find((f) => f.label === "prod/shop drill")?.value).toMatch(/^passed \d{4}-.* · ⚠ older than 8d 0h$/);
      expect(old.final.status).toBe("warning");
    } finally {
      handlerNow = undefined;
    }
  }, 60_000);

  it("a dump truncated on disk fails and opens one alert naming the database", async () => {
    const [dump] = await listDumps(shell, join(root, "dumps"), "shop");
    await shell.exec(["truncate", "-s", "2000", "--", dump?.path ?? ""]);
    alerts.length = 0;
    const { final } = await h.send("/backup drill prod shop");
    expect(final.status).toBe("failure");
    expect(final.lines?.[0]).toMatch(/FAILED: restore into shop_drill_\d{8} failed: pg_restore/);
    expect(alerts.map((a) => a.title)).toEqual(["restore drill FAILED: prod/shop", "down: restore drill of prod/shop"]);
    // Failing again is the same incident: no second alert.
    alerts.length = 0;
    await h.send("/backup drill prod shop");
    expect(alerts.map((a) => a.title)).toEqual(["restore drill FAILED: prod/shop"]);
    expect((await databases()).filter((d) => d.includes("_drill_"))).toEqual([]);
  }, 120_000);

  it("a dump missing a table fails min_tables; the next good drill closes the incident", async () => {
    await pg.sql("shop", "DROP TABLE users");
    // The sidecar of the new dump records only orders; the drill compares with min_tables 2.
    expect((await h.send("/backup run prod")).final.status).toBe("success");
    const { final } = await h.send("/backup drill prod shop");
    expect(final.status).toBe("failure");
    expect(final.lines?.[0]).toMatch(/1 table\(s\), fewer than min_tables 2/);
    // The incident continues (still failing); once a good dump drills again it recovers.
    await pg.sql("shop", "CREATE TABLE users (id int)");
    expect((await h.send("/backup run prod")).final.status).toBe("success");
    alerts.length = 0;
    expect((await h.send("/backup drill prod shop")).final.status).toBe("success");
    expect(alerts.map((a) => a.title)).toEqual(["restore drill passed: prod/shop", expect.stringMatching(/^recovered: restore drill of prod\/shop/)]);
  }, 120_000);
});

describe("drill assertions", () => {
  it("row counts must stay within the tolerance of the counts recorded at dump time", () => {
    const drill = BackupDrill.parse({ min_tables: 1, row_tolerance_pct: 10 });
    expect(judgeDrill({ "public.orders": 95 }, { "public.orders": 100 }, drill)).toEqual([]);
    expect(judgeDrill({ "public.orders": 80 }, { "public.orders": 100 }, drill)).toEqual(["public.orders: 80 row(s), 100 at dump time (tolerance 10 %)"]);
    expect(judgeDrill({ "public.orders": 100 }, { "public.orders": 100, "public.users": 3 }, drill)).toEqual(["table public.users (3 rows at dump time) is missing"]);
  });
});
