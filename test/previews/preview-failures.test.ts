// How a preview that does not come up is reported (issue 11, section 3), end to end against the
// test sshd and dockerd: a crash loop fails fast, a service that cannot start is named, and a
// service without a healthcheck is waited on at its entry port and never called "healthy".
import { describe, expect, it } from "vitest";
import { toSlug } from "../../src/ops/previews/slug.js";
import { uniqueName } from "../support/test-env.js";
import { leftovers, makeRig, type PreviewRig } from "./preview-support.js";
import { usePreviewHost } from "../support/preview-host.js";

const { shell, docker, cleanups } = usePreviewHost();

async function deploy(template: string, config: Record<string, unknown> = {}): Promise<{ r: PreviewRig; slug: string; res: Awaited<ReturnType<PreviewRig["send"]>>; took: number }> {
  const r = await makeRig({ shell, docker, template, config });
  const branch = `${template.replace(/\.yml$/, "")}/${uniqueName("f")}`;
  const slug = toSlug(branch);
  cleanups.push({ slugs: [slug], baseDir: r.baseDir });
  const started = Date.now();
  const res = await r.send(`/preview ${branch}`);
  return { r, slug, res, took: Date.now() - started };
}

describe("a preview that does not come up", () => {
  it("fails fast on a crash-looping service (restart: unless-stopped), naming it, long before the health timeout", async () => {
    const { r, slug, res, took } = await deploy("crash-loop.yml", { health_timeout: "60s" });
    expect(res.final.status).toBe("failure");
    expect(res.final.title).toBe(`preview ${slug} failed: service app keeps crashing (it exited and its restart policy restarted it); everything it created was removed`);
    expect(res.final.code).toContain("crashing with DB_PASSWORD [REDACTED]");
    expect(took).toBeLessThan(25_000);
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
  });

  it("names the service that cannot start and shows the tail of compose's output", async () => {
    const { r, slug, res } = await deploy("cannot-start.yml");
    expect(res.final.status).toBe("failure");
    expect(res.final.title).toMatch(new RegExp(`^preview ${slug} failed: service worker could not start: .*no such file.*; everything it created was removed$`, "i"));
    expect(res.final.nextStep).toContain("service worker");
    expect(res.final.code?.split("\n").length).toBeGreaterThan(1);
    expect(res.final.code).toMatch(/\/no\/such\/binary/);
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
  });

  it("says 'running (no healthcheck)' and waits for the entry port instead of calling it healthy", async () => {
    const { r, slug, res, took } = await deploy("no-healthcheck.yml", { entry: { service: "app", port: 8080 } });
    expect(res.final.status, JSON.stringify(res.final)).toBe("success");
    const text = res.final.lines?.join("\n") ?? "";
    expect(text).toContain("app running (no healthcheck), answering on port 8080");
    expect(text).not.toContain("healthy");
    expect(took).toBeGreaterThanOrEqual(4_000);
    expect((await r.send(`/preview destroy ${slug} --yes`)).final.status).toBe("success");
  });

  it("fails naming the entry port when a service without a healthcheck never answers on it", async () => {
    const { slug, res } = await deploy("no-healthcheck.yml", { entry: { service: "app", port: 9999 }, health_timeout: "8s" });
    expect(res.final.status).toBe("failure");
    expect(res.final.title).toBe(`preview ${slug} failed: service app has no healthcheck and did not answer on port 9999 within 8 seconds; everything it created was removed`);
  });
});
