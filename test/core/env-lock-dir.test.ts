// Env locks (deploys and seeds) default to a private directory of the deploy user, not /tmp.
import { afterAll, describe, expect, it } from "vitest";
import { Environment } from "../../src/config/environments-config.js";
import { OpsError } from "../../src/core/errors.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { acquireHostLock, hostLockPath } from "../../src/ops/host-lock.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";

const env = loadTestEnv();
const shell = createSshHostShell({ name: "testhost", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 30_000 });
const envName = `lk${uniqueName("e").replace(/[^a-z0-9]/g, "").slice(-12)}`;

afterAll(async () => {
  await shell.exec(["rm", "-f", "--", `.opsdeck-locks/opsdeck-env-${envName}.lock`, `/tmp/opsdeck-env-${envName}.lock`], { cwd: "~" }).catch(() => undefined);
  await shell.exec(["rmdir", "--ignore-fail-on-non-empty", "--", ".opsdeck-locks"], { cwd: "~", allowFailure: true }).catch(() => undefined);
  await shell.close();
});

describe("environment lock directory", () => {
  it("defaults to ~/.opsdeck-locks in the config", () => {
    const parsed = Environment.parse({ host: "h", compose_dir: "/srv/app", project: "app" });
    expect(parsed.lock_dir).toBe("~/.opsdeck-locks");
    expect(hostLockPath(envName)).toBe(`~/.opsdeck-locks/opsdeck-env-${envName}.lock`);
  });

  it("creates the default directory mode 700, owned by the deploy user, and locks in it", async () => {
    const path = hostLockPath(envName);
    const lock = await acquireHostLock(shell, path, { leaseMs: 60_000, what: "a deploy", privateDir: true });
    try {
      const st = await shell.exec(["stat", "-c", "%a %U", ".opsdeck-locks"], { cwd: "~" });
      expect(st.stdout.trim()).toBe(`700 ${env.sshUser}`);
      const busy = await acquireHostLock(shell, path, { leaseMs: 60_000, what: "a seed", privateDir: true }).catch((e: unknown) => e);
      expect((busy as OpsError).code).toBe("busy");
    } finally {
      await lock.release();
    }
    const again = await acquireHostLock(shell, path, { leaseMs: 60_000, what: "a seed", privateDir: true });
    await again.release();
  });

  it("refuses a world-writable lock directory such as /tmp, where any user could hold the lock", async () => {
    const err = await acquireHostLock(shell, hostLockPath(envName, "/tmp"), { leaseMs: 60_000, what: "a deploy", privateDir: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("config");
    expect((err as Error).message).toMatch(/lock directory \/tmp .* writable by every user/);
    expect((err as OpsError).nextStep).toContain("~/.opsdeck-locks");
  });
});
