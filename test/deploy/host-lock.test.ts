import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { acquireHostLock } from "../../src/ops/host-lock.js";
import { uniqueName } from "../support/test-env.js";
import { connectTestHost, testEnv, type HostAdapters } from "./deploy-harness.js";

const free = async (shell: HostShell, file: string): Promise<boolean> => (await shell.exec(["flock", "-n", file, "true"], { allowFailure: true })).code === 0;

async function waitFree(shell: HostShell, file: string, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await free(shell, file)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} still locked after ${ms} ms`);
}

describe("host flock held through HostShell.exec (real sshd)", () => {
  const dir = `${testEnv.previewsDir}/${uniqueName("deploy-lock")}`;
  const file = `${dir}/opsdeck-env-x.lock`;
  let probe: HostAdapters;

  beforeAll(async () => {
    probe = connectTestHost();
    await probe.shell.exec(["mkdir", "-p", dir]);
  });
  afterAll(async () => {
    await probe.shell.exec(["rm", "-rf", "--", dir]).catch(() => undefined);
    await probe.close();
  });

  it("holds the lock until released; a second taker is refused as busy", async () => {
    const owner = connectTestHost();
    try {
      const lock = await acquireHostLock(owner.shell, file, { leaseMs: 600_000, what: "a deploy" });
      expect(await free(probe.shell, file)).toBe(false);
      const err = await acquireHostLock(probe.shell, file, { leaseMs: 600_000, what: "a deploy" }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OpsError);
      expect((err as OpsError).code).toBe("busy");
      await lock.release();
      expect(await free(probe.shell, file)).toBe(true);
    } finally {
      await owner.close();
    }
  });

  it("a dropped connection (the bot died) frees the lock within seconds, not after the lease", async () => {
    const owner = connectTestHost();
    await acquireHostLock(owner.shell, file, { leaseMs: 600_000, what: "a deploy" });
    expect(await free(probe.shell, file)).toBe(false);
    await owner.close();
    expect(await waitFree(probe.shell, file, 10_000)).toBeLessThan(10_000);
  });
});
