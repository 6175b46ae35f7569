import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import type { Reply } from "../../src/core/command.js";
import { OpsError } from "../../src/core/errors.js";
import type { Notifier } from "../../src/core/notifier.js";
import { createRedactor } from "../../src/core/redact.js";
import { createJobsHandler } from "../../src/handlers/jobs.js";
import { cronNext } from "../../src/core/cron-next.js";
import { dailyInstant } from "../../src/jobs/daily-schedule.js";
import { getJobRuns } from "../../src/jobs/job-state.js";
import { createScheduler, type JobDefinition, type Scheduler } from "../../src/jobs/scheduler.js";
import { openStore } from "../../src/store/store.js";
import { captureLog } from "../fakes/capture-log.js";
import { createHarness } from "../support/router-harness.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

function recordingNotifier(): Notifier & { sent: Reply[]; take(): Reply[] } {
  const sent: Reply[] = [];
  return { sent, notify: async (r) => void sent.push(r), take: () => sent.splice(0, sent.length) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond()` holds (the machine may be busy: timers fire late), at most `ms`. */
async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(20);
  }
}
const tempDir = (): string => makeTempDir("opsdeck-jobs-");

describe("daily schedule", () => {
  it("computes 02:55 in Europe/Paris on normal and daylight-saving days", () => {
    const z = "Europe/Paris";
    expect(dailyInstant("2026-01-15", "02:55", z).toISOString()).toBe("2026-01-15T01:55:00.000Z");
    expect(dailyInstant("2026-07-15", "02:55", z).toISOString()).toBe("2026-07-15T00:55:00.000Z");
    // Spring forward: 02:00 → 03:00, 02:55 does not exist: first instant after the gap (03:00 CEST).
    expect(dailyInstant("2026-03-29", "02:55", z).toISOString()).toBe("2026-03-29T01:00:00.000Z");
    // Fall back: 02:55 happens twice (CEST then CET): the first one.
    expect(dailyInstant("2026-10-25", "02:55", z).toISOString()).toBe("2026-10-25T00:55:00.000Z");
  });

  it("cron next run follows the zone's wall clock", () => {
    expect(cronNext("*/30 * * * *", new Date("2026-03-29T00:45:00Z"), "Europe/Paris")?.toISOString()).toBe("2026-03-29T01:00:00.000Z");
    expect(cronNext("0 9 * * 1", new Date("2026-11-23T10:00:00Z"), "Europe/Paris")?.toISOString()).toBe("2026-11-30T08:00:00.000Z");
  });

  it("runs the 02:55 pre-backup exactly once on every local day of a year in Europe/Paris", async () => {
    const zone = "Europe/Paris";
    let now = DateTime.fromISO("2026-01-01T00:00", { zone }).toJSDate();
    const end = DateTime.fromISO("2027-01-01T00:00", { zone }).toJSDate();
    const runs: Date[] = [];
    const notifier = recordingNotifier();
    const { log } = captureLog();
    const store = await openStore(tempDir());
    const scheduler = createScheduler({
      jobs: [{ name: "pre-backup", description: "dumps", schedule: { kind: "daily", time: "02:55" }, run: async (ctx) => (runs.push(ctx.now), { summary: "ok" }) }],
      store,
      notifier,
      redact: createRedactor(),
      log,
      timeZone: zone,
      clock: () => now,
    });
    // The minute tick, walked minute by minute through the whole year.
    for (; now < end; now = new Date(now.getTime() + 60_000)) await scheduler.tickDaily(now);

    const localDays = runs.map((r) => DateTime.fromJSDate(r, { zone }).toISODate());
    expect(runs).toHaveLength(365);
    expect(new Set(localDays).size).toBe(365);
    const byDay = new Map(runs.map((r) => [DateTime.fromJSDate(r, { zone }).toISODate(), r]));
    expect(byDay.get("2026-03-29")?.toISOString()).toBe("2026-03-29T01:00:00.000Z"); // 03:00 CEST
    expect(byDay.get("2026-10-25")?.toISOString()).toBe("2026-10-25T00:55:00.000Z"); // first 02:55 (CEST)
    const others = runs.filter((r) => !["2026-03-29"].includes(DateTime.fromJSDate(r, { zone }).toISODate() ?? ""));
    for (const r of others) expect(DateTime.fromJSDate(r, { zone }).toFormat("HH:mm")).toBe("02:55");
    expect(notifier.sent).toEqual([]);
    // Every run was recorded, and only the last 20 are kept.
    const recorded = getJobRuns(store.read());
    expect(recorded).toHaveLength(20);
    expect(recorded.every((r) => r.result === "succeeded")).toBe(true);
  }, 120_000);

  it("catches up once when the bot was down at 02:55, and a restart does not run it again", async () => {
    const zone = "Europe/Paris";
    const dir = tempDir();
    const runs: Date[] = [];
    const make = async (at: Date) =>
      createScheduler({
        jobs: [{ name: "pre-backup", description: "dumps", schedule: { kind: "daily", time: "02:55" }, run: async (ctx) => (runs.push(ctx.now), { summary: "ok" }) }],
        store: await openStore(dir),
        notifier: recordingNotifier(),
        redact: createRedactor(),
        log: captureLog().log,
        timeZone: zone,
        clock: () => at,
      });
    const at = new Date("2026-06-01T08:00:00Z");
    await (await make(at)).tickDaily(at);
    await (await make(at)).tickDaily(new Date("2026-06-01T09:00:00Z"));
    expect(runs.map((r) => r.toISOString())).toEqual(["2026-06-01T08:00:00.000Z"]);
  });
});

describe("scheduler with Bree", () => {
  it("reports a throwing job, keeps running the others, and never overlaps a job", { timeout: 30_000 }, async () => {
    const notifier = recordingNotifier();
    const { log } = captureLog();
    const store = await openStore(tempDir());
    let okRuns = 0;
    let boomRuns = 0;
    let slowActive = 0;
    let slowMaxActive = 0;
    let slowRuns = 0;
    let dailyRuns = 0;
    const jobs: JobDefinition[] = [
      // Due since 00:00 UTC today; checked every 50 ms by Bree, must still run only once.
      { name: "daily", description: "once a day", schedule: { kind: "daily", time: "00:00" }, run: async () => ({ summary: `daily ${++dailyRuns}` }) },
      {
        // Fails the same way three times, succeeds once, then fails again.
        name: "boom",
        description: "mostly throws",
        schedule: { kind: "every", ms: 100 },
        run: async () => {
          boomRuns += 1;
          if (boomRuns === 4) return { summary: "worked this once" };
          throw new OpsError("remote_failed", "the disk said no", "Free some space.");
        },
      },
      { name: "ok", description: "counts", schedule: { kind: "every", ms: 100 }, run: async () => ({ summary: `run ${++okRuns}` }) },
      {
        name: "slow",
        description: "takes longer than its interval",
        schedule: { kind: "every", ms: 50 },
        run: async () => {
          slowActive += 1;
          slowRuns += 1;
          slowMaxActive = Math.max(slowMaxActive, slowActive);
          await sleep(300);
          slowActive -= 1;
          return { summary: "slow done" };
        },
      },
    ];
    const scheduler = createScheduler({ jobs, store, notifier, redact: createRedactor(), log, timeZone: "UTC", dailyCheckMs: 50 });
    await scheduler.start();
    try {
      await waitFor(() => boomRuns >= 6 && okRuns >= 3 && slowRuns >= 3);
      await sleep(200); // a few more daily checks
    } finally {
      await scheduler.stop();
    }
    // Bree fired "slow" every 50 ms, but a run takes 300 ms: never two at once.
    expect(slowMaxActive).toBe(1);
    expect(dailyRuns).toBe(1);
    // Reported once per change, not on every identical failure.
    const boom = notifier.sent.filter((r) => r.title.startsWith("job boom"));
    expect(boom.map((r) => r.title)).toEqual(["job boom failed", "job boom succeeded again", "job boom failed"]);
    expect(boom[0]).toMatchObject({ status: "failure", nextStep: "Free some space." });
    expect(boom[0]?.lines?.[0]).toBe("the disk said no");
    const runs = getJobRuns(store.read());
    expect(runs.filter((r) => r.name === "boom" && r.result === "failed" && r.end).length).toBe(boomRuns - 1);
    expect(runs.filter((r) => r.name === "ok" && r.result === "succeeded").length).toBe(okRuns);
    // After stop, nothing runs any more.
    const after = okRuns;
    await sleep(250);
    expect(okRuns).toBe(after);
  });

  it("marks a run left running by a crash as interrupted and reports it once", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.update((s) => {
      s["jobRuns"] = [{ id: "x1", name: "pre-backup", trigger: "schedule", start: "2026-11-23T01:55:00.000Z", result: "running" }];
    });
    const notifier = recordingNotifier();
    const scheduler = createScheduler({ jobs: [], store, notifier, redact: createRedactor(), log: captureLog().log, timeZone: "UTC" });
    await scheduler.start();
    await scheduler.stop();
    expect(getJobRuns(store.read())[0]).toMatchObject({ id: "x1", result: "interrupted" });
    expect(notifier.sent.map((r) => r.title)).toEqual(["job pre-backup was interrupted by a restart"]);
    const again = createScheduler({ jobs: [], store: await openStore(dir), notifier, redact: createRedactor(), log: captureLog().log, timeZone: "UTC" });
    await again.start();
    await again.stop();
    expect(notifier.sent).toHaveLength(1);
  });
});

describe("failure reports", () => {
  it("repeats an identical failure only after 4 h, and reports a different failure and the recovery at once", async () => {
    let now = new Date("2026-11-23T10:00:00Z");
    let message = "backup host unreachable";
    let fail = true;
    const notifier = recordingNotifier();
    const scheduler = createScheduler({
      jobs: [
        {
          name: "flaky",
          description: "fails while told to",
          schedule: { kind: "every", ms: 60_000 },
          run: async () => {
            if (fail) throw new Error(message);
            return { summary: "fine" };
          },
        },
      ],
      store: await openStore(tempDir()),
      notifier,
      redact: createRedactor(),
      log: captureLog().log,
      timeZone: "UTC",
      clock: () => now,
    });
    const runAt = async (minutes: number): Promise<string[]> => {
      now = new Date(now.getTime() + minutes * 60_000);
      await scheduler.runNow("flaky", "schedule");
      return notifier.take().map((r) => r.title);
    };
    expect(await runAt(0)).toEqual(["job flaky failed"]);
    expect(await runAt(1)).toEqual([]);
    expect(await runAt(60)).toEqual([]);
    expect(await runAt(178)).toEqual([]); // 3 h 59 min after the report
    expect(await runAt(1)).toEqual(["job flaky failed"]); // 4 h: reminded
    expect(await runAt(1)).toEqual([]);
    message = "disk full";
    expect(await runAt(1)).toEqual(["job flaky failed"]); // a different failure
    fail = false;
    expect(await runAt(1)).toEqual(["job flaky succeeded again"]);
    expect(await runAt(1)).toEqual([]);
    fail = true;
    expect(await runAt(1)).toEqual(["job flaky failed"]);
  });
});

describe("/jobs", () => {
  it("lists schedules with next and last runs, and runs a job now for an admin only", async () => {
    const notifier = recordingNotifier();
    const now = new Date("2026-11-23T09:00:00Z");
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // The handler is built before the scheduler it lists (the harness owns the store).
    let scheduler: Scheduler | undefined;
    const lazy: Pick<Scheduler, "list" | "runNow"> = {
      list: () => scheduler?.list() ?? [],
      runNow: (name, trigger) => (scheduler ? scheduler.runNow(name, trigger) : Promise.reject(new Error("no scheduler"))),
    };
    const h = await createHarness({
      handlers: [createJobsHandler({ scheduler: lazy, timeZone: "Europe/Paris" })],
      access: { roles: { admin: ["console:local"], dev: ["slack:U1"] }, rules: {} },
    });
    scheduler = createScheduler({
      jobs: [
        { name: "ttl-cleanup", description: "expired previews", schedule: { kind: "cron", cron: "*/30 * * * *" }, run: async () => ({ summary: "destroyed 0 previews" }) },
        { name: "pre-backup", description: "dumps", schedule: { kind: "daily", time: "02:55" }, run: async () => (await gate, { summary: "2 dumps" }) },
        {
          name: "broken",
          description: "fails",
          schedule: { kind: "every", ms: 60_000 },
          run: async () => {
            throw new Error("kaput");
          },
        },
      ],
      store: h.store,
      notifier,
      redact: h.redact,
      log: h.log,
      timeZone: "Europe/Paris",
      clock: () => now,
    });

    const listed = await h.send("/jobs");
    expect(listed.final.status).toBe("info");
    const field = (n: string) => listed.final.fields?.find((f) => f.label === n)?.value ?? "";
    expect(field("ttl-cleanup")).toContain("next 2026-11-23 10:30 GMT+1");
    // Today's 02:55 has passed without a run (the bot was down): it is due now.
    expect(field("pre-backup")).toContain("daily at 02:55 (Europe/Paris) · next 2026-11-23 10:00 GMT+1");
    expect(field("pre-backup")).toContain("never run");

    const denied = await h.send("/jobs run ttl-cleanup", { platform: "slack", id: "U1", name: "dev" });
    expect(denied.final.status).toBe("failure");
    expect(denied.final.title).toContain("not allowed");

    const ran = await h.send("/jobs run ttl-cleanup");
    expect(ran.final).toMatchObject({ status: "success", title: "job ttl-cleanup succeeded", lines: ["destroyed 0 previews"] });
    expect(ran.messages[0]?.status).toBe("progress");

    const failed = await h.send("/jobs run broken");
    expect(failed.final).toMatchObject({ status: "failure", title: "job broken failed", lines: ["kaput"] });
    expect(notifier.sent.map((r) => r.title)).toEqual(["job broken failed"]);

    const first = h.send("/jobs run pre-backup");
    await sleep(20);
    const busy = await h.send("/jobs run pre-backup");
    expect(busy.final.status).toBe("failure");
    expect(busy.final.title).toBe("job pre-backup is already running");
    release();
    expect((await first).final.status).toBe("success");

    const relisted = await h.send("/jobs");
    expect(relisted.final.fields?.find((f) => f.label === "ttl-cleanup")?.value).toContain("last succeeded 2026-11-23 10:00 GMT+1 — destroyed 0 previews");

    const bad = await h.send("/jobs run ../x");
    expect(bad.final.status).toBe("failure");
    const unknown = await h.send("/jobs run nope");
    expect(unknown.final.title).toBe('no job named "nope"');
  });
});
