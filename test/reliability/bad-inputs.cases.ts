// Every argument of every command filled with shell metacharacters, a newline, a bidi override, 500
// characters or nothing, sent as signed Slack slash commands to the running bot. A canary dir on
// the host (writable by the SSH user) and a sentinel dir prove that no shell ran them; the state,
// the audit trail and the docker daemon prove that no handler acted on them.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auditLines, dataFiles, readState, recordKeys } from "./bot-rig.js";
import { postSlash, slashBody, splitLine, type LiveBot } from "./live-bot.js";
import { findLeaks, PLANTED_FORMS } from "./planted-secret.js";
import { noteLeaks, noteUnintended, tally } from "./tally.js";

/** `{}` is the argument under attack; `optional` slots are not attacked with the empty value (empty is legitimate there). */
const TEMPLATES: Array<{ line: string; optional?: boolean }> = [
  { line: "/preview {}" },
  { line: "/preview {} --ttl 1d" },
  { line: "/preview feature-x --ttl {}" },
  { line: "/preview feature-x --sha {}" },
  { line: "/preview destroy {}" },
  { line: "/preview extend {} 1d" },
  { line: "/preview extend feature-x {}" },
  { line: "/deploy {} v1" },
  { line: "/deploy staging {}" },
  { line: "/deploy staging v1 {}", optional: true },
  { line: "/deploy staging v1 --dry-run {}", optional: true },
  { line: "/deploy approve {}" },
  { line: "/deploy reject {}" },
  { line: "/deploy history {}" },
  { line: "/deploy history staging {}", optional: true },
  { line: "/rollback {}" },
  { line: "/rollback staging --to {}" },
  { line: "/seed {}" },
  { line: "/backup status {}", optional: true },
  { line: "/backup run {}" },
  { line: "/backup list {}", optional: true },
  { line: "/backup restore {} shop latest" },
  { line: "/backup restore staging {} latest" },
  { line: "/backup restore staging shop {}" },
  { line: "/jobs run {}" },
  { line: "/jobs {}", optional: true },
  { line: "/status {}", optional: true },
  { line: "/runbook show {}" },
  { line: "/runbook run {}" },
  { line: "/runbook run leaky {}", optional: true },
  { line: "/infra snapshot {}" },
  { line: "/infra up {}" },
  { line: "/infra down {}" },
  { line: "/audit {}", optional: true },
  { line: "/audit 5 --env {}" },
  { line: "/opsdeck {}", optional: true },
];

function payloads(canary: string, sentinel: string): Array<{ name: string; value: string }> {
  return [
    { name: "semicolon rm", value: `; rm -rf ${sentinel}` },
    { name: "command substitution", value: `$(touch ${canary}/dollar)` },
    { name: "backticks", value: `\`touch ${canary}/tick\`` },
    { name: "pipe", value: `| touch ${canary}/pipe` },
    { name: "and-and", value: `&& touch ${canary}/and` },
    { name: "newline", value: `x\ntouch ${canary}/newline` },
    { name: "bidi U+202E", value: `feat\u202Ecod.exe` },
    { name: "500 characters", value: "a".repeat(500) },
    { name: "empty", value: "" },
  ];
}

function containerNames(label: string): string[] {
  return execFileSync("docker", ["ps", "-a", "--filter", `label=${label}`, "--format", "{{.Names}}"], { encoding: "utf8" }).split("\n").filter(Boolean);
}

/** Send every line, then wait until the bot has answered them all (the fake and the audit trail stop growing). */
async function sendAll(live: LiveBot, lines: string[], minAudit = 0): Promise<void> {
  const auditStart = auditLines(live.paths).length;
  for (const line of lines) {
    const { command, text } = splitLine(line);
    expect(await postSlash(live, slashBody(live, command, text)), line).toBe(200);
  }
  let last = "";
  let stableSince = Date.now();
  const deadline = Date.now() + 60_000;
  while (Date.now() - stableSince < 2000 || auditLines(live.paths).length - auditStart < minAudit) {
    if (Date.now() > deadline) throw new Error("the bot kept answering for over a minute");
    const now = `${live.slack.calls.length}/${auditLines(live.paths).length}`;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function defineBadInputCases(getLive: () => LiveBot): void {
  describe("bad inputs through the running bot (signed Slack slash commands)", () => {
    it("runs no shell and no handler for metacharacters, newlines, bidi, 500-character and empty values in every argument", async () => {
      const live = getLive();
      const canary = join(live.paths.hostDir, "canary");
      const sentinel = join(live.paths.hostDir, "sentinel");
      mkdirSync(canary);
      chmodSync(canary, 0o777);
      mkdirSync(sentinel);
      chmodSync(sentinel, 0o777);
      const before = new Set(recordKeys(readState(live.paths)));
      const containersBefore = containerNames("opsdeck.preview").length + containerNames(`com.docker.compose.project=${live.project}`).length;
      const auditBefore = auditLines(live.paths).length;

      const lines: string[] = [];
      for (const t of TEMPLATES) for (const p of payloads(canary, sentinel)) if (!(t.optional && p.value === "")) lines.push(t.line.replace("{}", p.value).trimEnd());
      tally.badInputs += lines.length;
      await sendAll(live, lines);

      const unintended: string[] = [];
      for (const f of readdirSync(canary)) unintended.push(`a shell ran: canary ${f} created`);
      if (!existsSync(sentinel)) unintended.push(`a shell ran: ${sentinel} removed`);
      for (const k of recordKeys(readState(live.paths))) if (!before.has(k)) unintended.push(`a handler acted: new state record ${k}`);
      const containersAfter = containerNames("opsdeck.preview").length + containerNames(`com.docker.compose.project=${live.project}`).length;
      if (containersAfter > containersBefore) unintended.push(`${containersAfter - containersBefore} container(s) created`);
      noteUnintended(unintended);
      expect(unintended).toEqual([]);
      // Every one was answered (refused at the edge or by the router, which audits it).
      expect(auditLines(live.paths).length - auditBefore + live.slack.calls.filter((c) => JSON.stringify(c).includes("could not read that command")).length).toBeGreaterThan(0);
      // The bidi character is never echoed back raw.
      expect(JSON.stringify(live.slack.calls)).not.toContain("\u202E");
    });

    it("refuses the planted secret typed as an argument, in plain, base64, URL and JSON-escaped form, and never echoes it", async () => {
      const live = getLive();
      const lines: string[] = [];
      for (const value of Object.values(PLANTED_FORMS)) {
        for (const t of ["/deploy staging {}", "/preview {}", "/runbook show {}", "/audit 5 --env {}", "/rollback staging --to {}"]) lines.push(t.replace("{}", value));
      }
      tally.badInputs += lines.length;
      const before = new Set(recordKeys(readState(live.paths)));
      await sendAll(live, lines);
      const unintended = recordKeys(readState(live.paths)).filter((k) => !before.has(k)).map((k) => `a typed secret acted: new state record ${k}`);
      noteUnintended(unintended);
      expect(unintended).toEqual([]);
      const leaks = findLeaks({ "Slack replies": JSON.stringify(live.slack.calls), "bot log": live.output(), ...dataFiles(live.paths) });
      noteLeaks(leaks);
      expect(leaks).toEqual([]);
    });

    it("redacts the planted secret in every form from a failing runbook step's output and a failing deploy's logs", async () => {
      const live = getLive();
      const auditBefore = auditLines(live.paths).length;
      await sendAll(live, ["/runbook run leaky", "/deploy staging v3"]);
      const done = (c: string): boolean => auditLines(live.paths).slice(auditBefore).some((e) => e.command === c);
      await expect.poll(() => done("runbook") && done("deploy"), { timeout: 60_000, interval: 250 }).toBe(true);
      const entries = auditLines(live.paths).slice(auditBefore).filter((e) => e.command === "runbook" || e.command === "deploy");
      expect(entries.map((e) => `${e.command} ${e.result}`).sort()).toEqual(["deploy failure", "runbook failure"]);
      const replies = JSON.stringify(live.slack.calls);
      expect(replies).toContain("[REDACTED]"); // the output was shown, with the secret cut out
      const leaks = findLeaks({ "Slack replies": replies, "bot log": live.output(), ...dataFiles(live.paths) });
      noteLeaks(leaks);
      expect(leaks).toEqual([]);
    });
  });
}
