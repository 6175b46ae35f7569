import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRouter, type Router } from "../../src/bot/router.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Command, Reply } from "../../src/core/command.js";
import { createLogger } from "../../src/core/logger.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createRedactor } from "../../src/core/redact.js";
import type { Handler } from "../../src/handlers/handler.js";
import type { State } from "../../src/store/state.js";
import { openStore, type Store } from "../../src/store/store.js";

const RETENTION = 20 * 60_000;
const dirs: string[] = [];
const routers: Router[] = [];
afterEach(async () => {
  for (const r of routers.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dir: string, clock: () => Date, runs: string[], readOnly = false) {
  const real = await openStore(dir);
  let writes = 0;
  // The real store, counting its writes: how many state writes the deliveries cost.
  const store: Store = { path: real.path, read: () => real.read(), update: (fn) => (writes++, real.update(fn)) };
  const echo: Handler = {
    name: "echo",
    summary: "echo",
    usage: ["/echo <word>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "echo", readOnly }),
    async run(cmd) {
      runs.push(cmd.deliveryId ?? "");
      return { status: "success", title: "echoed" };
    },
  };
  const redact = createRedactor();
  const router = createRouter({
    handlers: [echo],
    authorize: createAuthorize({ roles: { admin: ["slack:T1/U1"] }, rules: {} }),
    audit: createAuditLog(join(dir, "audit.jsonl"), redact),
    log: createLogger({ level: "silent", redact }),
    metrics: createMetrics(),
    redact,
    store,
    commandsPerMinute: 0,
    dedupeMs: RETENTION,
    clock,
  });
  routers.push(router);
  const send = (deliveryId: string): Promise<Reply> => {
    const command: Command = { name: "echo", args: ["x"], text: "/echo x", actor: { platform: "slack", id: "T1/U1", name: "dev" }, channelId: "C1", deliveryId, respond: async () => {}, update: async () => {} };
    return router.dispatch(command);
  };
  return { send, writes: () => writes };
}

describe("delivery ids", () => {
  it("10,000 deliveries: batched writes, a persisted list bounded by the retention, and a duplicate still refused after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opsdeck-deliveries-"));
    dirs.push(dir);
    let now = Date.parse("2026-03-01T10:00:00Z");
    const clock = (): Date => new Date(now);
    const runs: string[] = [];
    const a = await start(dir, clock, runs);
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => a.send(`d${batch * 100 + i}`)));
      now += 100_000; // 100 deliveries per 100 s
    }
    expect(runs).toHaveLength(10_000);
    // One write per group of deliveries that arrived together, not one per delivery.
    expect(a.writes()).toBeLessThan(1000);
    const persisted = (JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as State).deliveries;
    // 20 minutes hold at most 13 batches of 100.
    expect(persisted.length).toBeGreaterThan(0);
    expect(persisted.length).toBeLessThanOrEqual(1300);
    expect(persisted.every((d) => now - Date.parse(d.at) <= RETENTION + 100_000)).toBe(true);
    expect(statSync(join(dir, "state.json")).size).toBeLessThan(100 * 1024);

    // Restart on the same data directory: a delivery inside the window is still refused…
    const b = await start(dir, clock, runs);
    const dup = await b.send("d9999");
    expect(dup.title).toBe("duplicate delivery ignored");
    // …and concurrent copies of one new delivery run it once.
    await Promise.all([b.send("fresh"), b.send("fresh"), b.send("fresh")]);
    expect(runs.filter((r) => r === "d9999" || r === "fresh")).toEqual(["d9999", "fresh"]);
    // Past the window an id is forgotten, in memory and on disk.
    now += RETENTION;
    await b.send("later");
    const left = (JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as State).deliveries.map((d) => d.key);
    expect(left).toEqual(["slack:later"]);
  });

  it("a read-only command's delivery is claimed in memory only: no state write before its reply, and a copy is still refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opsdeck-deliveries-"));
    dirs.push(dir);
    const clock = (): Date => new Date(Date.parse("2026-03-01T10:00:00Z"));
    const runs: string[] = [];
    const a = await start(dir, clock, runs, true);
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.send(`r${i}`)));
    expect(runs).toHaveLength(50);
    expect(a.writes()).toBe(0);
    expect((await a.send("r7")).title).toBe("duplicate delivery ignored");
    expect(runs).toHaveLength(50);
  });
});
