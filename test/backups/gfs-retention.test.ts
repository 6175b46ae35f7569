import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DateTime } from "luxon";
import { afterAll, describe, expect, it } from "vitest";
import { EnvironmentBackups, GfsPolicy } from "../../src/config/jobs-config.js";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { applyRetention } from "../../src/ops/backups/apply-retention.js";
import { dumpFileName } from "../../src/ops/backups/dump-paths.js";
import { sidecarPath } from "../../src/ops/backups/dump-sidecar.js";
import { selectGfs, type GfsCandidate } from "../../src/ops/backups/select-gfs.js";
import { createBackupHandler } from "../../src/handlers/backup.js";
import { createBackupOps } from "../../src/ops/backups/create-backup-ops.js";
import { captureLog } from "../fakes/capture-log.js";
import { createHarness } from "../support/router-harness.js";

const ZONE = "Europe/Paris";
const policy = GfsPolicy.parse({ daily: 7, weekly: 4, monthly: 6, yearly: 2 });

/** One dump a day at 02:55 local time from `from` for `days` days (the pre-backup's schedule). */
function dailyDumps(from: string, days: number): GfsCandidate[] {
  const start = DateTime.fromISO(`${from}T02:55`, { zone: ZONE });
  return Array.from({ length: days }, (_, i) => {
    const at = start.plus({ days: i }).toJSDate();
    return { id: dumpFileName("shop", at), at, pinned: false };
  });
}

function tierCounts(sel: ReturnType<typeof selectGfs>): Record<string, number> {
  const n: Record<string, number> = { daily: 0, weekly: 0, monthly: 0, yearly: 0 };
  for (const tiers of sel.tiers.values()) for (const t of tiers) n[t] = (n[t] ?? 0) + 1;
  return n;
}

describe("GFS selection", () => {
  it("a year of daily dumps keeps exactly 7 daily, 4 weekly, 6 monthly, 2 yearly, plus the pinned one", () => {
    const dumps = dailyDumps("2025-03-01", 365);
    const pinnedOld = dumps[40] as GfsCandidate;
    pinnedOld.pinned = true;
    const sel = selectGfs(dumps, policy, ZONE);
    expect(tierCounts(sel)).toEqual({ daily: 7, weekly: 4, monthly: 6, yearly: 2 });
    expect(sel.keep.has(pinnedOld.id)).toBe(true);
    expect(sel.tiers.has(pinnedOld.id)).toBe(false);
    // The newest 7 local days are the dailies.
    const newest = [...dumps].reverse();
    expect(newest.slice(0, 7).every((d) => sel.tiers.get(d.id)?.includes("daily"))).toBe(true);
    // Monthly: the newest dump of each of the last 6 months (the last day of the month).
    const monthly = newest.filter((d) => sel.tiers.get(d.id)?.includes("monthly")).map((d) => DateTime.fromJSDate(d.at, { zone: ZONE }).toFormat("yyyy-MM-dd"));
    expect(monthly).toEqual(["2026-02-28", "2026-01-31", "2025-12-31", "2025-11-30", "2025-10-31", "2025-09-30"]);
    const yearly = newest.filter((d) => sel.tiers.get(d.id)?.includes("yearly")).map((d) => DateTime.fromJSDate(d.at, { zone: ZONE }).toFormat("yyyy-MM-dd"));
    expect(yearly).toEqual(["2026-02-28", "2025-12-31"]);
    expect(sel.keep.size + sel.delete.length).toBe(365);
    expect(sel.keep.size).toBe(new Set([...sel.tiers.keys(), pinnedOld.id]).size);
  });

  it("the daylight-saving day is one day: a DST week of dumps (one re-run on the change day) keeps 7 distinct local days", () => {
    // 2026-03-29: clocks go 02:00 → 03:00 in Paris; 02:55 does not exist and luxon moves it to 03:55.
    // Within 24 h of elapsed time there are two dumps on 2026-10-25 (25 h day) too.
    for (const from of ["2026-03-24", "2026-10-20"]) {
      const dumps = dailyDumps(from, 10);
      const changeDay = from === "2026-03-24" ? "2026-03-29" : "2026-10-25";
      const extra = DateTime.fromISO(`${changeDay}T23:30`, { zone: ZONE }).toJSDate();
      dumps.push({ id: dumpFileName("shop", extra), at: extra, pinned: false });
      const sel = selectGfs(dumps, GfsPolicy.parse({ daily: 7, weekly: 0, monthly: 0, yearly: 0 }), ZONE);
      const days = [...sel.tiers.keys()].map((id) => DateTime.fromJSDate(dumps.find((d) => d.id === id)?.at as Date, { zone: ZONE }).toFormat("yyyy-MM-dd"));
      expect(days).toHaveLength(7);
      expect(new Set(days).size).toBe(7);
      // The change day is represented once, by its newest dump.
      expect(days.filter((d) => d === changeDay)).toHaveLength(1);
      expect(sel.tiers.has(dumpFileName("shop", extra))).toBe(true);
    }
  });

  it("UTC buckets would differ: a 00:30 local dump belongs to its local day, not the UTC one", () => {
    const at = DateTime.fromISO("2026-06-02T00:30", { zone: ZONE }).toJSDate(); // 2026-06-01 22:30 UTC
    const prev = DateTime.fromISO("2026-06-01T02:55", { zone: ZONE }).toJSDate();
    const sel = selectGfs(
      [
        { id: "a", at, pinned: false },
        { id: "b", at: prev, pinned: false },
      ],
      GfsPolicy.parse({ daily: 2, weekly: 0, monthly: 0, yearly: 0 }),
      ZONE,
    );
    expect(sel.delete).toEqual([]);
  });
});

describe("GFS retention on real files", () => {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-gfs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("deletes what the policy gives up with its sidecar, keeps pinned and fresh safety dumps, and the dry run said so first", async () => {
    const host = createLocalHostShell({ name: "local", commandTimeoutMs: 30_000 });
    const dumps = dailyDumps("2025-03-01", 365);
    for (const d of dumps) {
      writeFileSync(join(dir, d.id), "x");
      writeFileSync(sidecarPath(join(dir, d.id)), `${JSON.stringify({ tables: { "public.orders": 1 } })}\n`);
    }
    const pinned = dumps[10]?.id as string;
    const safety = dumps[20]?.id as string;
    const expiredSafety = dumps[30]?.id as string;
    const now = DateTime.fromISO("2026-03-01T03:00", { zone: ZONE }).toJSDate();
    writeFileSync(sidecarPath(join(dir, pinned)), JSON.stringify({ pinned: true }));
    writeFileSync(sidecarPath(join(dir, safety)), JSON.stringify({ safety: true, keepUntil: new Date(now.getTime() + 86_400_000).toISOString() }));
    writeFileSync(sidecarPath(join(dir, expiredSafety)), JSON.stringify({ safety: true, keepUntil: new Date(now.getTime() - 1000).toISOString() }));
    writeFileSync(join(dir, "crm-20250101T000000Z.dump"), "other db");

    const backups = { prod: EnvironmentBackups.parse({ host: "local", dump_dir: dir, seed_dir: join(dir, "seed"), databases: [{ name: "shop" }, { name: "crm" }], retention: policy }) };
    const ops = createBackupOps({ backups, shellFor: () => host, readSecret: () => undefined, log: captureLog([]).log, clock: () => now, timeZone: ZONE });
    const h = await createHarness({ handlers: [createBackupHandler({ ops, timeZone: ZONE, clock: () => now })] });
    const dry = await h.send("/backup retention prod --dry-run");
    expect(dry.final.title).toMatch(/dry run, nothing was deleted\): 349 dump\(s\) would go, 17 stay/);
    expect(readdirSync(dir).filter((f) => f.endsWith(".dump"))).toHaveLength(366);
    const list = await h.send("/backup list prod shop");
    expect(list.final.code).toContain(`${pinned.replace(/\.dump$/, "")}`);
    expect(list.final.code).toMatch(/📌 pinned/);
    expect(list.final.code).toMatch(/📌 safety/);
    expect(list.final.code).toMatch(/daily,weekly,monthly,yearly/);

    const deleted = await applyRetention({ host, dir, names: ["shop", "crm"], retention: policy, zone: ZONE, now });
    const left = readdirSync(dir).filter((f) => f.startsWith("shop-") && f.endsWith(".dump"));
    expect(left).toHaveLength(14 + 2); // 7+4+6+2 minus overlaps (14 distinct) + pinned + fresh safety
    expect(left).toContain(pinned);
    expect(left).toContain(safety);
    expect(left).not.toContain(expiredSafety);
    expect(deleted).toHaveLength(365 - 16);
    // Sidecars go with their dumps; the other database's only dump stays.
    expect(readdirSync(dir).filter((f) => f.endsWith(".dump.json"))).toHaveLength(16);
    expect(readdirSync(dir)).toContain("crm-20250101T000000Z.dump");
    await host.close();
  });

  it("the old `retention: 3d` form still parses and deletes by age", () => {
    const cfg = EnvironmentBackups.parse({ host: "local", dump_dir: "/x", seed_dir: "/y", retention: "3d" });
    expect(cfg.retention).toBe(3 * 86_400_000);
    expect(EnvironmentBackups.safeParse({ host: "local", dump_dir: "/x", seed_dir: "/y", retention: { daily: 0 } }).success).toBe(false);
  });
});
