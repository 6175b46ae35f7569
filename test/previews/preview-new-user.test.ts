// Defects found when tried as a new user would (issue 11, section 3), end to end against the
// test sshd and dockerd: long branch names, destroying a name that does not exist, lock files,
// and the stop timeout of destroy.
import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/core/redact.js";
import { pullImages } from "../../src/ops/previews/pull-images.js";
import { toSlug } from "../../src/ops/previews/slug.js";
import { repoRoot, uniqueName } from "../support/test-env.js";
import { env, leftovers, type PreviewRig } from "./preview-support.js";
import { usePreviewHost } from "../support/preview-host.js";

const { shell, docker, rig, track } = usePreviewHost();

async function lsBase(r: PreviewRig): Promise<string> {
  return (await shell.exec(["ls", "-A", r.baseDir], { allowFailure: true })).stdout.trim();
}

/** A branch of exactly `length` characters, unique per run. */
function branchOf(length: number): string {
  const head = `feature/${uniqueName("long")}-`;
  return `${head}${"x".repeat(length - head.length)}`;
}

describe("previews tried as a new user would", () => {
  it("deploys branches of 51, 60 and 200 characters; project, network and DNS label fit in 63", async () => {
    const r = await rig({ config: { quota: 20 } });
    const branches = [51, 60, 200].map(branchOf);
    const slugs = branches.map(toSlug);
    for (const s of slugs) track(r, s);
    expect(branches.map((b) => b.length)).toEqual([51, 60, 200]);
    const results = await Promise.all(branches.map((b) => r.send(`/preview ${b}`)));
    for (const [i, res] of results.entries()) {
      const slug = slugs[i] as string;
      // previews.pull defaults to missing: the local test image is used without a pull warning.
      expect(res.final.status, JSON.stringify(res.final)).toBe("success");
      expect(res.final.lines?.join("\n")).not.toContain("Note:");
      expect(`preview-${slug}`.length).toBeLessThanOrEqual(63);
      const containers = await docker.listByLabel(`opsdeck.preview=${slug}`);
      expect(containers.length).toBe(2);
      expect(new Set(containers.map((c) => c.labels["com.docker.compose.project"]))).toEqual(new Set([`preview-${slug}`]));
      expect(await docker.listNetworks(`opsdeck.preview=${slug}`)).toEqual([`preview-${slug}`]);
      expect(r.dns.records.has(`preview-${slug}.preview.test`)).toBe(true);
    }
    // Destroyed by branch name; nothing is left, not even a lock file.
    for (const [i, b] of branches.entries()) {
      const gone = await r.send(`/preview destroy ${b} --yes`);
      expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
      expect(await leftovers(shell, docker, slugs[i] as string, `${r.baseDir}/${slugs[i]}`)).toEqual([]);
    }
    expect(await lsBase(r)).toBe("");
  });

  it("/preview destroy of a name that does not exist fails at once, asks nothing and leaves no lock file", async () => {
    const r = await rig();
    await shell.exec(["mkdir", "-p", r.baseDir]);
    for (const text of ["/preview destroy does-not-exist", "/preview destroy does-not-exist --yes"]) {
      const res = await r.send(text);
      expect(res.final).toMatchObject({ status: "failure", title: "no preview named does-not-exist", nextStep: "/preview list shows the live ones." });
      expect(res.final.buttons ?? []).toEqual([]);
    }
    expect(await lsBase(r)).toBe("");
    expect(r.h.store.read().operations).toEqual([]);
  });

  it("destroy kills an image that ignores SIGTERM after previews.stop_timeout (2 s), not compose's 10 s", async () => {
    const r = await rig({ template: "ignores-sigterm.yml" });
    const branch = `sigterm/${uniqueName("t")}`;
    const slug = toSlug(branch);
    track(r, slug);
    const up = await r.send(`/preview ${branch}`);
    expect(up.final.status, JSON.stringify(up.final)).toMatch(/success|warning/);
    const started = Date.now();
    const gone = await r.send(`/preview destroy ${slug} --yes`);
    const took = Date.now() - started;
    expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
    expect(took).toBeLessThan(8_000);
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
    expect(await lsBase(r)).toBe("");
  });

  it("previews.stop_timeout: 0s kills an image that ignores SIGTERM at once instead of waiting", async () => {
    const r = await rig({ template: "ignores-sigterm.yml", config: { stop_timeout: "0s" } });
    const branch = `sigkill/${uniqueName("t")}`;
    const slug = toSlug(branch);
    track(r, slug);
    const up = await r.send(`/preview ${branch}`);
    expect(up.final.status, JSON.stringify(up.final)).toMatch(/success|warning/);
    // When each container died, as dockerd reports it: with the 2 s default an image that ignores
    // SIGTERM dies only after those 2 s; with 0s it is killed straight away.
    const died: number[] = [];
    const stop = await docker.onLifecycleEvents(`opsdeck.preview=${slug}`, (e) => void (e.action === "die" && died.push(Date.now())));
    try {
      const started = Date.now();
      const gone = await r.send(`/preview destroy ${slug} --yes`);
      expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
      await expect.poll(() => died.length, { timeout: 5_000 }).toBeGreaterThan(0);
      expect(Math.max(...died) - started).toBeLessThan(1_500);
    } finally {
      stop();
    }
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
    expect(await lsBase(r)).toBe("");
  });

  it("previews.pull: missing uses a local image silently, always warns when the pull fails, never refuses a missing image", async () => {
    const redact = createRedactor();
    const local = env.images.busybox;
    const absent = `opsdeck-test/absent-${uniqueName("img")}:1`;
    const quiet: string[] = [];
    const target = { docker, hostName: shell.name };
    await pullImages(target, redact, [local], quiet, "missing");
    await pullImages(target, redact, [local], quiet, "never");
    expect(quiet).toEqual([]);
    const noisy: string[] = [];
    await pullImages(target, redact, [local], noisy, "always");
    expect(noisy).toEqual([`pulling ${local} failed; the copy already on preview1 was used`]);
    await expect(pullImages(target, redact, [absent], [], "never")).rejects.toMatchObject({
      message: `the preview images are not on host preview1 and could not be pulled: ${absent}: not on the host and previews.pull is never`,
      nextStep: expect.stringContaining("previews.pull: missing"),
    });
    await expect(pullImages(target, redact, [absent], [], "missing")).rejects.toMatchObject({ code: "remote_failed" });
  });

  it("the shipped template deploys when image and previews.entry.port agree (busybox on 8080, as nginx on 80)", async () => {
    const r = await rig({ template: `${repoRoot}templates/preview/docker-compose.yml`, config: { entry: { service: "app", port: 8080 } } });
    const branch = `default/${uniqueName("d")}`;
    const slug = toSlug(branch);
    track(r, slug);
    const res = await r.send(`/preview ${branch}`);
    expect(res.final.status, JSON.stringify(res.final)).toBe("success");
    const [app] = await docker.listByLabel(`opsdeck.preview=${slug}`);
    expect(app?.health).toBe("healthy");
    expect((await r.send(`/preview destroy ${slug} --yes`)).final.status).toBe("success");
  });
});
