import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireHostLock } from "../../src/ops/host-lock.js";
import { connectTestHost, testEnv, type HostAdapters } from "../deploy/deploy-harness.js";
import { uniqueName } from "../support/test-env.js";

// A preview deploy answers only after its host lock is released: the release is on the path of
// every /preview reply, so it must not wait out the holder's one-second heartbeat sleep.
describe("host lock release over real sshd", () => {
  const dir = `${testEnv.previewsDir}/${uniqueName("lock-release")}`;
  const file = `${dir}/preview.lock`;
  let host: HostAdapters;

  beforeAll(async () => {
    host = connectTestHost();
    await host.shell.exec(["mkdir", "-p", dir]);
  });
  afterAll(async () => {
    await host.shell.exec(["rm", "-rf", "--", dir]).catch(() => undefined);
    await host.close();
  });

  it("resolves well within the heartbeat second, and the lock is free at once", async () => {
    for (let i = 0; i < 3; i++) {
      // Released right after it is taken: the holder has just begun its first `sleep 1`.
      const lock = await acquireHostLock(host.shell, file, { leaseMs: 600_000, what: "a preview" });
      const t0 = performance.now();
      await lock.release();
      const took = performance.now() - t0;
      expect(took).toBeLessThan(500);
      expect((await host.shell.exec(["flock", "-n", file, "true"], { allowFailure: true })).code).toBe(0);
    }
  });
});
