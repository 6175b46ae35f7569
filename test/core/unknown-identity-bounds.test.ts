import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRouter, type Router } from "../../src/bot/router.js";
import { createAuditLog, type AuditEntry } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Actor, Command } from "../../src/core/command.js";
import { createLogger } from "../../src/core/logger.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createRedactor } from "../../src/core/redact.js";
import type { Handler } from "../../src/handlers/handler.js";
import { openStore } from "../../src/store/store.js";

const dirs: string[] = [];
const routers: Router[] = [];
afterEach(async () => {
  for (const r of routers.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function world(clock: () => Date) {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-bounds-"));
  dirs.push(dir);
  const runs: string[] = [];
  const echo: Handler = {
    name: "echo",
    summary: "echo",
    usage: ["/echo <words…>", "/echo list"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: (args) => ({ key: args[0] === "list" ? "echo list" : "echo", readOnly: args[0] === "list" }),
    async run(cmd) {
      runs.push(cmd.args.join(" "));
      return { status: "success", title: "echoed" };
    },
  };
  const store = await openStore(dir);
  const redact = createRedactor();
  const auditPath = join(dir, "audit.jsonl");
  const router = createRouter({
    handlers: [echo],
    authorize: createAuthorize({ roles: { viewer: ["slack:T1/U2"] }, rules: { echo: ["deployer"] } }),
    audit: createAuditLog(auditPath, redact),
    log: createLogger({ level: "silent", redact }),
    metrics: createMetrics(),
    redact,
    store,
    commandsPerMinute: 30,
    clock,
  });
  routers.push(router);
  let n = 0;
  const send = (text: string, actor: Actor): Promise<unknown> => {
    const [name = "", ...args] = text.slice(1).split(" ");
    const command: Command = { name, args, text, actor, channelId: "C1", deliveryId: `d${n++}`, respond: async () => {}, update: async () => {} };
    return router.dispatch(command);
  };
  const auditEntries = (): AuditEntry[] => {
    try {
      return readFileSync(auditPath, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
    } catch {
      return [];
    }
  };
  return { dir, router, runs, send, auditEntries, statePath: join(dir, "state.json") };
}

const countOf = (e: AuditEntry): number => Number(/^(\d+) requests? /.exec(e.detail ?? "")?.[1] ?? 0);

describe("requests from unknown or denied identities are bounded", () => {
  it("5,000 requests from strangers and a denied user: state and audit stay small, nothing runs, every request is counted", async () => {
    const w = await world(() => new Date());
    const strangers: Actor[] = Array.from({ length: 4 }, (_, i) => ({ platform: "slack", id: `T1/U9${i}`, name: `mallory${i}` }));
    const viewer: Actor = { platform: "slack", id: "T1/U2", name: "vic" }; // known, but /echo needs deployer
    const texts = ["/echo hi", "/echo list", "/nosuchcommand x", "/help"];
    for (let i = 0; i < 4000; i++) await w.send(texts[i % 4] ?? "/echo", strangers[i % 4] as Actor);
    for (let i = 0; i < 1000; i++) await w.send("/echo hi", viewer);

    expect(w.runs).toEqual([]);
    const state = JSON.parse(readFileSync(w.statePath, "utf8")) as { deliveries: unknown[] };
    expect(state.deliveries).toEqual([]);
    expect(statSync(w.statePath).size).toBeLessThan(1024);

    const before = w.auditEntries();
    // One line per stranger, at most 30 denials of the viewer (the rate limit) and one rate-limit line.
    expect(before.length).toBeLessThanOrEqual(4 + 30 + 1);
    await w.router.close(); // writes the pending counts
    const after = w.auditEntries();
    expect(after.length).toBeLessThanOrEqual(2 * 4 + 30 + 2);
    for (const s of strangers) {
      const lines = after.filter((e) => e.actor === `slack:${s.id}`);
      expect(lines.length).toBeLessThanOrEqual(2);
      expect(lines.reduce((sum, e) => sum + countOf(e), 0)).toBe(1000);
      expect(lines.at(-1)?.detail).toBe(`999 requests from unknown identity slack:${s.id} in the last minute`);
      expect(lines.every((e) => e.args.length === 0)).toBe(true); // the stranger's text is not kept
    }
    const viewerLines = after.filter((e) => e.actor === "slack:T1/U2");
    expect(viewerLines.filter((e) => e.decision === "denied")).toHaveLength(30);
    expect(viewerLines.filter((e) => /over the rate limit/.test(e.detail ?? "")).reduce((sum, e) => sum + countOf(e), 0)).toBe(970);
  });

  it("writes at most one line per identity per minute, with the count of the minute before", async () => {
    let now = Date.parse("2026-03-01T10:00:00Z");
    const w = await world(() => new Date(now));
    const stranger: Actor = { platform: "telegram", id: "77", name: "eve" };
    for (let i = 0; i < 10; i++) await w.send("/echo hi", stranger);
    expect(w.auditEntries().map((e) => e.detail)).toEqual(["1 request from unknown identity telegram:77 in the last minute"]);
    now += 30_000;
    await w.send("/echo hi", stranger);
    expect(w.auditEntries()).toHaveLength(1);
    now += 31_000;
    await w.send("/echo hi", stranger);
    expect(w.auditEntries().map((e) => e.detail)).toEqual([
      "1 request from unknown identity telegram:77 in the last minute",
      "11 requests from unknown identity telegram:77 in the last minute",
    ]);
    expect(w.runs).toEqual([]);
  });
});
