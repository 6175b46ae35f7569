// The host-side flock (shared by seeds and deploys) and the dump copy, with the local shell and
// the real SSH shell.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { copyDump, latestDumpPath, statDump } from "../../src/ops/seed/copy-dump.js";
import { acquireHostLock, hostLockPath } from "../../src/ops/host-lock.js";
import { loadTestEnv } from "../support/test-env.js";
import { testUserDir, testUserIds } from "../support/test-user.js";

const execFileP = promisify(execFile);
const tenv = loadTestEnv();
const sha = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Whether another process could take the lock right now. */
async function lockIsFree(path: string): Promise<boolean> {
  const r = await execFileP("flock", ["-n", "-E", "75", path, "true"]).then(() => 0, (e: { code?: number }) => e.code ?? 1);
  return r === 0;
}

describe("host lock", () => {
  let dir: string;
  const local = createLocalHostShell({ name: "local", commandTimeoutMs: 30_000 });
  const sshShell = (): SshHostShell => createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 30_000 });

  beforeAll(() => {
    dir = testUserDir("opsdeck-lock-");
  });
  afterAll(async () => {
    await execFileP("rm", ["-rf", "--", dir]);
  });

  it("refuses a second holder and frees the lock on release", async () => {
    const ssh = sshShell();
    try {
      const path = hostLockPath("preprod", dir);
      const lock = await acquireHostLock(ssh, path, { leaseMs: 60_000, what: "a seed", privateDir: true });
      expect(await lockIsFree(path)).toBe(false);
      await expect(acquireHostLock(local, path, { leaseMs: 60_000, what: "a deploy", privateDir: true })).rejects.toThrow(/is locked by another process/);
      await lock.release();
      expect(await lockIsFree(path)).toBe(true);
      const again = await acquireHostLock(local, path, { leaseMs: 60_000, what: "a deploy", privateDir: true });
      await again.release();
    } finally {
      await ssh.close();
    }
  });

  it("is freed when the bot's SSH connection goes away without releasing it", async () => {
    const ssh = sshShell();
    const path = hostLockPath("staging", dir);
    await acquireHostLock(ssh, path, { leaseMs: 60_000, what: "a seed", privateDir: true });
    expect(await lockIsFree(path)).toBe(false);
    await ssh.close();
    const deadline = Date.now() + 5000;
    while (!(await lockIsFree(path)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await lockIsFree(path)).toBe(true);
  });

  it("refuses names that could leave the lock directory", () => {
    expect(() => hostLockPath("../etc")).toThrow();
    expect(hostLockPath("preprod")).toBe("~/.opsdeck-locks/opsdeck-env-preprod.lock");
  });
});

describe("dump copy", () => {
  let dir: string;
  let ssh: SshHostShell;
  const local = createLocalHostShell({ name: "backup1", commandTimeoutMs: 30_000 });

  beforeAll(() => {
    dir = testUserDir("opsdeck-copy-");
    ssh = createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await ssh.close();
    await execFileP("rm", ["-rf", "--", dir]);
  });

  it("copies binary dumps byte for byte with their age, on one host and across hosts", async () => {
    const src = latestDumpPath(dir, "shop");
    writeFileSync(src, randomBytes(300_000), { mode: 0o644 });
    const old = new Date(Date.now() - 26 * 3600_000);
    utimesSync(src, old, old);
    const info = await statDump(local, src, "prod");
    expect(info.bytes).toBe(300_000);
    expect(Math.abs(info.mtime.getTime() - old.getTime())).toBeLessThan(1000);

    const same = join(dir, "same", "shop-latest.dump");
    await copyDump(local, local, info, same, 30_000);
    const across = join(dir, "across", "shop-latest.dump");
    await copyDump(local, ssh, info, across, 30_000);
    for (const copy of [same, across]) {
      expect(sha(copy)).toBe(sha(src));
      expect(Math.abs(statSync(copy).mtimeMs - old.getTime())).toBeLessThan(1000);
    }
    expect(statSync(across).uid).toBe(testUserIds().uid); // written by the SSH user on the target
  });

  it("a missing or empty dump says how to make one", async () => {
    await expect(statDump(ssh, join(dir, "nope-latest.dump"), "prod")).rejects.toThrow(/there is no dump at/);
    writeFileSync(join(dir, "empty-latest.dump"), "");
    const err = await statDump(local, join(dir, "empty-latest.dump"), "prod").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "not_found", nextStep: expect.stringMatching(/\/backup run prod/) });
  });
});
