// Forged, stale and future Slack signatures, wrong Telegram webhook secrets, and replayed
// deliveries (inside the window, after it, and across a restart of the bot), against the running
// bot. Each request carries a unique marker; the audit trail shows whether it reached a handler.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TELEGRAM_ADMIN, TELEGRAM_SECRET, auditLines } from "./bot-rig.js";
import { nowSec, postSlash, postTelegram, slackSign, slashBody, type LiveBot } from "./live-bot.js";
import { noteUnintended, tally } from "./tally.js";

const marker = (what: string): string => `m-${what}-${randomBytes(3).toString("hex")}`;
const ranTimes = (live: LiveBot, m: string): number => auditLines(live.paths).filter((e) => e.args.includes(m)).length;
/** Deliveries that got past every check and reached their handler (refusals are audited too). */
const handledTimes = (live: LiveBot, m: string): number => auditLines(live.paths).filter((e) => e.args.includes(m) && e.decision === "allowed").length;
const settle = (ms = 1500): Promise<void> => new Promise((r) => setTimeout(r, ms));
const telegramChat = { id: TELEGRAM_ADMIN, type: "private" as const };
const telegramFrom = { id: TELEGRAM_ADMIN, first_name: "admin", username: "admin" };

export function defineDeliveryCases(getLive: () => LiveBot): void {
  describe("forged, stale, future and replayed deliveries to the running bot", () => {
    it("refuses forged, stale and future Slack signatures with 401 and runs nothing", async () => {
      const live = getLive();
      const now = nowSec();
      const cases: Array<{ name: string; ts: number | string; sign: (ts: number | string, body: string) => string }> = [
        { name: "signed with another secret", ts: now, sign: (ts, b) => slackSign(ts, b, "not-the-signing-secret") },
        { name: "signature of another body", ts: now, sign: (ts) => slackSign(ts, "token=x") },
        { name: "v1 scheme", ts: now, sign: (ts, b) => slackSign(ts, b).replace("v0=", "v1=") },
        { name: "truncated signature", ts: now, sign: (ts, b) => slackSign(ts, b).slice(0, 40) },
        { name: "empty signature", ts: now, sign: () => "" },
        { name: "stale: 6 min old (a replay after the window)", ts: now - 360, sign: slackSign },
        { name: "stale: 1 day old", ts: now - 86_400, sign: slackSign },
        { name: "future: 6 min ahead", ts: now + 360, sign: slackSign },
        { name: "future: year 2030", ts: Math.floor(Date.UTC(2030, 0, 1) / 1000), sign: slackSign },
        { name: "signed for another timestamp", ts: now, sign: (_ts, b) => slackSign(now - 1, b) },
      ];
      const markers: string[] = [];
      const statuses: string[] = [];
      for (const c of cases) {
        const m = marker("sig");
        markers.push(m);
        const body = slashBody(live, "/status", m);
        statuses.push(`${c.name} → ${await postSlash(live, body, c.ts, c.sign(c.ts, body))}`);
      }
      expect(statuses.filter((s) => !s.endsWith("→ 401"))).toEqual([]);
      tally.badInputs += cases.length;
      await settle();
      const ran = markers.filter((m) => ranTimes(live, m) > 0).map((m) => `Slack request with a bad signature ran (${m})`);
      noteUnintended(ran);
      expect(ran).toEqual([]);
      // The control: the same request correctly signed runs.
      const ok = marker("sig-ok");
      expect(await postSlash(live, slashBody(live, "/status", ok))).toBe(200);
      await expect.poll(() => ranTimes(live, ok), { timeout: 10_000 }).toBe(1);
    });

    it("refuses wrong Telegram webhook secrets with 401 and runs nothing", async () => {
      const live = getLive();
      const wrong: Array<string | null> = [null, "", "wrong", TELEGRAM_SECRET.toUpperCase(), `${TELEGRAM_SECRET}x`, TELEGRAM_SECRET.slice(0, -1), `${TELEGRAM_SECRET.slice(0, -1)}X`];
      const markers: string[] = [];
      const statuses: string[] = [];
      for (const secret of wrong) {
        const m = marker("tg");
        markers.push(m);
        const update = live.telegram.textUpdate({ from: telegramFrom, chat: telegramChat, text: `/status ${m}` });
        statuses.push(`${JSON.stringify(secret)} → ${await postTelegram(live, update, secret)}`);
      }
      expect(statuses.filter((s) => !s.endsWith("→ 401"))).toEqual([]);
      tally.badInputs += wrong.length;
      await settle();
      const ran = markers.filter((m) => ranTimes(live, m) > 0).map((m) => `Telegram update with a wrong secret ran (${m})`);
      noteUnintended(ran);
      expect(ran).toEqual([]);
      const ok = marker("tg-ok");
      expect(await postTelegram(live, live.telegram.textUpdate({ from: telegramFrom, chat: telegramChat, text: `/status ${ok}` }))).toBe(200);
      await expect.poll(() => ranTimes(live, ok), { timeout: 10_000 }).toBe(1);
    });

    it("runs a replayed Slack request and Telegram update once: inside the window, and again after a restart of the bot", async () => {
      // `/preview extend <marker> 1d` passes every check and reaches its handler (which then finds
      // no such preview): an argument-less command would be refused as invalid and prove nothing.
      const live = getLive();
      const sm = marker("replay-slack");
      const body = slashBody(live, "/preview", `extend ${sm} 1d`);
      const ts = nowSec();
      const tm = marker("replay-tg");
      const update = live.telegram.textUpdate({ from: telegramFrom, chat: telegramChat, text: `/preview extend ${tm} 1d` });
      expect(await postSlash(live, body, ts)).toBe(200);
      expect(await postTelegram(live, update)).toBe(200);
      await expect.poll(() => handledTimes(live, sm) + handledTimes(live, tm), { timeout: 10_000 }).toBe(2);
      // Inside the window: the same delivery again, three times.
      for (let i = 0; i < 3; i++) {
        await postSlash(live, body, ts);
        await postTelegram(live, update);
      }
      // After the in-memory window is gone (a restart forgets it): only what is on disk can refuse.
      await live.restart();
      tally.faults += 1; // a restart between delivery and replay
      expect(await postSlash(live, body, ts)).toBeLessThan(500);
      expect(await postTelegram(live, update)).toBeLessThan(500);
      // An older Telegram update (below the high-water mark) never seen before.
      const om = marker("replay-tg-old");
      expect(await postTelegram(live, live.telegram.textUpdate({ from: telegramFrom, chat: telegramChat, text: `/preview extend ${om} 1d`, updateId: Number(update["update_id"]) - 5 }))).toBeLessThan(500);
      tally.badInputs += 9;
      await settle(2500);
      const extra = [
        ...Array.from({ length: Math.max(0, handledTimes(live, sm) - 1) }, () => "replayed Slack slash command ran again"),
        ...Array.from({ length: Math.max(0, handledTimes(live, tm) - 1) }, () => "replayed Telegram update ran again"),
        ...Array.from({ length: handledTimes(live, om) }, () => "Telegram update below the high-water mark ran"),
      ];
      noteUnintended(extra);
      expect(extra).toEqual([]);
    });
  });
}
