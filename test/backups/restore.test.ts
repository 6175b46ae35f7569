// /backup restore end to end: real PostgreSQL, the real sshd as the backup host, a real compose
// project (docker over SSH) as the app services, a loopback smoke endpoint, the real approval flow.
import { execFile } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Environments } from "../../src/config/environments-config.js";
import { Backups } from "../../src/config/jobs-config.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";
import { Secret } from "../../src/core/secret.js";
import { approvalReplies } from "../../src/handlers/approval-replies.js";
import { createBackupHandler } from "../../src/handlers/backup.js";
import type { ComposeClient, ComposeProject } from "../../src/ops/adapters/compose-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createApprovalDesk, type ApprovalDesk } from "../../src/ops/approvals/create-approval-desk.js";
import { createApprovals } from "../../src/ops/approvals/create-approvals.js";
import { createBackupOps, type BackupOps } from "../../src/ops/backups/create-backup-ops.js";
import { createRestoreOp, type RestoreOp } from "../../src/ops/backups/create-restore-op.js";
import { dumpFileName } from "../../src/ops/backups/dump-paths.js";
import { createRestoreRunner } from "../../src/ops/backups/restore-runner.js";
import type { Store } from "../../src/store/store.js";
import { captureLog } from "../fakes/capture-log.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";
import { asTestUser, testUserDir } from "../support/test-user.js";
import { startPg, type PgCluster } from "./backup-fixtures.js";

const execFileP = promisify(execFile);
const tenv = loadTestEnv();
const ZONE = "Europe/Paris";
const access = { roles: { admin: ["console:local"], approver: ["console:alice"] }, rules: {} };
const alice: Actor = { platform: "console", id: "alice", name: "alice" };

let pg: PgCluster;
let shell: HostShell;
let compose: ComposeClient;
let project: ComposeProject;
let smoke: Server;
let root: string;
let ops: BackupOps;
let restore: RestoreOp;
let h: Harness;
let environments: Environments;
const announced: Reply[] = [];

const orders = (db: string): Promise<string> => pg.sql(db, "SELECT string_agg(item, ',' ORDER BY id) FROM orders");
const dumpsIn = (env: string): string[] => readdirSync(join(root, env)).filter((f) => f.endsWith(".dump")).sort();
const lazyStore: Store = {
  get path() {
    return h.store.path;
  },
  read: () => h.store.read(),
  update: (fn) => h.store.update(fn),
};
const containerStartedAt = async (): Promise<string> => {
  const id = (await compose.ps(project))[0] ?? "";
  return (await execFileP("docker", ["inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", id])).stdout.trim();
};

function desk(): ApprovalDesk {
  // Built on every call over the same store: a decision made through a fresh desk is one made after a restart.
  return createApprovalDesk({
    approvals: createApprovals({ store: lazyStore, access }),
    environments,
    notifier: { notify: async (r) => void announced.push(r) },
    audit: createAuditLog(join(root, "audit.jsonl"), h.redact),
    redact: h.redact,
    runners: { restore: createRestoreRunner(restore, ZONE) },
    replies: approvalReplies,
  });
}

beforeAll(async () => {
  pg = await startPg(tenv.pgBin);
  for (const db of ["shop", "crm", "ledger"]) {
    await pg.sql("postgres", `CREATE DATABASE ${db}`);
    await pg.sql(db, "CREATE TABLE orders (id serial primary key, item text); INSERT INTO orders (item) VALUES ('a'), ('b'), ('c')");
  }
  root = testUserDir("opsdeck-restore-");
  smoke = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((r) => smoke.listen(0, "127.0.0.1", r));
  shell = createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 60_000 });
  compose = createComposeClient(shell);
  project = { name: uniqueName("restoreapp"), dir: join(root, "app") };
  await shell.writeFile(join(project.dir, "docker-compose.yml"), `services:\n  web:\n    image: ${tenv.images.busybox}\n    command: ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & wait"]\n`);
  await compose.up(project);

  const db = (name: string) => ({ name, port: pg.port, user: pg.user, password_env: "PG_PASSWORD" });
  const backups = Backups.parse({
    staging: { host: "db1", dump_dir: join(root, "staging"), seed_dir: join(root, "staging-seed"), pg_bin: tenv.pgBin, databases: [db("shop"), db("crm")], app_services: ["web"] },
    prod: { host: "db1", dump_dir: join(root, "prod"), seed_dir: join(root, "prod-seed"), pg_bin: tenv.pgBin, databases: [db("ledger")] },
  });
  environments = Environments.parse({
    staging: { host: "db1", compose_dir: project.dir, project: project.name, smoke_checks: [{ url: `http://127.0.0.1:${(smoke.address() as { port: number }).port}/healthz` }] },
    prod: { host: "db1", compose_dir: "/srv/prod", project: "prod", protected: true, approval: { approvers: ["approver"] } },
  });
  const readSecret = (n: string): Secret | undefined => (n === "PG_PASSWORD" ? new Secret(pg.password) : undefined);
  const log = captureLog([pg.password]).log;
  ops = createBackupOps({ backups, shellFor: () => shell, readSecret, log, timeZone: ZONE });
  restore = createRestoreOp({ backups: ops, environments, shellFor: () => shell, composeFor: () => compose, readSecret, store: lazyStore, log });
  h = await createHarness({ access, handlers: [createBackupHandler({ ops, timeZone: ZONE, restore, desk })] });
  h.redact.add(pg.password);
  for (const env of ["staging", "prod"]) await asTestUser(["mkdir", "-p", join(root, env)]);
}, 180_000);

afterAll(async () => {
  if (compose && project) await compose.down(project, { volumes: true }).catch(() => undefined);
  await shell?.close();
  await pg?.stop();
  await new Promise((r) => smoke?.close(r));
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("/backup restore", () => {
  it("refuses bad input clearly and touches nothing", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/backup restore nowhere shop latest", /no backups are configured for "nowhere"/],
      ["/backup restore staging billing latest", /staging has no database "billing"/],
      ["/backup restore staging shop shop-20200101T000000Z", /no dump shop-20200101T000000Z in staging's dumps/],
      ["/backup restore staging shop crm-20200101T000000Z", /dump crm-20200101T000000Z is a dump of database crm, not shop/],
      ["/backup restore staging shop ../../etc/passwd", /is not a dump id/],
      ["/backup restore prod ledger latest", /prod has no dump of ledger yet/],
      ["/backup restore staging shop", /needs an environment, a database and a dump/],
    ];
    for (const [text, title] of cases) {
      const { final } = await h.send(text);
      expect(final.status, text).toBe("failure");
      expect(final.title, text).toMatch(title);
    }
    expect(dumpsIn("staging")).toEqual([]);
    expect(dumpsIn("prod")).toEqual([]);
    expect(await orders("shop")).toBe("a,b,c");
  }, 60_000);

  it("puts the rows back as they were at the dump, with a pinned safety dump, services stopped and started, smoke-checked and journaled", async () => {
    expect((await h.send("/backup run staging")).final.status).toBe("success");
    const [dump] = dumpsIn("staging").filter((f) => f.startsWith("shop-"));
    // Row counts recorded next to the dump.
    expect(JSON.parse((await shell.readFile(join(root, "staging", `${dump}.json`))) ?? "{}").tables).toEqual({ "public.orders": 3 });
    await pg.sql("shop", "DELETE FROM orders WHERE item = 'b'; INSERT INTO orders (item) VALUES ('z')");
    const before = await containerStartedAt();

    const plan = await h.send("/backup restore staging shop latest --dry-run");
    expect(plan.final.title).toMatch(/^plan: restore shop-\d{8}T\d{6}Z into staging\/shop \(dry run/);
    expect(plan.final.code).toMatch(/stop web of restoreapp/);
    expect(await orders("shop")).toBe("a,c,z");

    const { final, messages } = await h.send("/backup restore staging shop latest");
    expect(final.status).toBe("success");
    expect(await orders("shop")).toBe("a,b,c");
    const steps = messages.filter((m) => m.status === "progress").map((m) => m.lines?.[0] ?? m.title);
    expect(steps.join("\n")).toMatch(/taking a safety dump of shop[\s\S]*stopping web[\s\S]*restoring shop-[\s\S]*starting web[\s\S]*running 1 smoke check/);
    const after = await containerStartedAt();
    expect(after.startsWith("true ")).toBe(true);
    expect(after).not.toBe(before);
    // The safety dump holds the data as it was just before (a,c,z), is pinned and shows as such.
    const safetyId = final.fields?.find((f) => f.label === "safety dump")?.value.split(" ")[0] ?? "";
    expect(dumpsIn("staging")).toContain(`${safetyId}.dump`);
    const list = await h.send("/backup list staging shop");
    expect(list.final.code).toMatch(new RegExp(`${safetyId}.*📌 safety`));
    const journal = h.store.read().operations.filter((o) => o.kind === "restore");
    expect(journal.map((o) => [o.target, o.status])).toEqual([["staging/shop", "succeeded"]]);
    // Undo with the safety dump: back to a,c,z.
    expect((await h.send(`/backup restore staging shop ${safetyId}`)).final.status).toBe("success");
    expect(await orders("shop")).toBe("a,c,z");
  }, 180_000);

  it("a corrupt dump fails, the safety dump is restored and the reply says so; nothing is lost", async () => {
    const [good] = dumpsIn("staging").filter((f) => f.startsWith("shop-"));
    const corrupt = dumpFileName("shop", new Date(Date.now() + 3_600_000));
    // The first half of a real dump: the header parses, the data does not.
    await asTestUser(["sh", "-c", 'head -c "$(( $(stat -c %s "$1") / 2 ))" "$1" > "$2"', "sh", join(root, "staging", good ?? ""), join(root, "staging", corrupt)]);
    await pg.sql("shop", "INSERT INTO orders (item) VALUES ('kept')");
    const { final } = await h.send(`/backup restore staging shop ${corrupt.replace(/\.dump$/, "")}`);
    expect(final.status).toBe("failure");
    expect(final.lines?.join("\n")).toMatch(/The safety dump shop-\d{8}T\d{6}Z was restored/);
    expect(await orders("shop")).toBe("a,c,z,kept");
    expect((await containerStartedAt()).startsWith("true ")).toBe(true);
    expect(h.store.read().operations.filter((o) => o.kind === "restore").pop()?.status).toBe("failed");
  }, 180_000);

  it("a protected environment needs a second person: the request names database, dump time and size; it survives a restart", async () => {
    expect((await h.send("/backup run prod")).final.status).toBe("success");
    await pg.sql("ledger", "UPDATE orders SET item = 'tampered'");
    const asked = await h.send("/backup restore prod ledger latest");
    expect(asked.final.title).toMatch(/^approval needed: restore ledger-\d{8}T\d{6}Z into prod/);
    const field = (l: string): string => asked.final.fields?.find((f) => f.label === l)?.value ?? "";
    expect(field("database")).toBe("ledger");
    expect(field("dump taken")).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d GMT\+/);
    expect(field("dump size")).toMatch(/\d+(\.\d)? (B|KB)$/);
    expect(await orders("ledger")).toBe("tampered,tampered,tampered");
    const id = field("request");
    const cmd = (actor: Actor): Command => ({ name: "deploy", args: ["approve", id], text: `/deploy approve ${id}`, actor, channelId: "test", respond: async () => {}, update: async () => {} });
    // The requester cannot approve their own restore.
    await expect(desk().decide(cmd({ platform: "console", id: "local", name: "local" }), id, "approve", async () => {})).rejects.toThrow(/you requested/);
    expect(await orders("ledger")).toBe("tampered,tampered,tampered");
    const done = await desk().decide(cmd(alice), id, "approve", async () => {});
    expect(done.status).toBe("success");
    expect(await orders("ledger")).toBe("a,b,c");
    expect(announced.some((r) => r.title.startsWith("alice approved restore"))).toBe(true);
  }, 180_000);
});
