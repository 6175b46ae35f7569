// Config validation, the SQL the anonymiser builds, and the in-process environment lock.
import { describe, expect, it } from "vitest";
import { Environments } from "../../src/config/environments-config.js";
import { AnonymiseRule, checkSeedConfig, Runbooks, Seeds } from "../../src/config/seed-config.js";
import { OpsError } from "../../src/core/errors.js";
import { createEnvLocks } from "../../src/ops/env-locks.js";
import { anonymiseSql, parseRuleCounts, quoteIdent, quoteLiteral } from "../../src/ops/seed/anonymise-sql.js";
import { pgpassLine } from "../../src/ops/seed/pg-command.js";

const seed = {
  source_env: "prod",
  source_host: "db1",
  seed_dir: "/srv/seed",
  target_host: "db1",
  databases: [{ name: "shop", user: "app" }],
};

describe("seed config", () => {
  it("accepts only plain lowercase identifiers for tables and columns", () => {
    for (const table of ["credentials; DROP TABLE x", "Credentials", "public.credentials", '"x"', "1abc", "a b", ""]) {
      expect(AnonymiseRule.safeParse({ table, column: "secret", rule: "redact" }).success, table).toBe(false);
    }
    expect(AnonymiseRule.safeParse({ table: "credentials", column: "secret--", rule: "redact" }).success).toBe(false);
    expect(AnonymiseRule.safeParse({ table: "_audit2", column: "api_key", rule: "redact" }).success).toBe(true);
  });

  it("wants a value for replace and none for redact or null", () => {
    expect(AnonymiseRule.safeParse({ table: "t", column: "c", rule: "replace" }).success).toBe(false);
    expect(AnonymiseRule.safeParse({ table: "t", column: "c", rule: "redact", value: "x" }).success).toBe(false);
    expect(AnonymiseRule.safeParse({ table: "t", column: "c", rule: "prefix", value: "" }).success).toBe(false);
    expect(AnonymiseRule.safeParse({ table: "t", column: "c", rule: "shuffle" }).success).toBe(false);
  });

  it("rejects anonymise rules for a database that is not seeded, and bad paths", () => {
    const r = Seeds.safeParse({ preprod: { ...seed, anonymise: { other: [] } } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/names database \\"other\\", which is not listed under databases/);
    expect(Seeds.safeParse({ preprod: { ...seed, seed_dir: "/srv/../etc" } }).success).toBe(false);
    expect(Seeds.safeParse({ preprod: { ...seed, seed_dir: "/srv/seed;rm" } }).success).toBe(false);
    expect(Seeds.safeParse({ "../x": seed }).success).toBe(false);
  });

  it("refuses at start a seed of a protected or undeclared environment and undeclared hosts", () => {
    const envs = Environments.parse({ prod: { host: "db1", compose_dir: "/srv/prod", project: "shop", protected: true }, preprod: { host: "db1", compose_dir: "/srv/pre", project: "shop-pre" } });
    const seeds = Seeds.parse({ prod: { ...seed, source_env: "preprod" }, staging: seed, preprod: { ...seed, target_host: "db9" } });
    const runbooks = Runbooks.parse({ fix: { steps: [{ name: "a", host: "nowhere", command: ["true"] }] } });
    const msgs = checkSeedConfig(seeds, runbooks, envs, ["db1"]).map((p) => `${p.path.join(".")}: ${p.message}`);
    expect(msgs).toEqual([
      'seed.prod: environment "prod" is protected and can never be seeded; remove this entry',
      'seed.staging: seeds environment "staging", which is not declared under environments (declared: prod, preprod)',
      'seed.preprod.target_host: names host "db9", which is not declared under hosts (declared: db1)',
      'runbooks.fix.steps.0.host: names host "nowhere", which is not declared under hosts (declared: db1)',
    ]);
  });

  it("runbook names, step names and commands are validated", () => {
    const step = { name: "restart", host: "web1", command: ["systemctl", "restart", "nginx"] };
    expect(Runbooks.safeParse({ "db-failover": { steps: [step] } }).success).toBe(true);
    expect(Runbooks.safeParse({ "db;rm": { steps: [step] } }).success).toBe(false);
    expect(Runbooks.safeParse({ ok: { steps: [{ ...step, name: "a b" }] } }).success).toBe(false);
    expect(Runbooks.safeParse({ ok: { steps: [{ ...step, name: "2" }] } }).success).toBe(false);
    expect(Runbooks.safeParse({ ok: { steps: [{ ...step, command: "systemctl restart nginx" }] } }).success).toBe(false);
    expect(Runbooks.safeParse({ ok: { steps: [step, step] } }).success).toBe(false);
    expect(Runbooks.safeParse({ ok: { steps: [] } }).success).toBe(false);
  });
});

describe("anonymisation SQL", () => {
  it("quotes identifiers and literals and refuses anything that is not a plain identifier", () => {
    expect(quoteIdent("credentials")).toBe('"credentials"');
    expect(() => quoteIdent('x"; DROP TABLE y; --')).toThrow(/not a plain SQL identifier/);
    expect(quoteLiteral("o'brien\\")).toBe("'o''brien\\'");
    const sql = anonymiseSql(
      [
        { table: "credentials", column: "secret", rule: "redact" },
        { table: "webhooks", column: "path", rule: "prefix", value: "te'st-" },
      ],
      "[redacted]",
    );
    expect(sql).toBe(
      [
        "BEGIN;",
        "SET LOCAL standard_conforming_strings = on;",
        `WITH touched AS (UPDATE "credentials" SET "secret" = '[redacted]' WHERE "secret" IS NOT NULL RETURNING 1) SELECT 'opsdeck-count:0:' || count(*) FROM touched;`,
        `WITH touched AS (UPDATE "webhooks" SET "path" = 'te''st-' || "path" WHERE "path" IS NOT NULL AND NOT starts_with("path"::text, 'te''st-') RETURNING 1) SELECT 'opsdeck-count:1:' || count(*) FROM touched;`,
        "COMMIT;",
        "",
      ].join("\n"),
    );
  });

  it("reads one count per rule and fails when one is missing", () => {
    const rules = [
      { table: "a", column: "b", rule: "null" as const },
      { table: "c", column: "d", rule: "redact" as const },
    ];
    expect(parseRuleCounts("\nopsdeck-count:0:5\nopsdeck-count:1:0\n", rules).map((c) => c.rows)).toEqual([5, 0]);
    expect(() => parseRuleCounts("opsdeck-count:0:5\n", rules)).toThrow(/no row count for rule 2/);
  });

  it("escapes .pgpass fields and refuses multi-line passwords", () => {
    const db = { name: "shop", host: "127.0.0.1", port: 5432, user: "app", password_env: "PW" };
    expect(pgpassLine(db, "a:b\\c")).toBe("127.0.0.1:5432:*:app:a\\:b\\\\c\n");
    expect(() => pgpassLine(db, "a\nb")).toThrow(OpsError);
  });
});

describe("environment locks", () => {
  it("one holder per environment, released on success and on failure", async () => {
    const locks = createEnvLocks();
    const release = locks.acquire("preprod", "a deploy by slack:U1");
    expect(() => locks.acquire("preprod", "a seed")).toThrow(/preprod is busy: a deploy by slack:U1/);
    expect(() => locks.acquire("staging", "a seed")()).not.toThrow();
    release();
    release(); // twice is harmless
    await expect(locks.run("preprod", "a seed", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(locks.heldBy("preprod")).toBeUndefined();
    expect(await locks.run("preprod", "a seed", async () => 42)).toBe(42);
  });
});
