// The order of a preview teardown against the real sshd/dockerd (issue 14, goals 2 and 6): what
// may overlap overlaps (DNS from the start, a network as soon as its containers are stopped or, in
// the TTL sweep, removed), and a removal that cannot finish is still reported, never hidden.
import { describe, expect, it } from "vitest";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { getPreviewNames } from "../../src/ops/previews/preview-names.js";
import { uniqueName } from "../support/test-env.js";
import { usePreviewHost } from "../support/preview-host.js";
import { createRecordingDns, leftovers, type RecordingDns } from "./preview-support.js";

const { shell, docker, rig, track } = usePreviewHost();
const actor = { platform: "console" as const, id: "local", name: "t" };

/** The real Docker client and DNS fake, with each call's start and end written to `events` in order. */
function recorded(): { events: string[]; docker: DockerClient; dns: RecordingDns } {
  const events: string[] = [];
  const watched = <T extends object>(target: T, label: string, only: string[]): T => new Proxy(target, {
    get(obj, key, recv) {
      const v = Reflect.get(obj, key, recv) as unknown;
      if (typeof v !== "function" || !only.includes(String(key))) return v;
      return async (...args: unknown[]) => {
        const what = `${label}.${String(key)} ${String(args[0]).slice(0, 80)}`;
        events.push(`start ${what}`);
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } finally {
          events.push(`end ${what}`);
        }
      };
    },
  });
  return {
    events,
    docker: watched(docker, "docker", ["stopContainer", "disconnectContainer", "removeContainer", "removeNetwork", "removeVolume"]),
    dns: watched(createRecordingDns(), "dns", ["remove"]),
  };
}

const first = (events: string[], prefix: string): number => events.findIndex((e) => e.startsWith(prefix));
const last = (events: string[], prefix: string): number => events.map((e) => e.startsWith(prefix)).lastIndexOf(true);

describe("preview teardown order", () => {
  it("destroy: the DNS record goes before any container is stopped, the network beside the container removals; nothing is left", async () => {
    const rec = recorded();
    const r = await rig({ docker: rec.docker, extra: { dns: rec.dns } });
    const slug = uniqueName("tdo");
    track(r, slug);
    await r.ops.deploy({ branch: slug, actor }, async () => {});
    rec.events.length = 0;
    const gone = await r.send(`/preview destroy ${slug} --yes`);
    expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
    const ev = rec.events;
    expect(first(ev, "start dns.remove")).toBeGreaterThanOrEqual(0);
    expect(first(ev, "start dns.remove")).toBeLessThan(first(ev, "end docker.stopContainer"));
    // The network removal starts once the containers are stopped or, when the stop is slow,
    // detached (destroy-network-early.test.ts), before the last container removal has ended; every
    // container is stopped before it is removed; the volume only once the containers are gone.
    const detached = last(ev, "end docker.disconnectContainer");
    expect(first(ev, "start docker.removeNetwork")).toBeGreaterThan(detached >= 0 ? detached : last(ev, "end docker.stopContainer"));
    expect(first(ev, "start docker.removeNetwork")).toBeLessThan(last(ev, "end docker.removeContainer"));
    expect(last(ev, "end docker.stopContainer")).toBeLessThan(first(ev, "start docker.removeContainer"));
    expect(last(ev, "end docker.removeContainer")).toBeLessThan(first(ev, "start docker.removeVolume"));
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
    expect(r.h.store.read().previews).toEqual([]);
  }, 90_000);

  it("destroy: a network another container still uses is tried again once ours are gone, and the destroy fails naming it", async () => {
    const r = await rig();
    const slug = uniqueName("tdn");
    track(r, slug);
    await r.ops.deploy({ branch: slug, actor }, async () => {});
    const network = `preview-${slug}`;
    // Not the preview's (no label): someone attached a debugging container to its network by hand.
    const stranger = `${uniqueName("stranger")}`;
    await shell.exec(["docker", "run", "-d", "--name", stranger, "--network", network, "--no-healthcheck", "opsdeck-test/busybox:1"]);
    try {
      const failed = await r.send(`/preview destroy ${slug} --yes`);
      expect(failed.final.status).toBe("failure");
      expect(JSON.stringify(failed.final)).toMatch(/removing a network .*failed: .*active endpoints/);
      // Ours are gone; the network is not, and the record says failed.
      expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([`network ${network}`]);
      expect(r.h.store.read().previews.map((p) => p.status)).toEqual(["failed"]);
    } finally {
      await shell.exec(["docker", "rm", "-f", stranger], { allowFailure: true });
    }
    const again = await r.send(`/preview destroy ${slug} --yes`);
    expect(again.final.status, JSON.stringify(again.final)).toBe("success");
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
  }, 90_000);

  it("TTL sweep: DNS records go before any container is removed, and a preview's network as soon as its own containers are gone", async () => {
    const rec = recorded();
    // The host command that removes the sweep's containers (the host's own `docker rm -f -v`) in the same event list.
    const watchedShell = new Proxy(shell, {
      get(obj, key, recv) {
        const v = Reflect.get(obj, key, recv) as unknown;
        if (key !== "exec" || typeof v !== "function") return v;
        return async (argv: string[], options?: Parameters<typeof shell.exec>[1]) => {
          const rm = argv[0] === "docker" && argv[1] === "rm";
          if (rm) rec.events.push("start host.docker rm");
          try {
            return await (v as typeof shell.exec).apply(obj, [argv, options]);
          } finally {
            if (rm) rec.events.push("end host.docker rm");
          }
        };
      },
    });
    const r = await rig({ shell: watchedShell, docker: rec.docker, extra: { dns: rec.dns }, config: { quota: 20 } });
    // Three real stacks of two containers each.
    const slugs = [0, 1, 2].map((i) => uniqueName(`tds${i}`));
    for (const slug of slugs) track(r, slug);
    for (const slug of slugs) await r.ops.deploy({ branch: slug, actor }, async () => {});
    const now = new Date();
    await r.h.store.update((s) => {
      for (const p of s.previews) p.expiresAt = new Date(now.getTime() - 1_000).toISOString();
    });
    rec.events.length = 0;
    const report = await r.ops.sweepExpired?.(now, actor);
    expect(report?.failed).toEqual([]);
    expect(report?.destroyed.map((d) => d.slug).sort()).toEqual([...slugs].sort());
    const ev = rec.events;
    // The containers go in one host-side `docker rm -f -v`; each preview's network as soon as the CLI
    // reports its containers gone, before the command ends (test/jobs/ttl-sweep-containers.test.ts).
    expect(last(ev, "start dns.remove")).toBeLessThan(first(ev, "end host.docker rm"));
    expect(first(ev, "start docker.removeNetwork")).toBeGreaterThan(first(ev, "start host.docker rm"));
    for (const slug of slugs) {
      const n = getPreviewNames(r.config, r.baseDir, slug);
      expect(await leftovers(shell, docker, slug, n.dir)).toEqual([]);
      expect(rec.dns.records.has(n.hostname)).toBe(false);
    }
    expect(r.h.store.read().previews).toEqual([]);
  }, 120_000);
});
