// Offsite copies with real restic: a local-path repository and an SFTP one on a second loopback
// user served by a private sshd (the shared test sshd only allows `opsdeck`), real PostgreSQL,
// the real sshd as the backup host (restic runs there as `opsdeck`).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chownSync, copyFileSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Backups } from "../../src/config/jobs-config.js";
import { Secret } from "../../src/core/secret.js";
import { createBackupHandler } from "../../src/handlers/backup.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createBackupOps, type BackupOps } from "../../src/ops/backups/create-backup-ops.js";
import { createRestoreOp } from "../../src/ops/backups/create-restore-op.js";
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

let pg: PgCluster;
let shell: HostShell;
let root: string;
let sshd: ChildProcess | undefined;
let ops: BackupOps;
let h: Harness;
let captured: CapturedLog;
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
  });
  const secrets: Record<string, string> = { PG_PASSWORD: pg.password, RESTIC_PASSWORD_LOCAL: RESTIC_PW, RESTIC_PASSWORD_SFTP: RESTIC_PW, RESTIC_PASSWORD_WRONG: "not-the-password-123" };
  const readSecret = (n: string): Secret | undefined => (Object.hasOwn(secrets, n) ? new Secret(secrets[n] as string) : undefined);
  // The restic password is deliberately not given to the redactor: it must never be written at all.
  captured = captureLog([pg.password]);
  ops = createBackupOps({ backups, shellFor: () => shell, readSecret, log: captured.log, clock: () => now, timeZone: "Europe/Paris" });
  const restore = createRestoreOp({ backups: ops, environments: {}, shellFor: () => shell, composeFor: () => { throw new Error("no compose"); }, readSecret, store: { get path() { return h.store.path; }, read: () => h.store.read(), update: (fn) => h.store.update(fn) }, log: captured.log, clock: () => now });
  h = await createHarness({ handlers: [createBackupHandler({ ops, timeZone: "Europe/Paris", restore, clock: () => now })] });
  h.redact.add(pg.password);
  for (const e of ["local", "sftp", "badpw"]) await asTestUser(["mkdir", "-p", join(root, e)]);
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
