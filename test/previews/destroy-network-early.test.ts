// /preview destroy against the real sshd/dockerd (issue 14, goal 2): containers whose stop is slow
// are detached from the preview's network, so the network (~0.2 s of dockerd's work) is removed
// while a container that ignores SIGTERM still waits out previews.stop_timeout (2 s).
import { describe, expect, it } from "vitest";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { uniqueName } from "../support/test-env.js";
import { usePreviewHost } from "../support/preview-host.js";
import { leftovers } from "./preview-support.js";

const { shell, docker, rig, track } = usePreviewHost();
const actor = { platform: "console" as const, id: "local", name: "t" };
// The quota counts every preview on the shared dockerd (other files' too); these tests are not about it.
const quota = 500;

/** The real Docker client, with when each removal call ended (ms since the epoch). */
function timed(): { ended: Map<string, number>; docker: DockerClient } {
  const ended = new Map<string, number>();
  const only = ["stopContainer", "removeContainer", "removeNetwork"];
  const wrapped = new Proxy(docker, {
    get(obj, key, recv) {
      const v = Reflect.get(obj, key, recv) as unknown;
      if (typeof v !== "function" || !only.includes(String(key))) return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } finally {
          ended.set(String(key), Date.now());
        }
      };
    },
  });
  return { ended, docker: wrapped };
}

describe("preview destroy: the network goes beside the container stop", () => {
  it("with an image that ignores SIGTERM (stop_timeout 2s), the network is gone well before the container dies; nothing is left", async () => {
    const rec = timed();
    const r = await rig({ docker: rec.docker, template: "ignores-sigterm.yml", config: { stop_timeout: "2s", quota } });
    const slug = uniqueName("dne");
    track(r, slug);
    const up = await r.send(`/preview ${slug}`);
    expect(up.final.status, JSON.stringify(up.final)).toMatch(/success|warning/);
    const network = `preview-${slug}`;
    // When dockerd reports the container dead (SIGKILL after the 2 s), against when it had
    // answered the network removal.
    const died: number[] = [];
    const unsubscribe = await docker.onLifecycleEvents(`opsdeck.preview=${slug}`, (e) => void (e.action === "die" && died.push(Date.now())));
    let networkGoneAt = 0;
    try {
      const started = Date.now();
      const destroy = r.send(`/preview destroy ${slug} --yes`);
      // Seen from outside while the destroy runs: the network is gone while the container still runs.
      await expect.poll(async () => (await docker.listNetworks(`opsdeck.preview=${slug}`)).length, { timeout: 1_800, interval: 50 }).toBe(0);
      networkGoneAt = Date.now();
      expect((await docker.listByLabel(`opsdeck.preview=${slug}`, { runningOnly: true })).length).toBe(1);
      const gone = await destroy;
      expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
      expect(JSON.stringify(gone.final)).toContain(network);
      await expect.poll(() => died.length, { timeout: 5_000 }).toBeGreaterThan(0);
      const removedNetwork = rec.ended.get("removeNetwork") ?? Infinity;
      const stopped = rec.ended.get("stopContainer") ?? 0;
      // The stop waits out the 2 s; the network removal had ended long before.
      expect(stopped - started).toBeGreaterThan(1_800);
      expect(removedNetwork - started).toBeLessThan(1_500);
      expect(removedNetwork).toBeLessThan(Math.min(...died) - 800);
      expect(networkGoneAt).toBeLessThan(Math.min(...died) - 500);
      expect(rec.ended.get("removeContainer") ?? 0).toBeGreaterThanOrEqual(stopped);
    } finally {
      unsubscribe();
    }
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
    expect(r.h.store.read().previews).toEqual([]);
  }, 90_000);

  it("two containers on the network (one started by hand with the preview's label): both detached and removed, nothing left", async () => {
    const r = await rig({ config: { quota } });
    const slug = uniqueName("dnr");
    track(r, slug);
    await r.ops.deploy({ branch: slug, actor }, async () => {});
    // A second container of the preview (its label), started by hand on its network: listed with the rest.
    const extra = uniqueName("dnrx");
    await shell.exec(["docker", "run", "-d", "--name", extra, "--label", `opsdeck.preview=${slug}`, "--network", `preview-${slug}`, "--no-healthcheck", "opsdeck-test/busybox:1", "sleep", "300"]);
    try {
      const gone = await r.send(`/preview destroy ${slug} --yes`);
      expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
      expect(JSON.stringify(gone.final)).toContain(extra);
      expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
    } finally {
      await shell.exec(["docker", "rm", "-f", extra], { allowFailure: true });
    }
  }, 90_000);

  it("disconnectContainer: a container not attached, a container gone or a network gone is fine; a bad name is refused", async () => {
    const network = uniqueName("dnd");
    const ctr = uniqueName("dndc");
    await shell.exec(["docker", "network", "create", "--label", "opsdeck.test=dnd", network]);
    try {
      await shell.exec(["docker", "run", "-d", "--name", ctr, "--network", network, "--no-healthcheck", "opsdeck-test/busybox:1", "sleep", "300"]);
      await docker.disconnectContainer(network, ctr);
      // Detached while it runs: the network can go at once.
      expect((await docker.inspect(ctr)).state).toBe("running");
      await docker.removeNetwork(network);
      expect(await docker.listNetworks("opsdeck.test=dnd")).not.toContain(network);
      await docker.disconnectContainer(network, ctr); // the network is gone
      await docker.disconnectContainer("bridge", ctr); // never attached to it
      await shell.exec(["docker", "rm", "-f", ctr]);
      await docker.disconnectContainer("bridge", ctr); // the container is gone
      await expect(docker.disconnectContainer("bridge", "-f")).rejects.toThrow(/is not a container id or name/);
    } finally {
      await shell.exec(["docker", "rm", "-f", ctr], { allowFailure: true });
      await shell.exec(["docker", "network", "rm", network], { allowFailure: true });
    }
  });
});
