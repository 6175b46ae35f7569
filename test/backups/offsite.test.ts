// Offsite copies with real restic: a local-path repository and an SFTP one on a second loopback
// user served by a private sshd (the shared test sshd only allows `opsdeck`), real PostgreSQL,
// the real sshd as the backup host (restic runs there as `opsdeck`).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chownSync, copyFileSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Environments } from "../../src/config/environments-config.js";
import { Backups } from "../../src/config/jobs-config.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import type { Actor, Command } from "../../src/core/command.js";
import { Secret } from "../../src/core/secret.js";
import { approvalReplies } from "../../src/handlers/approval-replies.js";
import { createBackupHandler } from "../../src/handlers/backup.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createApprovalDesk, type ApprovalDesk } from "../../src/ops/approvals/create-approval-desk.js";
import { createApprovals } from "../../src/ops/approvals/create-approvals.js";
import { createBackupOps, type BackupOps } from "../../src/ops/backups/create-backup-ops.js";
import { createRestoreOp, type RestoreOp } from "../../src/ops/backups/create-restore-op.js";
import { createRestoreRunner } from "../../src/ops/backups/restore-runner.js";
import type { Store } from "../../src/store/store.js";
import { captureLog, type CapturedLog } from "../fakes/capture-log.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { loadTestEnv } from "../support/test-env.js";
import { asTestUser, freePort, testUserDir, testUserIds } from "../support/test-user.js";
import { startPg, type PgCluster } from "./backup-fixtures.js";

const execFileP = promisify(execFile);
const tenv = loadTestEnv();
const OFFSITE_USER = "opsdeck-offsite";
const OFFSITE_HOME = `/home/${OFFSITE_USER}`;
const RESTIC_PW = `restic-pw-${Math.random().toString(36).slice(2)}-offsite`;
const DAY = 86_400_000;
const access = { roles: { admin: ["console:local"], approver: ["console:alice"] }, rules: {} };
const alice: Actor = { platform: "console", id: "alice", name: "alice" };
const environments = Environments.parse({ vault: { host: "db1", compose_dir: "/srv/vault", project: "vault", protected: true, approval: { approvers: ["approver"] } } });

let pg: PgCluster;
let shell: HostShell;
let root: string;
let sshd: ChildProcess | undefined;
let ops: BackupOps;
let h: Harness;
let captured: CapturedLog;
let restore: RestoreOp;
const lazyStore: Store = { get path() { return h.store.path; }, read: () => h.store.read(), update: (fn) => h.store.update(fn) };
/** A fresh desk over the same store on every call: a decision through it is one made after a restart. */
const desk = (): ApprovalDesk =>
  createApprovalDesk({ approvals: createApprovals({ store: lazyStore, access }), environments, notifier: { notify: async () => {} }, audit: createAuditLog(join(root, "audit.jsonl"), h.redact), redact: h.redact, runners: { restore: createRestoreRunner(restore, "Europe/Paris") }, replies: approvalReplies });
let now = new Date("2026-03-02T02:55:00Z");

const orders = (): Promise<string> => pg.sql("shop", "SELECT string_agg(item, ',' ORDER BY id) FROM orders");
/** restic as root against a repository, to look at it independently of the code under test. */
async function snapshotsIn(repo: string, extra: string[] = []): Promise<Array<{ time: string; tags: string[]; paths: string[] }>> {
  const { stdout } = await execFileP("restic", ["-r", repo, ...extra, "snapshots", "--json"], { env: { ...process.env, RESTIC_PASSWORD: RESTIC_PW }, timeout: 60_000 });
  return JSON.parse(stdout) as Array<{ time: string; tags: string[]; paths: string[] }>;
}

beforeAll(async () => {
  pg = await startPg(tenv.pgBin);
  await pg.sql("postgres", "CREATE DATABASE shop");
  await pg.sql("shop", "CREATE TABLE orders (id serial primary key, item text); INSERT INTO orders (item) VALUES ('a'), ('b'), ('c')");
  root = testUserDir("opsdeck-offsite-");
  // The second loopback user holding the SFTP repository, and a private sshd that lets it in.
  await execFileP("useradd", ["-m", "-d", OFFSITE_HOME, "-s", "/bin/sh", OFFSITE_USER]).catch(() => undefined);
  await execFileP("sh", ["-c", `passwd -d ${OFFSITE_USER} >/dev/null; mkdir -p ${OFFSITE_HOME}/.ssh && cp ${tenv.sshKeyPath}.pub ${OFFSITE_HOME}/.ssh/authorized_keys && chown -R ${OFFSITE_USER}: ${OFFSITE_HOME} && chmod 700 ${OFFSITE_HOME}/.ssh && chmod 600 ${OFFSITE_HOME}/.ssh/authorized_keys`]);
  const port = await freePort();
  const envDir = join(tenv.sshKeyPath, "..");
  const cfg = join(envDir, `sshd-offsite-${port}.conf`);
  writeFileSync(cfg, [`ListenAddress 127.0.0.1`, `Port ${port}`, `HostKey ${join(envDir, "ssh_host_ed25519_key")}`, "PasswordAuthentication no", "PubkeyAuthentication yes", `AllowUsers ${OFFSITE_USER}`, "UsePAM no", "Subsystem sftp internal-sftp", `PidFile ${join(envDir, `sshd-offsite-${port}.pid`)}`].join("\n"), { mode: 0o600 });
  sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", cfg], { stdio: "ignore" });
  // The backup host's user runs ssh for restic: its own copy of the key and a known_hosts for this port.
  const key = join(root, "offsite_key");
  copyFileSync(tenv.sshKeyPath, key);
  chownSync(key, testUserIds().uid, testUserIds().gid);
  const hostKey = readFileSync(join(envDir, "ssh_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  const knownHosts = join(root, "known_hosts");
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  chownSync(knownHosts, testUserIds().uid, testUserIds().gid);
  await new Promise((r) => setTimeout(r, 500));

  shell = createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 120_000 });
  const db = { name: "shop", port: pg.port, user: pg.user, password_env: "PG_PASSWORD" };
  const sftpCommand = `sftp.command=ssh -p ${port} -i ${key} -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes ${OFFSITE_USER}@127.0.0.1 -s sftp`;
  const env = (name: string, offsite: Record<string, unknown>) => ({ host: "db1", dump_dir: join(root, name), seed_dir: join(root, `${name}-seed`), pg_bin: tenv.pgBin, databases: [db], retention: { daily: 2, weekly: 0, monthly: 0, yearly: 0 }, offsite });
  const backups = Backups.parse({
    local: env("local", { repository: join(root, "repo"), password_env: "RESTIC_PASSWORD_LOCAL" }),
    sftp: env("sftp", { repository: `sftp:${OFFSITE_USER}@127.0.0.1:${OFFSITE_HOME}/repo`, password_env: "RESTIC_PASSWORD_SFTP", options: [sftpCommand] }),
    badpw: env("badpw", { repository: join(root, "repo"), password_env: "RESTIC_PASSWORD_WRONG" }),
    vault: env("vault", { repository: join(root, "vault-repo"), password_env: "RESTIC_PASSWORD_LOCAL" }),
    keep: env("keep", { repository: join(root, "keep-repo"), password_env: "RESTIC_PASSWORD_LOCAL" }),
  });
  const secrets: Record<string, string> = { PG_PASSWORD: pg.password, RESTIC_PASSWORD_LOCAL: RESTIC_PW, RESTIC_PASSWORD_SFTP: RESTIC_PW, RESTIC_PASSWORD_WRONG: "not-the-password-123" };
  const readSecret = (n: string): Secret | undefined => (Object.hasOwn(secrets, n) ? new Secret(secrets[n] as string) : undefined);
  // The restic password is deliberately not given to the redactor: it must never be written at all.
  captured = captureLog([pg.password]);
  ops = createBackupOps({ backups, shellFor: () => shell, readSecret, log: captured.log, clock: () => now, timeZone: "Europe/Paris" });
  restore = createRestoreOp({ backups: ops, environments, shellFor: () => shell, composeFor: () => { throw new Error("no compose"); }, readSecret, store: lazyStore, log: captured.log, clock: () => now });
  h = await createHarness({ access, handlers: [createBackupHandler({ ops, timeZone: "Europe/Paris", restore, desk, clock: () => now })] });
  h.redact.add(pg.password);
  for (const e of ["local", "sftp", "badpw", "vault", "keep"]) await asTestUser(["mkdir", "-p", join(root, e)]);
}, 180_000);

afterAll(async () => {
  await shell?.close();
  await pg?.stop();
  if (sshd?.pid) process.kill(sshd.pid, "SIGTERM");
  await execFileP("userdel", ["-r", OFFSITE_USER]).catch(() => undefined);
  const envDir = join(tenv.sshKeyPath, "..");
  for (const f of readdirSync(envDir).filter((n) => n.startsWith("sshd-offsite-"))) unlinkSync(join(envDir, f));
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.each([
  ["local", () => join(root, "repo"), [] as string[]],
  ["sftp", () => join(OFFSITE_HOME, "repo"), [] as string[]],
])("offsite copies to a %s restic repository", (env, repoPath, extra) => {
  it("initialises the repository, holds a snapshot per dump (with its sidecar), and forget applies the GFS policy", async () => {
    now = new Date("2026-03-02T02:55:00Z");
    const first = await h.send(`/backup run ${env}`);
    expect(first.final.status, JSON.stringify(first.final)).toBe("success");
    expect(first.messages.map((m) => m.lines?.[0] ?? m.title).join("\n")).toMatch(/no restic repository at .* yet — initialising it \(restic init\)/);
    const snaps = await snapshotsIn(repoPath(), extra);
    expect(snaps).toHaveLength(1);
    expect(snaps[0]?.tags).toEqual(expect.arrayContaining(["opsdeck", `env:${env}`, "db:shop"]));
    expect(snaps[0]?.paths.some((p) => p.endsWith(".dump.json"))).toBe(true);
    // Three more days: local and offsite both keep the newest 2 daily dumps.
    for (const d of [1, 2, 3]) {
      now = new Date(Date.parse("2026-03-02T02:55:00Z") + d * DAY);
      expect((await h.send(`/backup run ${env}`)).final.status).toBe("success");
    }
    const kept = (await snapshotsIn(repoPath(), extra)).map((s) => s.time.slice(0, 10)).sort();
    expect(kept).toEqual(["2026-03-04", "2026-03-05"]);
    const list = await h.send(`/backup list ${env} shop`);
    expect(list.final.code).toMatch(/offsite \(2 snapshot\(s\)\)/);
    expect(list.final.code).toMatch(/☁ shop-20260305T025500Z/);
  }, 240_000);

  it("restores from offsite after the local dump is deleted: rows as at the dump", async () => {
    await asTestUser(["rm", "-f", join(root, env, "shop-20260305T025500Z.dump")]);
    await pg.sql("shop", "DELETE FROM orders; INSERT INTO orders (item) VALUES ('changed')");
    const { final } = await h.send(`/backup restore ${env} shop shop-20260305T025500Z --from offsite`);
    expect(final.status, JSON.stringify(final)).toBe("success");
    expect(await orders()).toBe("a,b,c");
    await pg.sql("shop", "DELETE FROM orders; INSERT INTO orders (item) VALUES ('a'), ('b'), ('c')");
  }, 240_000);
});

describe("offsite restores and pins", () => {
  it("a protected env: --from offsite goes through the approval desk with its source; the requester is refused, a second person's approval restores rows as at the dump", async () => {
    now = new Date("2026-03-10T02:55:00Z");
    expect((await h.send("/backup run vault")).final.status).toBe("success");
    await asTestUser(["rm", "-f", join(root, "vault", "shop-20260310T025500Z.dump")]);
    await pg.sql("shop", "DELETE FROM orders; INSERT INTO orders (item) VALUES ('changed')");
    const asked = await h.send("/backup restore vault shop shop-20260310T025500Z --from offsite");
    expect(asked.final.title, JSON.stringify(asked.final)).toMatch(/^approval needed: restore shop-20260310T025500Z into vault/);
    expect(asked.final.fields?.find((f) => f.label === "from")?.value).toMatch(/^offsite: restic snapshot [0-9a-f]{8}$/);
    const id = asked.final.fields?.find((f) => f.label === "request")?.value ?? "";
    expect(h.store.read().approvals.find((a) => a.id === id)?.source).toBe("offsite");
    expect(await orders()).toBe("changed");
    const cmd = (actor: Actor): Command => ({ name: "deploy", args: ["approve", id], text: `/deploy approve ${id}`, actor, channelId: "test", respond: async () => {}, update: async () => {} });
    await expect(desk().decide(cmd({ platform: "console", id: "local", name: "local" }), id, "approve", async () => {})).rejects.toThrow(/you requested/);
    expect(await orders()).toBe("changed");
    const done = await desk().decide(cmd(alice), id, "approve", async () => {});
    expect(done.status, JSON.stringify(done)).toBe("success");
    expect(done.title).toBe("restored shop-20260310T025500Z into vault/shop");
    expect(await orders()).toBe("a,b,c");
  }, 240_000);

  it("pinned dumps older than the policy keep their offsite snapshots after forget; unpinned, the next forget removes it", async () => {
    const repo = join(root, "keep-repo");
    const runAt = async (d: number): Promise<void> => {
      now = new Date(Date.parse("2026-04-01T02:55:00Z") + d * DAY);
      expect((await h.send("/backup run keep")).final.status).toBe("success");
    };
    // Three pinned dumps: more than the policy (daily 2) would keep even among themselves.
    for (const d of [0, 1, 2]) {
      await runAt(d);
      expect((await h.send(`/backup pin keep shop-2026040${d + 1}T025500Z`)).final.status).toBe("success");
    }
    expect((await snapshotsIn(repo)).filter((s) => s.tags.includes("pinned"))).toHaveLength(3);
    for (const d of [3, 4, 5]) await runAt(d);
    const days = async (): Promise<string[]> => (await snapshotsIn(repo)).map((s) => s.time.slice(0, 10)).sort();
    expect(await days()).toEqual(["2026-04-01", "2026-04-02", "2026-04-03", "2026-04-05", "2026-04-06"]);
    expect((await h.send("/backup unpin keep shop-20260401T025500Z")).final.status).toBe("success");
    expect((await snapshotsIn(repo)).filter((s) => s.tags.includes("pinned")).map((s) => s.time.slice(0, 10)).sort()).toEqual(["2026-04-02", "2026-04-03"]);
    await runAt(6);
    expect(await days()).toEqual(["2026-04-02", "2026-04-03", "2026-04-06", "2026-04-07"]);
  }, 240_000);
});

describe("offsite failures", () => {
  it("a wrong restic password fails naming the env var; the password is in no reply, log, state or audit line", async () => {
    const { final } = await h.send("/backup run badpw");
    expect(final.status).toBe("failure");
    expect(JSON.stringify(final)).toMatch(/wrong password for the repository .* \(from RESTIC_PASSWORD_WRONG\)/);
    const everything = [JSON.stringify(final), captured.lines.join("\n"), readFileSync(h.store.path, "utf8"), h.auditText(), h.logText()].join("\n");
    for (const pw of [RESTIC_PW, "not-the-password-123"]) expect(everything).not.toContain(pw);
    expect(everything).toMatch(/RESTIC_PASSWORD_WRONG/);
  }, 120_000);

  it("restic check (the drill job's weekly step) reads the data subset: passes on the repository, fails on a damaged pack", async () => {
    expect(await ops.checkOffsite("local")).toMatch(/restic check of .* \(read 5% of the data\) passed/);
    const dataDir = join(root, "repo", "data");
    const packs = readdirSync(dataDir).flatMap((d) => readdirSync(join(dataDir, d)).map((f) => join(dataDir, d, f)));
    // Same length, flipped bytes: restic finds a hash mismatch at once. (A shorter file makes its
    // backend retry the short read with back-off for about two minutes before it gives up.)
    for (const p of packs) {
      const bytes = readFileSync(p);
      for (let i = 0; i < bytes.length; i += 97) bytes[i] = bytes[i]! ^ 0xff;
      writeFileSync(p, bytes);
    }
    await expect(ops.checkOffsite("local")).rejects.toThrow(/restic check failed/);
  }, 120_000);
});
