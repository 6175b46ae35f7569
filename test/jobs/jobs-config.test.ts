import { describe, expect, it } from "vitest";
import { Backups, checkJobsConfig, HealthChecks, Jobs } from "../../src/config/jobs-config.js";

describe("jobs config", () => {
  it("fills the documented defaults", () => {
    const jobs = Jobs.parse({});
    expect(jobs).toEqual({
      time_zone: "UTC",
      ttl_cleanup: { enabled: true, cron: "*/30 * * * *", prune_disk_threshold_percent: 80, prune_older_than: 72 * 3_600_000 },
      pre_backup: { enabled: true, time: "02:55" },
      backup_drill: { enabled: true, cron: "30 4 * * 0" },
      health_alerts: { enabled: true, every: 60_000, failures_to_open: 2, reminder_every: 4 * 3_600_000, flapping: { window: 10, changes: 4, stable_checks: 5 } },
    });
    const b = Backups.parse({ prod: { host: "db1", dump_dir: "/var/backups/opsdeck", seed_dir: "/var/backups/seed", databases: [{ name: "shop" }] } });
    expect(b["prod"]).toMatchObject({ retention: 3 * 86_400_000, freshness: 86_400_000, small_ratio: 0.1, heartbeat_method: "GET" });
    expect(b["prod"]?.databases[0]).toEqual({ name: "shop", host: "127.0.0.1", port: 5432, user: "postgres" });
    expect(HealthChecks.parse({ hosts: [{ host: "app1" }] }).hosts[0]).toEqual({ host: "app1", path: "/", disk_warn: 80, disk_crit: 90, mem_min_mb: 512, load_per_cpu: 1 });
  });

  it("rejects a bad time zone, cron, time and paths with messages that say what is expected", () => {
    const issues = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
      (r.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues(Jobs.safeParse({ time_zone: "Europe/Pariss" }))).toEqual(["time_zone: must be an IANA time zone such as Europe/Paris or UTC"]);
    expect(issues(Jobs.safeParse({ ttl_cleanup: { cron: "*/30 * * *" } }))).toEqual(["ttl_cleanup.cron: must be a 5-field cron expression such as */30 * * * *"]);
    expect(issues(Jobs.safeParse({ pre_backup: { time: "2:55" } }))).toEqual(["pre_backup.time: must be a local time HH:MM such as 02:55"]);
    expect(issues(Backups.safeParse({ prod: { host: "db1", dump_dir: "/x/../etc", seed_dir: "rel", databases: [{ name: "shop; rm" }] } }))).toEqual([
      "prod.dump_dir: must not contain '..'",
      "prod.seed_dir: must be an absolute path such as /var/backups/opsdeck (letters, digits, . _ - / only)",
      "prod.databases.0.name: must be a database name such as shop (lowercase letters, digits, _)",
    ]);
  });

  it("checks hosts against the declared ones", () => {
    const problems = checkJobsConfig(
      {
        backups: Backups.parse({ prod: { host: "db9", dump_dir: "/b", seed_dir: "/s", databases: [{ name: "shop" }, { name: "shop" }] } }),
        health_checks: HealthChecks.parse({ hosts: [{ host: "app1", disk_warn: 95, disk_crit: 90 }], http: [{ name: "a", url: "http://x/" }, { name: "a", url: "http://y/" }] }),
      },
      ["app1", "db1"],
    );
    expect(problems.map((p) => `${p.path.join(".")}: ${p.message}`)).toEqual([
      'backups.prod.host: names host "db9", which is not declared under hosts (declared: app1, db1)',
      'backups.prod.databases.1.name: database "shop" is listed twice; dump files are named after it',
      "health_checks.hosts.0.disk_crit: must not be lower than disk_warn",
      'health_checks.http.1.name: check name "a" is used twice',
    ]);
  });
});
