// The deploy's steps before `compose up` that do not depend on each other run at once (real sshd and
// dockerd): the quota reservation and the host's disk/memory check.
import { afterAll, describe, expect, it } from "vitest";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { getHostResources } from "../../src/ops/adapters/get-host-resources.js";
import { PREVIEW_LABEL } from "../../src/ops/previews/render-template.js";
import { uniqueName } from "../support/test-env.js";
import { makeDocker, makeRig, makeShell } from "./preview-support.js";

const shell = makeShell();
const realDocker = makeDocker(shell);
const baseDirs: string[] = [];

afterAll(async () => {
  for (const dir of baseDirs) await shell.exec(["rm", "-rf", "--", dir]).catch(() => {});
  await shell.close();
});

describe("preview deploy: independent steps before compose up", () => {
  it("checks the host's disk and memory while the quota is being reserved, not after", async () => {
    let resourcesAsked!: () => void;
    const asked = new Promise<void>((resolve) => (resourcesAsked = resolve));
    let quotaSawResourcesCheck: boolean | undefined;
    // The real Docker client; the quota's listing of running previews waits (at most 5 s) for the
    // resources check to begin, which it only does when the two run at once.
    const docker: DockerClient = {
      ...realDocker,
      async listByLabel(label, opts) {
        if (quotaSawResourcesCheck === undefined && label === PREVIEW_LABEL && opts?.runningOnly) {
          quotaSawResourcesCheck = await Promise.race([asked.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
        }
        return realDocker.listByLabel(label, opts);
      },
    };
    const r = await makeRig({ shell, docker, extra: { getResources: async (host, path) => (resourcesAsked(), getHostResources(host, path)) } });
    baseDirs.push(r.baseDir);
    const slug = uniqueName("ovl");
    try {
      const res = await r.send(`/preview ${slug}`);
      expect(res.final.status).toBe("success");
      expect(quotaSawResourcesCheck).toBe(true);
      expect(r.h.store.read().previews.map((p) => [p.slug, p.status])).toEqual([[slug, "running"]]);
    } finally {
      const destroyed = await r.send(`/preview destroy ${slug} --yes`);
      expect(destroyed.final.status).toBe("success");
    }
  });

  it("writes the state twice for a deploy: the operation with its deploying record, then its end with the running record", async () => {
    const r = await makeRig({ shell, docker: realDocker });
    baseDirs.push(r.baseDir);
    const { store } = r.h;
    const update = store.update;
    const writes: string[] = [];
    // The real store; each update that changes previews or operations is noted (the router's own are not).
    store.update = (fn) =>
      update(async (s) => {
        const before = JSON.stringify([s.previews, s.operations]);
        const result = await fn(s);
        if (JSON.stringify([s.previews, s.operations]) !== before) writes.push(`${s.operations.map((o) => o.status).join(",")} / ${s.previews.map((p) => p.status).join(",")}`);
        return result;
      });
    const slug = uniqueName("ovw");
    try {
      expect((await r.send(`/preview ${slug}`)).final.status).toBe("success");
      expect(writes).toEqual(["running / deploying", "succeeded / running"]);
    } finally {
      store.update = update;
      expect((await r.send(`/preview destroy ${slug} --yes`)).final.status).toBe("success");
    }
  });

  it("looks up the host's compose (first deploy of a bot) beside the quota and the host lock, not after them", async () => {
    const ran: string[] = [];
    // The real shell; every command still runs on the host, only its program is noted.
    // Detection begins with the v2 probe (`docker compose version`), then looks v1 up on the PATH.
    const name = (argv: readonly string[]): string => (argv.join(" ") === "docker compose version" ? "compose detection" : argv.join(" ").includes("command -v docker-compose") ? "compose lookup" : argv[0] ?? "");
    const host: HostShell = { ...shell, exec: (argv, opts) => (ran.push(name(argv)), shell.exec(argv, opts)) };
    const r = await makeRig({ shell, docker: realDocker, extra: { host, compose: createComposeClient(host) } });
    baseDirs.push(r.baseDir);
    const slug = uniqueName("ovc");
    try {
      expect((await r.send(`/preview ${slug}`)).final.status).toBe("success");
      expect(ran).toContain("compose lookup");
      expect(ran).toContain("flock");
      expect(ran.indexOf("compose detection")).toBeGreaterThanOrEqual(0);
      expect(ran.indexOf("compose detection")).toBeLessThan(ran.indexOf("flock"));
    } finally {
      expect((await r.send(`/preview destroy ${slug} --yes`)).final.status).toBe("success");
    }
  });

  it("a failed host check still puts the reservation back, and a refused quota is reported first", async () => {
    const r = await makeRig({ shell, docker: realDocker, config: { quota: 1, min_free_disk_mb: 1_000_000_000 } });
    baseDirs.push(r.baseDir);
    // The one slot is taken by a deploy in progress (a `deploying` record of this host).
    const now = new Date().toISOString();
    const other = { slug: "ovl-other", branch: "ovl-other", ref: "main", host: "preview1", project: "preview-ovl-other", hostname: "preview-ovl-other.preview.test", url: "http://x", requestedBy: "console:local", requestedByName: "local", createdAt: now, updatedAt: now, expiresAt: now, status: "deploying" as const };
    await r.h.store.update((s) => void s.previews.push(other));
    const res = await r.send(`/preview ${uniqueName("ovq")}`);
    expect(res.final.status).toBe("failure");
    // Counted from the shared dockerd too: other previews running there may be named as well.
    expect(res.final.title).toMatch(/^the preview quota is reached: \d+ of 1 in use \(.*ovl-other \(deploying\)\)$/);
    expect(r.h.store.read().previews.map((p) => p.slug)).toEqual(["ovl-other"]);

    const d = await makeRig({ shell, docker: realDocker, config: { min_free_disk_mb: 1_000_000_000 } });
    baseDirs.push(d.baseDir);
    const res2 = await d.send(`/preview ${uniqueName("ovd")}`);
    expect(res2.final.title).toMatch(/^host preview1 has \d+ MB of free disk/);
    expect(d.h.store.read().previews).toEqual([]);
    expect(d.h.store.read().operations[0]?.status).toBe("failed");
  });
});
