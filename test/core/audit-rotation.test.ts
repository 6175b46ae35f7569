import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAuditLog, type AuditEntry } from "../../src/core/audit-log.js";
import { createRedactor } from "../../src/core/redact.js";
import { createAuditHandler } from "../../src/handlers/audit.js";
import { createHarness } from "../support/router-harness.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function entry(i: number, env = "staging"): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    actor: "slack:T1/U1",
    actorName: "dev",
    command: "deploy",
    args: [env, `sha-${String(i).padStart(6, "0")}`],
    decision: "allowed",
    result: "success",
    durationMs: 5,
    detail: "x".repeat(150),
  };
}

const auditFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith("audit.jsonl")).sort();

describe("audit log rotation", () => {
  it("rotates by size, keeps at most keep+1 files, and /audit 50 reads across the rotation boundary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opsdeck-audit-"));
    dirs.push(dir);
    const path = join(dir, "audit.jsonl");
    const maxBytes = 8 * 1024; // about 30 entries a file: 50 entries need at least two files
    const log = createAuditLog(path, createRedactor(), { maxBytes, keep: 3 });
    // Concurrent writes, as the router and the approval desk do: the queue keeps rotation safe.
    await Promise.all(Array.from({ length: 1000 }, (_, i) => log.record(entry(i, i % 10 === 0 ? "prod" : "staging"))));

    expect(auditFiles(dir)).toEqual(["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2", "audit.jsonl.3"]);
    for (const f of auditFiles(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(maxBytes);
    const current = readFileSync(path, "utf8").trim().split("\n");
    expect(current.length).toBeLessThan(50);

    const h = await createHarness({ handlers: [createAuditHandler({ path, environments: ["prod", "staging"] })], dataDir: dir });
    const { final } = await h.send("/audit 50");
    // The harness's router appended its own line for /audit after the read; the reply predates it.
    const shown = (final.code ?? "").split("\n").map((l) => /sha-(\d+)/.exec(l)?.[1]);
    expect(final.title).toBe("audit log: last 50 entries");
    expect(shown).toEqual(Array.from({ length: 50 }, (_, k) => String(950 + k).padStart(6, "0")));

    // --env filters across every kept file: prod entries are 1 in 10, so 50 of them span many files.
    const prod = await h.send("/audit 50 --env prod");
    const prodShown = (prod.final.code ?? "").split("\n").map((l) => Number(/sha-(\d+)/.exec(l)?.[1]));
    const kept = auditFiles(dir).flatMap((f) => readFileSync(join(dir, f), "utf8").trim().split("\n").map((l) => JSON.parse(l) as AuditEntry));
    const keptProd = kept.filter((e) => e.args[0] === "prod").map((e) => Number(e.args[1]?.slice(4))).sort((a, b) => a - b);
    expect(keptProd.length).toBeGreaterThan(5);
    expect(prodShown).toEqual(keptProd);
    expect(prodShown.at(-1)).toBe(990);
  });

  it("continues the size of an existing file after a restart instead of starting from zero", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opsdeck-audit-"));
    dirs.push(dir);
    const path = join(dir, "audit.jsonl");
    const maxBytes = 4 * 1024;
    for (let round = 0; round < 5; round++) {
      const log = createAuditLog(path, createRedactor(), { maxBytes, keep: 2 }); // a new process each round
      for (let i = 0; i < 15; i++) await log.record(entry(round * 15 + i));
    }
    expect(auditFiles(dir).length).toBeLessThanOrEqual(3);
    for (const f of auditFiles(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(maxBytes);
  });
});
