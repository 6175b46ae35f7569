// Quota, locks, crash recovery and drift, end to end against the test sshd and dockerd.
// The dockerd is shared with other test files: quotas are set relative to the previews already
// running there, measured just before each test.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { State } from "../../src/store/state.js";
import { toSlug } from "../../src/ops/previews/slug.js";
import { env, leftovers, makeDocker, makeRig, makeShell, runningSlugs } from "./preview-support.js";
import { usePreviewHost } from "../support/preview-host.js";
import { tempDir } from "../support/temp-dir.js";
import { repoRoot, uniqueName } from "../support/test-env.js";

const { shell, docker, cleanups, rig } = usePreviewHost();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("quota", () => {
  it("refuses a preview over the quota, naming the running previews", async () => {
    const a = toSlug(uniqueName("quota-a"));
    const b = toSlug(uniqueName("quota-b"));
    const quota = (await runningSlugs(docker)).size + 1;
    const r = await rig({ config: { quota } }, [a, b]);
    const first = await r.send(`/preview ${a}`);
    expect(first.final.status, JSON.stringify(first.final)).toMatch(/success|warning/);
    const second = await r.send(`/preview ${b}`);
    expect(second.final.status).toBe("failure");
    expect(second.final.title).toMatch(new RegExp(`^the preview quota is reached: \\d+ of ${quota} in use \\(.*\\b${a}\\b.*\\)$`));
    expect(second.final.nextStep).toContain("/preview destroy");
    expect(await docker.listByLabel(`opsdeck.preview=${b}`)).toEqual([]);
    expect(r.h.store.read().previews.map((p) => p.slug)).toEqual([a]);
    await r.send(`/preview destroy ${a} --yes`);
    expect(await leftovers(shell, docker, a, `${r.baseDir}/${a}`)).toEqual([]);
  });

  it("two different branches at once with one free slot: exactly one succeeds", async () => {
    const a = toSlug(uniqueName("race-a"));
    const b = toSlug(uniqueName("race-b"));
    const quota = (await runningSlugs(docker)).size + 1;
    const r = await rig({ config: { quota } }, [a, b]);
    const results = await Promise.all([r.send(`/preview ${a}`), r.send(`/preview ${b}`)]);
    const ok = results.filter((x) => x.final.status !== "failure");
    const refused = results.filter((x) => x.final.status === "failure");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.final.title).toMatch(/^the preview quota is reached/);
    const winner = ok[0]?.final.fields?.find((f) => f.label === "Slug")?.value ?? "";
    expect([a, b]).toContain(winner);
    expect(refused[0]?.final.title).toContain(winner);
    expect((await runningSlugs(docker)).has(winner)).toBe(true);
    await r.send(`/preview destroy ${winner} --yes`);
    for (const s of [a, b]) expect(await leftovers(shell, docker, s, `${r.baseDir}/${s}`)).toEqual([]);
  });
});

describe("locks", () => {
  it("the same branch twice at once: one deploys, the other is told it is in progress", async () => {
    const branch = `feature/${uniqueName("twice")}`;
    const slug = toSlug(branch);
    const r = await rig({}, [slug]);
    const first = r.send(`/preview ${branch}`);
    await sleep(50);
    const t0 = Date.now();
    const second = await r.send(`/preview ${branch}`);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(second.final.status).toBe("failure");
    expect(second.final.title).toBe(`preview ${slug}: another operation on it is already in progress`);
    // Destroy during the deploy is refused the same way.
    const destroy = await r.send(`/preview destroy ${slug} --yes`);
    expect(destroy.final.title).toContain("already in progress");
    const done = await first;
    expect(done.final.status).toMatch(/success|warning/);
    expect(r.h.store.read().operations.filter((o) => o.kind === "preview.deploy")).toHaveLength(1);
    expect((await docker.listByLabel(`opsdeck.preview=${slug}`)).length).toBe(2);
    await r.send(`/preview destroy ${slug} --yes`);
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
  });

  it("a lock held on the host by another process refuses the deploy without touching anything", async () => {
    const slug = toSlug(uniqueName("held"));
    const r = await rig({}, [slug]);
    await shell.exec(["mkdir", "-p", r.baseDir]);
    // A human's script holding the preview's lock for 5 s.
    const holder = shell.exec(["flock", `${r.baseDir}/.${slug}.lock`, "sleep", "5"]);
    await sleep(500);
    const res = await r.send(`/preview ${slug}`);
    expect(res.final.status).toBe("failure");
    expect(res.final.title).toBe(`preview ${slug} is locked on host preview1 by another process (${r.baseDir}/.${slug}.lock)`);
    expect(r.h.store.read().previews).toEqual([]);
    expect(await docker.listByLabel(`opsdeck.preview=${slug}`)).toEqual([]);
    await holder;
  });
});

describe("crash recovery and drift", () => {
  it("a bot killed mid-deploy: the operation becomes interrupted, the half-made preview is listed and destroyable", async () => {
    const dataDir = tempDir("opsdeck-pv-crash-");
    const baseDir = `${env.previewsDir}/${uniqueName("pvcrash")}`;
    const branch = `crash/${uniqueName("c")}`;
    const slug = toSlug(branch);
    cleanups.push({ slugs: [slug], baseDir });
    const script = `
      import { makeDocker, makeRig, makeShell } from ${JSON.stringify(`${repoRoot}test/previews/preview-support.ts`)};
      const shell = makeShell();
      const r = await makeRig({ shell, docker: makeDocker(shell), template: "slow-health.yml", config: { health_timeout: "120s" }, dataDir: process.env.PV_DATA, baseDir: process.env.PV_BASE });
      await r.send("/preview " + process.env.PV_BRANCH);
      console.log("finished");
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      env: { ...process.env, PV_DATA: dataDir, PV_BASE: baseDir, PV_BRANCH: branch },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    try {
      // Wait until it is in the health wait: container up, record `deploying`.
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`the child never reached the health wait:\n${output}`);
        let state: Partial<State> = {};
        try {
          state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as Partial<State>;
        } catch {
          // Not written yet, or caught mid-rename: look again.
        }
        const deploying = state.previews?.some((p) => p.slug === slug && p.status === "deploying");
        if (deploying && (await docker.listByLabel(`opsdeck.preview=${slug}`, { runningOnly: true })).length > 0) break;
        await sleep(200);
      }
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    expect(output).not.toContain("finished");

    // "Restart": new ops over the same data directory and host.
    const r = await makeRig({ shell, docker, template: "slow-health.yml", dataDir, baseDir });
    const report = await r.ops.reconcile();
    expect(report.interrupted.map((o) => `${o.kind} ${o.target} ${o.status}`)).toEqual([`preview.deploy ${slug} interrupted`]);
    expect(report.failedPreviews.map((p) => p.slug)).toEqual([slug]);
    expect(r.h.store.read().operations.find((o) => o.target === slug)?.status).toBe("interrupted");
    // A second reconcile reports nothing new.
    expect((await r.ops.reconcile()).interrupted).toEqual([]);

    const listed = await r.send("/preview list");
    const line = listed.final.lines?.find((l) => l.startsWith(slug)) ?? "";
    expect(line).toContain("failed/interrupted");
    expect(line).toContain(`/preview destroy ${slug}`);

    // The dead bot's host lock goes away with its SSH connection (within a couple of seconds).
    let destroyed = await r.send(`/preview destroy ${branch} --yes`);
    for (let i = 0; i < 10 && destroyed.final.title.includes("locked on host"); i++) {
      await sleep(500);
      destroyed = await r.send(`/preview destroy ${branch} --yes`);
    }
    expect(destroyed.final.status, JSON.stringify(destroyed.final)).toBe("success");
    expect(destroyed.final.lines?.join("\n")).toContain(`directory ${baseDir}/${slug}`);
    expect(await leftovers(shell, docker, slug, `${baseDir}/${slug}`)).toEqual([]);
    expect(r.h.store.read().previews).toEqual([]);
  }, 120_000);

  it("lists orphans (on the host, not in state) and previews missing on the host; destroy fixes both", async () => {
    const orphan = toSlug(uniqueName("orphan"));
    const missing = toSlug(uniqueName("missing"));
    const r = await rig({}, [orphan, missing]);
    const label = `opsdeck.preview=${orphan}`;
    await shell.exec(["docker", "network", "create", "--label", label, `${orphan}-net`]);
    await shell.exec(["docker", "volume", "create", "--label", label, `${orphan}-vol`]);
    await shell.exec(["docker", "run", "-d", "--label", label, "--network", `${orphan}-net`, "-v", `${orphan}-vol:/data`, "--name", `${orphan}-app`, env.images.busybox]);
    const now = new Date().toISOString();
    await r.h.store.update((s) => {
      s.previews.push({
        slug: missing, branch: missing, ref: "latest", host: "preview1", project: `preview-${missing}`, hostname: `preview-${missing}.preview.test`,
        url: `http://preview-${missing}.preview.test:8080`, requestedBy: "console:local", requestedByName: "local", createdAt: now, updatedAt: now,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(), status: "running",
      });
    });

    const listed = await r.send("/preview list");
    const lines = listed.final.lines ?? [];
    expect(lines.find((l) => l.startsWith(orphan))).toMatch(/orphan on host preview1 \(1\/1 containers running, no state\) — \/preview destroy .* removes it/);
    expect(lines.find((l) => l.startsWith(missing))).toMatch(/missing on host/);
    expect(lines.find((l) => l.startsWith(missing))).toMatch(/expires in 1 hour/);

    const d1 = await r.send(`/preview destroy ${orphan} --yes`);
    expect(d1.final.status).toBe("success");
    expect(d1.final.lines?.join("\n")).toContain(`containers: ${orphan}-app`);
    expect(d1.final.lines?.join("\n")).toContain(`networks: ${orphan}-net`);
    expect(d1.final.lines?.join("\n")).toContain(`volumes: ${orphan}-vol`);
    expect(await leftovers(shell, docker, orphan, `${r.baseDir}/${orphan}`)).toEqual([]);

    const d2 = await r.send(`/preview destroy ${missing} --yes`);
    expect(d2.final.status).toBe("success");
    expect(r.h.store.read().previews).toEqual([]);
    const after = await r.send("/preview list");
    expect((after.final.lines ?? []).some((l) => l.startsWith(orphan) || l.startsWith(missing))).toBe(false);
  });
});
