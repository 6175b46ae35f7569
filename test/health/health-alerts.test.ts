import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthChecks, Jobs } from "../../src/config/jobs-config.js";
import type { Reply } from "../../src/core/command.js";
import type { Notifier } from "../../src/core/notifier.js";
import { createStatusHandler } from "../../src/handlers/status.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createHealthMonitor, type HealthMonitor } from "../../src/ops/health/create-health-monitor.js";
import type { AlertState } from "../../src/ops/health/alert-state.js";
import { evaluateAlert, type AlertPolicy } from "../../src/ops/health/evaluate-alert.js";
import { openStore, type Store } from "../../src/store/store.js";
import { captureLog } from "../fakes/capture-log.js";
import { createHarness } from "../support/router-harness.js";
import { loadTestEnv } from "../support/test-env.js";
import { tempDir } from "../support/temp-dir.js";

const env = loadTestEnv();
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A local service we can take down (close the port) and bring back on the same port. */
interface Service {
  url: string;
  /** 200 normally; set to answer with another status or to delay. */
  status: number;
  delayMs: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function startService(): Promise<Service> {
  let server: Server | undefined;
  let port = 0;
  const svc: Service = {
    url: "",
    status: 200,
    delayMs: 0,
    async up() {
      if (server) return;
      server = createServer((req, res) => {
        setTimeout(() => {
          res.writeHead(svc.status, { "content-type": "text/plain" });
          res.end("hi");
        }, svc.delayMs);
      });
      await new Promise<void>((resolve) => server?.listen(port, "127.0.0.1", () => resolve()));
      const addr = server.address();
      port = typeof addr === "object" && addr ? addr.port : 0;
      svc.url = `http://127.0.0.1:${port}/healthz`;
    },
    async down() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())));
    },
    close: () => svc.down(),
  };
  await svc.up();
  return svc;
}

function recordingNotifier(): Notifier & { sent: Reply[]; take(): Reply[] } {
  const sent: Reply[] = [];
  return {
    sent,
    notify: async (r) => void sent.push(r),
    take: () => sent.splice(0, sent.length),
  };
}

const policyFrom = (jobs = Jobs.parse({})): AlertPolicy => ({
  failuresToOpen: jobs.health_alerts.failures_to_open,
  reminderMs: jobs.health_alerts.reminder_every,
  flapWindow: jobs.health_alerts.flapping.window,
  flapChanges: jobs.health_alerts.flapping.changes,
  stableChecks: jobs.health_alerts.flapping.stable_checks,
});

let svc: Service;
let shell: HostShell;

beforeAll(async () => {
  svc = await startService();
  shell = createSshHostShell({ name: "app1", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 20_000 });
});
afterAll(async () => {
  await svc?.close();
  await shell?.close();
});

describe("health alerts", () => {
  it("alerts once after N failures, reminds only after the interval, survives a restart and reports the recovery with its duration", async () => {
    const dir = tempDir("opsdeck-health-");
    let now = new Date("2026-11-23T10:00:00Z");
    const notifier = recordingNotifier();
    const checks = HealthChecks.parse({ http: [{ name: "shop-home", url: svc.url, max_latency: "2s" }] });
    const make = (store: Store): HealthMonitor =>
      createHealthMonitor({ checks, policy: policyFrom(), store, notifier, shellFor: () => shell, log: captureLog().log, clock: () => now });
    let monitor = make(await openStore(dir));
    try {
      const step = async (ms: number): Promise<Reply[]> => {
        now = new Date(now.getTime() + ms);
        await monitor.checkAll();
        return notifier.take();
      };

      expect(await step(0)).toEqual([]);
      await svc.down();
      expect(await step(MIN)).toEqual([]); // 1st failure: no alert yet
      const alert = await step(MIN); // 2nd failure: the alert
      expect(alert).toHaveLength(1);
      expect(alert[0]).toMatchObject({ status: "failure", title: `down: http shop-home (${svc.url})` });
      expect(alert[0]?.lines?.[0]).toMatch(/^unreachable: ECONNREFUSED/);
      for (let i = 0; i < 10; i += 1) expect(await step(MIN)).toEqual([]); // still down, quiet
      expect(await step(3 * HOUR + 49 * MIN)).toEqual([]); // 3 h 59 min after the alert
      const reminder = await step(MIN); // 4 h after the alert
      expect(reminder).toHaveLength(1);
      expect(reminder[0]?.title).toBe(`still failing: http shop-home (${svc.url}) (for 4h 01m)`);
      expect(await step(MIN)).toEqual([]);

      // Restart during the incident: a new monitor over the reopened store does not alert again.
      monitor = make(await openStore(dir));
      expect(await step(MIN)).toEqual([]);
      expect(await step(30 * MIN)).toEqual([]);

      await svc.up();
      const recovery = await step(MIN);
      expect(recovery).toHaveLength(1);
      expect(recovery[0]).toMatchObject({ status: "success", title: `recovered: http shop-home (${svc.url}) after 4h 34m` });
      expect(await step(MIN)).toEqual([]);
    } finally {
      await svc.up();
    }
  }, 60_000);

  it("a single failure (below the threshold) sends neither an alert nor a recovery", async () => {
    let now = new Date("2026-11-23T10:00:00Z");
    const notifier = recordingNotifier();
    const checks = HealthChecks.parse({ http: [{ name: "blip", url: svc.url }] });
    const monitor = createHealthMonitor({ checks, policy: policyFrom(), store: await openStore(tempDir("opsdeck-health-")), notifier, shellFor: () => shell, log: captureLog().log, clock: () => now });
    svc.status = 503;
    try {
      await monitor.checkAll();
    } finally {
      svc.status = 200;
    }
    now = new Date(now.getTime() + MIN);
    await monitor.checkAll();
    expect(notifier.sent).toEqual([]);
  });

  it("a flapping check sends one notice, then stays quiet until stable", async () => {
    let now = new Date("2026-11-23T10:00:00Z");
    const notifier = recordingNotifier();
    const checks = HealthChecks.parse({ http: [{ name: "flappy", url: svc.url }] });
    const monitor = createHealthMonitor({ checks, policy: policyFrom(), store: await openStore(tempDir("opsdeck-health-")), notifier, shellFor: () => shell, log: captureLog().log, clock: () => now });
    const check = async (status: number): Promise<Reply[]> => {
      svc.status = status;
      now = new Date(now.getTime() + MIN);
      await monitor.checkAll();
      return notifier.take();
    };
    try {
      // ok, fail, fail (alert), ok (recovery), fail, ok → 4 changes: flapping
      expect(await check(200)).toEqual([]);
      expect(await check(500)).toEqual([]);
      expect((await check(500)).map((r) => r.title)).toEqual([`down: http flappy (${svc.url})`]);
      expect((await check(200)).map((r) => r.title)).toEqual([`recovered: http flappy (${svc.url}) after 2m`]);
      expect(await check(500)).toEqual([]);
      const flap = await check(200);
      expect(flap.map((r) => r.title)).toEqual([`flapping: http flappy (${svc.url})`]);
      // More flapping, including two failures in a row: quiet.
      for (const s of [500, 500, 200, 500, 200, 500, 500]) expect(await check(s)).toEqual([]);
      // Stable failing for 5 checks: flapping ends and the normal alert goes out once.
      expect(await check(500)).toEqual([]);
      expect(await check(500)).toEqual([]);
      const alert = await check(500);
      expect(alert.map((r) => r.title)).toEqual([`down: http flappy (${svc.url})`]);
      expect(await check(500)).toEqual([]);
    } finally {
      svc.status = 200;
    }
  });

  it("a slow answer fails the latency check", async () => {
    const notifier = recordingNotifier();
    const checks = HealthChecks.parse({ http: [{ name: "slow", url: svc.url, max_latency: "100ms" }] });
    const policy = { ...policyFrom(), failuresToOpen: 1 };
    const monitor = createHealthMonitor({ checks, policy, store: await openStore(tempDir("opsdeck-health-")), notifier, shellFor: () => shell, log: captureLog().log });
    svc.delayMs = 300;
    try {
      const { results } = await monitor.checkAll();
      expect(results[0]).toMatchObject({ ok: false, severity: "warning" });
      expect(results[0]?.detail).toMatch(/^slow: HTTP 200 in \d+ ms \(limit 100 ms\)$/);
      expect(notifier.sent.map((r) => r.title)).toEqual([`warning: http slow (${svc.url})`]);
    } finally {
      svc.delayMs = 0;
    }
  });

  it("checks host thresholds over SSH and /status shows every check", async () => {
    const notifier = recordingNotifier();
    const checks = HealthChecks.parse({
      http: [{ name: "shop-home", url: svc.url }],
      // Disk use is surely ≥ 0 %, nobody has 10 TB of free memory, and the load is below 1000 per CPU.
      hosts: [
        { host: "app1", disk_warn: 0, disk_crit: 0, mem_min_mb: 10_000_000, load_per_cpu: 1000 },
        { host: "gone", path: "/" },
      ],
    });
    const unreachable = createSshHostShell({ name: "gone", address: "127.0.0.1", port: 1, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 5_000 });
    // /status is registered before the monitor exists (the harness owns the store).
    let monitor: HealthMonitor | undefined;
    const view: Pick<HealthMonitor, "states" | "checkIds"> = { states: () => monitor?.states() ?? [], checkIds: () => monitor?.checkIds() ?? [] };
    const h = await createHarness({ handlers: [createStatusHandler({ monitor: view, timeZone: "UTC" })] });
    monitor = createHealthMonitor({
      checks,
      policy: { ...policyFrom(), failuresToOpen: 1 },
      store: h.store,
      notifier,
      shellFor: (name) => (name === "app1" ? shell : unreachable),
      log: h.log,
    });
    try {
      const { results } = await monitor.checkAll();
      const byId = new Map(results.map((r) => [r.id, r]));
      expect(byId.get("host:app1:ssh")?.ok).toBe(true);
      expect(byId.get("host:app1:disk")).toMatchObject({ ok: false, severity: "critical" });
      expect(byId.get("host:app1:disk")?.detail).toMatch(/^disk \d+ % used \(critical at 0 %\)$/);
      expect(byId.get("host:app1:memory")).toMatchObject({ ok: false });
      expect(byId.get("host:app1:load")?.ok).toBe(true);
      expect(byId.get("host:app1:load")?.detail).toMatch(/^load [\d.]+ on \d+ CPU\(s\)$/);
      expect(byId.get("host:gone:ssh")).toMatchObject({ ok: false });
      expect(byId.has("host:gone:disk")).toBe(false);
      expect(notifier.sent.map((r) => r.title).sort()).toEqual(["down: disk on app1 (/)", "down: host gone reachable", "down: memory on app1"]);
    } finally {
      await unreachable.close();
    }

    const { final } = await h.send("/status");
    expect(final.status).toBe("warning");
    expect(final.title).toBe("3 of 9 checks failing");
    const field = (label: string): string => final.fields?.find((f) => f.label === label)?.value ?? "";
    expect(field(`http shop-home (${svc.url})`)).toMatch(/^ok for \d+s · HTTP 200 in \d+ ms · checked /);
    expect(field("disk on app1 (/)")).toMatch(/^FAILING for \d+s · disk \d+ % used \(critical at 0 %\) · alerted /);
    expect(field("load on app1")).toMatch(/^ok /);
    expect(field("host:gone:disk")).toBe("not checked yet");
  }, 60_000);
});

describe("alert rules", () => {
  it("escalates a warning incident once when it turns critical", () => {
    const policy = policyFrom();
    const at = (m: number): Date => new Date(Date.UTC(2026, 10, 23, 10, m));
    const disk = (percent: number) => ({
      id: "host:db1:disk",
      label: "disk on db1 (/)",
      ok: percent < 80,
      detail: `disk ${percent} % used`,
      ...(percent >= 90 ? { severity: "critical" as const } : percent >= 80 ? { severity: "warning" as const } : {}),
    });
    let state: AlertState | undefined;
    const titles: string[] = [];
    [85, 86, 88, 93, 95, 91, 70].forEach((p, i) => {
      const r = evaluateAlert(state, disk(p), at(i), policy);
      state = r.state;
      titles.push(...r.notices.map((n) => n.title));
    });
    expect(titles).toEqual(["warning: disk on db1 (/)", "critical now: disk on db1 (/)", "recovered: disk on db1 (/) after 6m"]);
  });
});
