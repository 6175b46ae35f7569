import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Backups, HealthChecks, Jobs } from "../../src/config/jobs-config.js";
import type { Reply } from "../../src/core/command.js";
import type { Handler } from "../../src/handlers/handler.js";
import { createJobs, type JobsWiring } from "../../src/wiring/jobs.js";
import { getJobRuns } from "../../src/jobs/job-state.js";
import { expiredPreviewsFrom } from "../../src/jobs/ttl-cleanup-job.js";
import type { PreviewListing } from "../../src/ops/previews/preview-types.js";
import { createDockerClient } from "../../src/ops/adapters/dockerode-client.js";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { createHarness } from "../support/router-harness.js";

let hits = 0;
const server = createServer((_req, res) => {
  hits += 1;
  res.writeHead(200);
  res.end("ok");
});
let url = "";

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("jobs wiring", () => {
  it("schedules the enabled jobs with Bree in-process and serves /jobs, /status and /backup", { timeout: 30_000 }, async () => {
    const alerts: Reply[] = [];
    let wiring: JobsWiring | undefined;
    // Handlers are registered in the harness before the wiring exists; they forward to it.
    const forward = (name: string): Handler => ({
      name,
      summary: name,
      usage: [],
      prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
      permission: (args) => (wiring?.handlers.find((h) => h.name === name) as Handler).permission(args),
      run: (cmd, progress) => (wiring?.handlers.find((h) => h.name === name) as Handler).run(cmd, progress),
    });
    const h = await createHarness({ handlers: [forward("jobs"), forward("status"), forward("backup")] });
    const local = createLocalHostShell({ name: "local", commandTimeoutMs: 10_000 });
    const listing: PreviewListing = { host: "local", previews: [], orphans: [] };
    wiring = createJobs({
      jobs: Jobs.parse({ time_zone: "Europe/Paris", health_alerts: { every: "200ms" } }),
      backups: Backups.parse({}),
      healthChecks: HealthChecks.parse({ http: [{ name: "app", url }] }),
      // staging's URL is watched as check "staging"; prod's is the same as "app" and not doubled.
      environments: { staging: { health_urls: [url.replace("/healthz", "/staging")] }, prod: { health_urls: [url] } },
      store: h.store,
      notifier: { notify: async (r) => void alerts.push(r) },
      redact: h.redact,
      log: h.log,
      shellFor: () => local,
      readSecret: () => undefined,
      previews: { source: expiredPreviewsFrom({ list: async () => listing, destroy: async () => ({ slug: "", host: "local", removed: [] }) }), host: local, docker: createDockerClient({ socketPath: "/var/run/docker.sock" }), baseDir: "/tmp" },
    });
    await wiring.scheduler.start();
    try {
      const deadline = Date.now() + 15_000;
      while (getJobRuns(h.store.read()).filter((r) => r.name === "health-alerts" && r.result === "succeeded").length < 3 && Date.now() < deadline) await sleep(20);
    } finally {
      await wiring.scheduler.stop();
    }
    expect(hits).toBeGreaterThanOrEqual(3);
    expect(getJobRuns(h.store.read()).filter((r) => r.name === "health-alerts" && r.result === "succeeded").length).toBeGreaterThanOrEqual(3);
    expect(alerts).toEqual([]);

    const jobs = await h.send("/jobs");
    // No backups configured → no pre-backup job.
    expect(jobs.final.fields?.map((f) => f.label)).toEqual(["ttl-cleanup", "health-alerts"]);
    expect(jobs.final.fields?.[1]?.value).toMatch(/^every 0.2 s · next .* · last succeeded .* — 2 checks, 0 failing, 0 message\(s\) posted$/);

    const status = await h.send("/status");
    expect(status.final.title).toBe("all 2 checked of 2 checks ok");
    expect(status.final.fields?.map((f) => f.label)).toEqual([`http app (${url})`, `http staging (${url.replace("/healthz", "/staging")})`]);

    const backup = await h.send("/backup run prod");
    expect(backup.final.status).toBe("failure");
    expect(backup.final.title).toBe('no backups are configured for "prod"');
  });

  it("expiredPreviewsFrom picks only running or failed previews past their expiry", async () => {
    const base = { branch: "b", ref: "r", host: "h", project: "p", hostname: "x", url: "u", requestedBy: "console:local", requestedByName: "l", createdAt: "", updatedAt: "", runningContainers: 1 };
    const listing: PreviewListing = {
      host: "h",
      orphans: [],
      previews: [
        { ...base, slug: "old-running", expiresAt: "2026-01-01T00:00:00Z", status: "running" },
        { ...base, slug: "old-failed", expiresAt: "2026-01-01T00:00:00Z", status: "failed" },
        { ...base, slug: "old-deploying", expiresAt: "2026-01-01T00:00:00Z", status: "deploying" },
        { ...base, slug: "fresh", expiresAt: "2026-12-01T00:00:00Z", status: "running" },
      ],
    };
    const src = expiredPreviewsFrom({ list: async () => listing, destroy: async () => ({ slug: "", host: "h", removed: [] }) });
    expect(await src.listExpired(new Date("2026-11-23T00:00:00Z"))).toEqual([{ slug: "old-running" }, { slug: "old-failed" }]);
  });
});
