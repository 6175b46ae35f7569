// /seed end to end: real PostgreSQL 15, the real SSH host shell (target) and the local shell
// (source), docker-compose over SSH for the app services, a local HTTP smoke endpoint, the real
// router/store/audit/redactor. Nothing of ours is mocked.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, chownSync, readdirSync, utimesSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Environments } from "../../src/config/environments-config.js";
import { checkSeedConfig, Runbooks, Seeds, type Seed } from "../../src/config/seed-config.js";
import type { Actor, Reply } from "../../src/core/command.js";
import { createRedactor } from "../../src/core/redact.js";
import { Secret } from "../../src/core/secret.js";
import { createSeedHandler } from "../../src/handlers/seed.js";
import type { ComposeClient, ComposeProject } from "../../src/ops/adapters/compose-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createEnvLocks } from "../../src/ops/env-locks.js";
import { createSeedOps } from "../../src/ops/seed/create-seed-ops.js";
import { hostLockPath } from "../../src/ops/host-lock.js";
import type { Store } from "../../src/store/store.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";
import { startPgCluster, type PgCluster } from "./pg-cluster.js";
import { testUserDir, testUserIds } from "../support/test-user.js";

const execFileP = promisify(execFile);
const tenv = loadTestEnv();
const admin: Actor = { platform: "console", id: "admin", name: "admin" };
const viewer: Actor = { platform: "console", id: "viewer", name: "viewer" };

const SOURCE_SQL = `
CREATE TABLE credentials (id serial PRIMARY KEY, service text NOT NULL, secret text);
INSERT INTO credentials (service, secret) VALUES ('stripe', 'sk_live_0123456789'), ('github', 'real-github-token-value'), ('smtp', NULL);
CREATE TABLE webhooks (id serial PRIMARY KEY, path text NOT NULL, owner text);
INSERT INTO webhooks (path, owner) VALUES ('orders/created', 'shop'), ('test-already', 'qa'), ('refunds', 'billing');
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, phone text);
INSERT INTO customers (name, email, phone) VALUES ('Ada', 'ada@real.example', '+33 1 23'), ('Bob', 'bob@real.example', NULL), ('Cy', 'cy@real.example', '+49 30 1');
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(10,2));
INSERT INTO orders (customer_id, total) VALUES (1, 10.50), (2, 20.25), (3, 30.00), (1, 5.00);
`;

function text(r: Reply): string {
  return JSON.stringify(r);
}

describe("/seed with real PostgreSQL over SSH", () => {
  let pg: PgCluster;
  let base: string;
  let seedDir: string;
  let targetDir: string;
  let h: Harness;
  let source: HostShell;
  let target: HostShell;
  let compose: ComposeClient;
  let project: ComposeProject;
  let smoke: Server;
  let smokeHits = 0;
  const locks = createEnvLocks();
  const redact = createRedactor();
  const shells = new Map<string, HostShell>();
  let environments: Environments;
  let seedConfig: Seeds;
  const readSecret = (name: string): Secret | undefined => (name === "SHOP_DB_PASSWORD" ? new Secret(pg.password) : undefined);
  const access = { roles: { admin: ["console:admin"], viewer: ["console:viewer"] }, rules: { seed: ["admin"] } };
  // The handler is built before the harness that owns the store; this forwards to it.
  const lazyStore: Store = {
    get path() {
      return h.store.path;
    },
    read: () => h.store.read(),
    update: (fn) => h.store.update(fn),
  };

  const containerStartedAt = async (): Promise<string> => {
    const id = (await compose.ps(project))[0] ?? "";
    const { stdout } = await execFileP("docker", ["inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", id]);
    return stdout.trim();
  };

  beforeAll(async () => {
    pg = await startPgCluster(tenv.pgBin);
    base = testUserDir("opsdeck-seed-");
    seedDir = join(base, "seed");
    targetDir = join(base, "incoming");
    mkdirSync(seedDir);
    chownSync(seedDir, testUserIds().uid, testUserIds().gid);

    await pg.sql("postgres", "CREATE DATABASE shop");
    await pg.sql("postgres", "CREATE DATABASE shop_preprod");
    await pg.sql("postgres", "CREATE DATABASE shop_prod");
    await pg.sql("shop", SOURCE_SQL);
    // What preprod and prod hold before: must be replaced (preprod) or left alone (prod).
    await pg.sql("shop_preprod", "CREATE TABLE credentials (id int, service text, secret text); INSERT INTO credentials VALUES (99, 'old', 'old-secret');");
    await pg.sql("shop_prod", "CREATE TABLE credentials (id int, service text, secret text); INSERT INTO credentials VALUES (1, 'stripe', 'prod-secret-kept');");
    await pg.dump("shop", join(seedDir, "shop-latest.dump"));
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
    utimesSync(join(seedDir, "shop-latest.dump"), threeHoursAgo, threeHoursAgo);

    smoke = createServer((req, res) => {
      smokeHits += 1;
      res.statusCode = req.url === "/healthz" ? 200 : 404;
      res.end("ok");
    });
    await new Promise<void>((r) => smoke.listen(0, "127.0.0.1", r));
    const smokePort = (smoke.address() as { port: number }).port;

    source = createLocalHostShell({ name: "backup1", commandTimeoutMs: 60_000 });
    target = createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 60_000 });
    shells.set("backup1", source).set("db1", target);
    compose = createComposeClient(target);
    const projectName = uniqueName("seedapp");
    project = { name: projectName, dir: join(base, "app") };
    await target.writeFile(
      join(project.dir, "docker-compose.yml"),
      `services:\n  web:\n    image: ${tenv.images.busybox}\n    command: ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & wait"]\n`,
    );
    await compose.up(project);

    environments = Environments.parse({
      prod: { host: "db1", compose_dir: "/srv/prod", project: "shop-prod", protected: true },
      // Seeds and deploys of one env share the env's lock file (environments.<env>.lock_dir).
      preprod: { host: "db1", compose_dir: project.dir, project: projectName, lock_dir: base },
    });
    const dbEntry = (name: string) => ({ name, source_name: "shop", host: "127.0.0.1", port: pg.port, user: pg.user, password_env: "SHOP_DB_PASSWORD" });
    const rules = [
      { table: "credentials", column: "secret", rule: "redact" },
      { table: "webhooks", column: "path", rule: "prefix", value: "test-" },
      { table: "customers", column: "email", rule: "replace", value: "user@example.invalid" },
      { table: "customers", column: "phone", rule: "null" },
    ];
    const seedFor = (db: string, dir: string) => ({
      source_env: "prod",
      source_host: "backup1",
      seed_dir: seedDir,
      target_host: "db1",
      target_dir: dir,
      pg_bin: tenv.pgBin,
      databases: [dbEntry(db)],
      app_services: { compose_dir: project.dir, project: projectName, services: ["web"] },
      anonymise: { [db]: rules },
      marker: "[redacted]",
      smoke_checks: [{ url: `http://127.0.0.1:${smokePort}/healthz`, expect_status: 200 }],
      lock_dir: base,
    });
    // `prod` is here on purpose: the config check refuses it at start, the op refuses it at run time.
    const seeds = Seeds.parse({ preprod: seedFor("shop_preprod", targetDir), prod: seedFor("shop_prod", join(base, "prod-incoming")) });
    expect(checkSeedConfig(seeds, Runbooks.parse({}), environments, ["backup1", "db1"]).map((p) => p.message).join("\n")).toMatch(/"prod" is protected and can never be seeded/);

    seedConfig = seeds;
    const realOps = createSeedOps({ seeds, environments, shellFor: (name) => shells.get(name) as HostShell, composeFor: () => compose, store: lazyStore, locks, readSecret, redact });
    h = await createHarness({ handlers: [createSeedHandler({ ops: realOps })], redact, access });
  }, 240_000);

  afterAll(async () => {
    if (compose) await compose.down(project, { volumes: true }).catch(() => undefined);
    await target?.close();
    smoke?.close();
    await pg?.stop();
    if (base) await execFileP("rm", ["-rf", "--", base]).catch(() => undefined);
  }, 60_000);

  it("refuses a protected environment and touches nothing", async () => {
    const before = await pg.sql("shop_prod", "SELECT id, service, secret FROM credentials ORDER BY id");
    const { final, messages } = await h.send("/seed prod", admin);
    expect(final.status).toBe("failure");
    expect(final.title).toMatch(/prod is a protected environment and is never seeded/);
    expect(final.nextStep).toMatch(/preprod/);
    expect(messages.filter((m) => m.status === "progress")).toHaveLength(0);
    expect(await pg.sql("shop_prod", "SELECT id, service, secret FROM credentials ORDER BY id")).toBe(before);
    expect(before).toBe("1|stripe|prod-secret-kept");
    expect(existsSync(join(base, "prod-incoming"))).toBe(false);
    expect(h.store.read().operations.filter((o) => o.kind === "seed")).toHaveLength(0);
  });

  it("answers bad and unknown environment names with clear errors", async () => {
    const dots = await h.send("/seed ../x", admin);
    expect(dots.final.status).toBe("failure");
    expect(dots.final.title).toMatch(/is not an environment name/);
    expect(dots.final.nextStep).toMatch(/can be seeded: preprod\./);
    const unknown = await h.send("/seed staging", admin);
    expect(unknown.final.title).toMatch(/staging cannot be seeded/);
    expect(unknown.final.nextStep).toMatch(/preprod/);
    const none = await h.send("/seed", admin);
    expect(none.final.title).toMatch(/which environment/);
    const two = await h.send("/seed preprod prod", admin);
    expect(two.final.title).toMatch(/one environment name/);
    const denied = await h.send("/seed preprod", viewer);
    expect(denied.final.title).toMatch(/not allowed/);
    expect(await pg.sql("shop_preprod", "SELECT secret FROM credentials")).toBe("old-secret");
  });

  it("refuses while a deploy holds the environment, in process or on the host", async () => {
    const release = locks.acquire("preprod", "a deploy by console:bob");
    try {
      const { final } = await h.send("/seed preprod", admin);
      expect(final.status).toBe("failure");
      expect(final.title).toMatch(/preprod is busy: a deploy by console:bob/);
    } finally {
      release();
    }
    // Another process (a second bot, a human) holds the flock on the host.
    const lockFile = hostLockPath("preprod", base);
    // `-o`: only flock itself holds the lock, so killing it releases the lock at once.
    const holder = execFile("flock", ["-o", lockFile, "sh", "-c", "echo held; exec sleep 30"]);
    try {
      await new Promise((r) => holder.stdout?.once("data", r));
      const { final } = await h.send("/seed preprod", admin);
      expect(final.status).toBe("failure");
      expect(final.title).toMatch(/locked by another process/);
      expect(final.nextStep).toMatch(/preprod was not changed/);
    } finally {
      holder.kill();
      await new Promise((r) => holder.once("exit", r));
    }
    expect(await pg.sql("shop_preprod", "SELECT secret FROM credentials")).toBe("old-secret");
    expect(h.store.read().operations.filter((o) => o.kind === "seed").map((o) => o.status)).toEqual(["failed"]);
  });

  it("copies, restores, anonymises, restarts and reports rows per rule", async () => {
    const startedBefore = await containerStartedAt();
    // Dispatched by hand to look at the state when the first step is announced: the operation
    // record must already say `running` (written before any side effect).
    const messages: Reply[] = [];
    let statusAtFirstStep: string | undefined;
    const record = async (r: Reply): Promise<void> => {
      messages.push(r);
      if (r.status === "progress" && statusAtFirstStep === undefined) {
        statusAtFirstStep = h.store.read().operations.filter((o) => o.kind === "seed").at(-1)?.status;
      }
    };
    const final = await h.router.dispatch({ name: "seed", args: ["preprod"], text: "/seed preprod", actor: admin, channelId: "test", respond: record, update: record });
    expect(statusAtFirstStep).toBe("running");
    expect(final.status, text(final)).toBe("success");
    expect(final.title).toMatch(/^preprod seeded from prod in /);
    const lines = (final.lines ?? []).join("\n");
    expect(lines).toMatch(/shop_preprod: data from .* \(3h old, \d+ bytes\)/);
    expect(lines).toContain("credentials.secret (redact): 2 rows");
    expect(lines).toContain('webhooks.path (prefix "test-"): 2 rows');
    expect(lines).toContain("customers.email (replace): 3 rows");
    expect(lines).toContain("customers.phone (null): 2 rows");
    expect(lines).toMatch(/smoke ok: http:\/\/127\.0\.0\.1:\d+\/healthz → 200/);
    const steps = messages.filter((m) => m.status === "progress").map((m) => m.lines?.[0] ?? "");
    expect(steps).toEqual([
      expect.stringMatching(/^Step 1\/5: copying the latest dumps of prod from backup1 to db1/),
      expect.stringMatching(/^Step 2\/5: stopping web of /),
      expect.stringMatching(/^Step 3\/5: restoring and anonymising shop_preprod/),
      expect.stringMatching(/^Step 4\/5: starting /),
      expect.stringMatching(/^Step 5\/5: running 1 smoke check/),
    ]);

    // Credentials equal the marker (a NULL stays NULL), webhook paths start with test-.
    expect(await pg.sql("shop_preprod", "SELECT service || '=' || coalesce(secret, 'NULL') FROM credentials ORDER BY id")).toBe("stripe=[redacted]\ngithub=[redacted]\nsmtp=NULL");
    expect(await pg.sql("shop_preprod", "SELECT path FROM webhooks ORDER BY id")).toBe("test-orders/created\ntest-already\ntest-refunds");
    expect(await pg.sql("shop_preprod", "SELECT name || ',' || email || ',' || coalesce(phone, 'NULL') FROM customers ORDER BY id")).toBe(
      "Ada,user@example.invalid,NULL\nBob,user@example.invalid,NULL\nCy,user@example.invalid,NULL",
    );
    // Other data intact, the old preprod rows gone, the source untouched.
    expect(await pg.sql("shop_preprod", "SELECT count(*) || ' ' || sum(total) FROM orders")).toBe("4 65.75");
    expect(await pg.sql("shop_preprod", "SELECT count(*) FROM credentials WHERE id = 99")).toBe("0");
    expect(await pg.sql("shop", "SELECT secret FROM credentials WHERE service = 'stripe'")).toBe("sk_live_0123456789");

    // The app was stopped and started again; the smoke check was really made.
    const startedAfter = await containerStartedAt();
    expect(startedAfter.startsWith("true ")).toBe(true);
    expect(startedAfter).not.toBe(startedBefore);
    expect(smokeHits).toBeGreaterThan(0);

    // The dump reached the target over SSH with its age; no .pgpass is left behind; the password went nowhere.
    expect(readdirSync(targetDir)).toEqual(["shop-latest.dump"]);
    const everything = JSON.stringify(messages) + h.auditText() + h.logText() + JSON.stringify(h.store.read());
    expect(everything).not.toContain(pg.password);
    const op = h.store.read().operations.filter((o) => o.kind === "seed").at(-1);
    expect(op?.status).toBe("succeeded");
    expect(op?.summary).toMatch(/shop_preprod: 9 rows anonymised/);
  }, 240_000);

  it("a failing anonymisation rule removes the restored data, leaves the services stopped and says so", async () => {
    const good = seedConfig.preprod as Seed;
    const broken: Seeds = {
      preprod: { ...good, anonymise: { shop_preprod: [{ table: "credentials", column: "secret", rule: "redact" }, { table: "credentials", column: "no_such_column", rule: "null" }] } },
    };
    const ops = createSeedOps({ seeds: broken, environments, shellFor: (name) => shells.get(name) as HostShell, composeFor: () => compose, store: lazyStore, locks, readSecret });
    const h2 = await createHarness({ handlers: [createSeedHandler({ ops })], redact, access });
    const { final } = await h2.send("/seed preprod", admin);
    expect(final.status).toBe("failure");
    expect(final.title).toMatch(/seed of preprod failed: db1: psql on database shop_preprod exited with code 3: ERROR: column "no_such_column"/);
    expect(final.title).toMatch(/no_such_column/);
    expect(final.nextStep).toMatch(/restored data was removed again .* services were left stopped/);
    // Neither real nor half-anonymised credentials remain; the schema is there, empty.
    expect(await pg.sql("shop_preprod", "SELECT count(*) FROM credentials")).toBe("0");
    expect(await pg.sql("shop_preprod", "SELECT count(*) FROM orders")).toBe("0");
    expect((await containerStartedAt()).startsWith("false ")).toBe(true);
    expect(JSON.stringify(final)).not.toContain(pg.password);
    expect(h.store.read().operations.filter((o) => o.kind === "seed").at(-1)?.status).toBe("failed");
    await compose.up(project);
  }, 240_000);
});
