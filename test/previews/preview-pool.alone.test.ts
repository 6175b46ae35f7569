// Previews over a pool of hosts (issue 13 item 2), end to end: three configured host names — two
// on the test sshd with different base dirs, the second made "small" through its per-host memory
// minimum, and a third on a closed loopback port (unreachable) — all through the real ssh shell,
// compose and dockerd. The dockerd is shared with other tests: quotas are relative to what runs.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Config, Previews } from "../../src/config/schema.js";
import { createPreviewHandler } from "../../src/handlers/preview.js";
import { createTtlCleanupJob, expiredPreviewsFrom } from "../../src/jobs/ttl-cleanup-job.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createConfiguredPreviewOps } from "../../src/ops/previews/create-configured-previews.js";
import type { PreviewOps } from "../../src/ops/previews/preview-types.js";
import { toSlug } from "../../src/ops/previews/slug.js";
import type { Reply } from "../../src/core/command.js";
import type { Handler } from "../../src/handlers/handler.js";
import { createRedactor } from "../../src/core/redact.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { repoRoot, uniqueName } from "../support/test-env.js";
import { createRecordingDns, env, forceClean, leftovers, makeDocker, runningSlugs, type RecordingDns } from "./preview-support.js";

const base1 = `${env.previewsDir}/${uniqueName("pool1")}`;
const base2 = `${env.previewsDir}/${uniqueName("pool2")}`;
let closedPort = 0;
const shells: SshHostShell[] = [];
const dockers: DockerClient[] = [];
const slugs: string[] = [];
let h: Harness;
let dns: RecordingDns;
let handler: Handler | undefined;

function shellFor(name: string): SshHostShell {
  const port = name === "preview3" ? closedPort : env.sshPort;
  const s = createSshHostShell({ name, address: env.sshHost, port, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
  shells.push(s);
  return s;
}

/** A pool of the given hosts over the one shared store; `handler` serves `/preview` for it. */
function pool(hosts: string[], extra: Record<string, unknown> = {}): { ops: PreviewOps; config: Previews } {
  const config = Previews.parse({
    hosts, base_dir: base1, base_dirs: { preview2: base2 }, domain: "preview.test", url: "http://{hostname}:8080", image: env.images.busybox,
    quota: 50, min_free_disk_mb: 0, min_free_memory_mb: 0, health_timeout: "25s", log_tail_lines: 10,
    dns_target: "127.0.0.1", dns_targets: { preview1: "127.0.0.5", preview2: "127.0.0.6" }, ...extra,
  });
  const ops = createConfiguredPreviewOps({
    config, dns, store: h.store, redact: h.redact, log: h.log, templatePath: `${repoRoot}test/fixtures/preview-templates/healthy.yml`,
    partsFor(name, baseDir) {
      const shell = shellFor(name);
      const docker = makeDocker(shell);
      dockers.push(docker);
      return { host: shell, compose: createComposeClient(shell), docker, baseDir };
    },
  });
  handler = createPreviewHandler({ ops, config });
  return { ops, config };
}

const send = (text: string): Promise<{ final: Reply; messages: Reply[] }> => h.send(text);
// preview2 passes nothing: its memory minimum is far above what the machine has.
const SMALL_PREVIEW2 = { host_minimums: { preview2: { min_free_memory_mb: 10_000_000 } } };

beforeAll(async () => {
  // A loopback port nobody listens on: bind, read the port, close.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  const lazy: Handler = {
    name: "preview", summary: "preview", usage: [],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: delegates to the current pool's handler
    permission: (args) => (handler as Handler).permission(args),
    run: (command, progress) => (handler as Handler).run(command, progress),
  };
  h = await createHarness({ handlers: [lazy], redact: createRedactor() });
  dns = createRecordingDns();
});

afterAll(async () => {
  const shell = shellFor("preview1");
  const docker = makeDocker(shell);
  await forceClean(shell, docker, slugs, base1);
  await forceClean(shell, docker, [], base2);
  await docker.close();
  for (const d of dockers) await d.close().catch(() => undefined);
  for (const s of shells) await s.close().catch(() => undefined);
});

describe("previews over a pool of hosts", () => {
  const a = toSlug(uniqueName("pool-a"));
  slugs.push(a);

  it("places a new preview on the host that passes the minimums, DNS at that host's dns_target, and reports the unreachable host", async () => {
    pool(["preview2", "preview1", "preview3"], SMALL_PREVIEW2);
    const r = await send(`/preview ${a}`);
    expect(r.final.status, JSON.stringify(r.final)).toBe("warning");
    const rec = h.store.read().previews.find((p) => p.slug === a);
    expect(rec?.host).toBe("preview1");
    expect(JSON.stringify(r.final)).toMatch(/preview host preview3 could not be reached/);
    expect(dns.records.get(`preview-${a}.preview.test`)?.content).toBe("127.0.0.5");
    const shell = shellFor("preview1");
    expect((await shell.exec(["test", "-f", `${base1}/${a}/docker-compose.yml`], { allowFailure: true })).code).toBe(0);
  });

  it("refuses a new preview when no host passes, naming each host and why", async () => {
    pool(["preview2", "preview3"], { ...SMALL_PREVIEW2, dns_targets: { preview2: "127.0.0.6" } });
    const b = toSlug(uniqueName("pool-none"));
    const r = await send(`/preview ${b}`);
    expect(r.final.status).toBe("failure");
    expect(r.final.title).toMatch(/^no preview host can take a new preview \(preview2: \d+ MB memory available, needs 10000000 MB; preview3: unreachable/);
    expect(h.store.read().previews.some((p) => p.slug === b)).toBe(false);
  });

  it("the quota is global: a preview running on preview1 takes the last slot of a pool that would place on preview2", async () => {
    const quota = (await runningSlugs(dockers[0] as DockerClient)).size;
    // Ties in free memory go to the first host: preview2 here, but the slot is held on preview1.
    pool(["preview2", "preview1"], { quota });
    const b = toSlug(uniqueName("pool-b"));
    slugs.push(b);
    const r = await send(`/preview ${b}`);
    expect(r.final.status).toBe("failure");
    expect(r.final.title).toMatch(new RegExp(`^the preview quota of the pool is reached: \\d+ of ${quota} in use across preview2, preview1 \\(.*\\b${a}\\b.*\\)$`));
    expect(h.store.read().previews.some((p) => p.slug === b)).toBe(false);
  });

  it("quota_per_host: a host at its per-host quota takes no new preview, the next host does", async () => {
    const { ops } = pool(["preview1", "preview2"], { quota_per_host: 1 });
    const c = toSlug(uniqueName("pool-c"));
    slugs.push(c);
    const r = await send(`/preview ${c}`);
    expect(r.final.status, JSON.stringify(r.final)).toMatch(/success|warning/);
    expect(h.store.read().previews.find((p) => p.slug === c)?.host).toBe("preview2");
    expect(dns.records.get(`preview-${c}.preview.test`)?.content).toBe("127.0.0.6");
    expect((await shellFor("preview2").exec(["test", "-f", `${base2}/${c}/docker-compose.yml`], { allowFailure: true })).code).toBe(0);
    const confirm = await send(`/preview destroy ${c}`);
    expect(confirm.final.lines?.[0]).toMatch(/directory on its preview host \(see \/preview list\)\.$/);
    await ops.destroy(c, { platform: "console", id: "u1", name: "tester" }, async () => {});
    expect(await leftovers(shellFor("preview2"), dockers[0] as DockerClient, c, `${base2}/${c}`)).toEqual([]);
  });

  it("a redeploy stays on the preview's host, though a new preview would go elsewhere", async () => {
    const { ops } = pool(["preview2", "preview1", "preview3"]);
    const started = await ops.deploy({ branch: a, actor: { platform: "console", id: "u1", name: "tester" } }, async () => {});
    expect(started.host).toBe("preview1");
    expect(started.redeployed).toBe(true);
    expect(started.dir).toBe(`${base1}/${a}`);
    expect(h.store.read().previews.find((p) => p.slug === a)?.host).toBe("preview1");
  });

  it("/preview list shows each preview's host and reports the unreachable one; ttl-cleanup still sweeps the others", async () => {
    const { ops } = pool(["preview2", "preview1", "preview3"]);
    const listed = await send("/preview list");
    expect(listed.final.status).toBe("warning");
    const line = listed.final.lines?.find((l) => l.startsWith(`${a} ·`));
    expect(line).toMatch(new RegExp(`^${a} · host preview1 · `));
    expect(line).toContain("running");
    expect(listed.final.lines?.join("\n")).toMatch(/Warning: could not list containers on preview3: /);
    expect(listed.final.title).toMatch(/^Previews on preview2, preview1, preview3 \(/);

    await h.store.update((s) => {
      const rec = s.previews.find((p) => p.slug === a);
      if (rec) rec.expiresAt = new Date(Date.now() - 60_000).toISOString();
    });
    const notes: Reply[] = [];
    const job = createTtlCleanupJob({
      previews: expiredPreviewsFrom(ops), host: shellFor("preview1"), docker: dockers[0] as DockerClient, diskPath: base1,
      cron: "*/30 * * * *", thresholdPercent: 100, pruneOlderThanMs: 72 * 3_600_000,
      notifier: { notify: async (reply: Reply) => void notes.push(reply), edit: async () => false } as never, // a recording notifier: only notify is used by the job
      diskUsePercent: async () => 0,
    });
    const { summary } = await job.run({ now: new Date(), trigger: "test" });
    expect(summary).toMatch(new RegExp(`^destroyed 1 expired preview\\(s\\) \\(${a}\\)`));
    expect(h.store.read().previews.some((p) => p.slug === a)).toBe(false);
    const shell = shellFor("preview1");
    expect(await leftovers(shell, makeDocker(shell), a, `${base1}/${a}`)).toEqual([]);
  });
});

describe("pool reconcile", () => {
  it("marks half-made previews of every host failed, an unreachable host included, without throwing", async () => {
    const { ops } = pool(["preview1", "preview2", "preview3"]);
    const now = new Date().toISOString();
    const half = (slug: string, host: string) => ({
      slug, branch: slug, ref: "latest", host, project: `preview-${slug}`, hostname: `preview-${slug}.preview.test`, url: `http://preview-${slug}.preview.test:8080`,
      requestedBy: "console:u1", requestedByName: "tester", createdAt: now, updatedAt: now, expiresAt: now, status: "deploying" as const,
    });
    const d2 = toSlug(uniqueName("pool-half2"));
    const d3 = toSlug(uniqueName("pool-half3"));
    await h.store.update((s) => void s.previews.push(half(d2, "preview2"), half(d3, "preview3")));
    const report = await ops.reconcile();
    expect(report.failedPreviews.map((p) => p.slug).sort()).toEqual([d2, d3].sort());
    expect(h.store.read().previews.filter((p) => p.slug === d2 || p.slug === d3).map((p) => p.status)).toEqual(["failed", "failed"]);
    await h.store.update((s) => void (s.previews = s.previews.filter((p) => p.slug !== d2 && p.slug !== d3)));
  });
});

describe("pool config errors name the key", () => {
  const base = { base_dir: "/srv/p", domain: "p.test", image: "app:{ref}" };
  it("both host and hosts", () => {
    const r = Previews.safeParse({ ...base, host: "preview1", hosts: ["preview1", "preview2"] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toContainEqual(["hosts", "set either previews.host or previews.hosts, not both"]);
  });
  it("an unknown host in hosts, and a per-host map naming a host outside the pool", () => {
    const r = Config.safeParse({ hosts: { preview1: { type: "local" } }, previews: { ...base, hosts: ["preview1", "nope"], dns_targets: { other: "10.0.0.5" } } });
    expect(r.success).toBe(false);
    const issues = r.error?.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues).toContainEqual(["previews.dns_targets.other", 'names host "other", which is not in previews.hosts']);
    const ok = Config.safeParse({ hosts: { preview1: { type: "local" } }, previews: { ...base, hosts: ["preview1", "nope"] } });
    expect(ok.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["previews.hosts.1", 'names host "nope", which is not declared under hosts (declared: preview1)']]);
  });
});
