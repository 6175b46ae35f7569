// /runbook through the real router, store, audit log and redactor; steps run over the real SSH
// host shell against the test sshd. Nothing of ours is mocked.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Runbooks } from "../../src/config/seed-config.js";
import type { Actor, Reply } from "../../src/core/command.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createRedactor } from "../../src/core/redact.js";
import { createRunbookHandler } from "../../src/handlers/runbook.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { testUserDir } from "../support/test-user.js";
import { loadTestEnv } from "../support/test-env.js";

const tenv = loadTestEnv();
const oncall: Actor = { platform: "console", id: "oncall", name: "oncall" };
const viewer: Actor = { platform: "console", id: "viewer", name: "viewer" };
const PLANTED = "planted-secret-4f9c2a71";
const TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

describe("/runbook over SSH", () => {
  let dir: string;
  let marker: string;
  let shell: SshHostShell;
  let h: Harness;

  beforeAll(async () => {
    dir = testUserDir("opsdeck-rb-"); // the SSH test user writes the marker file here
    marker = join(dir, "failover-done");
    shell = createSshHostShell({ name: "db1", address: tenv.sshHost, port: tenv.sshPort, user: tenv.sshUser, keyPath: tenv.sshKeyPath, commandTimeoutMs: 30_000 });
    const runbooks = Runbooks.parse({
      "db-failover": {
        description: "Promote the replica",
        steps: [
          { name: "check", host: "db1", command: ["sh", "-c", `echo checking replica; echo password=${PLANTED}; sleep 1; echo token ${TOKEN}; echo again ${PLANTED}`], description: "Look at replication lag" },
          { name: "promote", host: "db1", command: ["touch", marker], description: "Promote (creates the marker)", confirm: true },
          { name: "verify", host: "db1", command: ["sh", "-c", "i=1; while [ $i -le 100 ]; do echo line $i; i=$((i+1)); done"] },
          { name: "broken", host: "db1", command: ["sh", "-c", `echo about to fail ${PLANTED} >&2; exit 3`] },
        ],
      },
      slow: { steps: [{ name: "wait", host: "db1", command: ["sleep", "5"], timeout: "1s" }] },
    });
    const redact = createRedactor();
    redact.add(PLANTED);
    const access = { roles: { oncall: ["console:oncall"], viewer: ["console:viewer"] }, rules: { "runbook run": ["oncall"] } };
    // The handler's extra per-step records go to the same audit file the router writes.
    const dataDir = mkdtempSync(join(tmpdir(), "opsdeck-rb-data-"));
    const audit = createAuditLog(join(dataDir, "audit.jsonl"), redact);
    h = await createHarness({
      handlers: [createRunbookHandler({ runbooks, shellFor: () => shell, redact, audit, outputIntervalMs: 200 })],
      redact,
      access,
      dataDir,
    });
  });

  afterAll(async () => {
    await shell?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (h) rmSync(h.dataDir, { recursive: true, force: true });
  });

  const all = (messages: Reply[]): string => JSON.stringify(messages);

  it("list and show are read-only; run needs the oncall role", async () => {
    const list = await h.send("/runbook list", viewer);
    expect(list.final.status).toBe("info");
    expect(list.final.lines).toEqual(["db-failover — Promote the replica (4 steps)", "slow — (no description) (1 steps)"]);
    const show = await h.send("/runbook show db-failover", viewer);
    expect(show.final.lines?.join("\n")).toMatch(/2\. promote on db1 \(needs confirmation\) — Promote/);
    const denied = await h.send("/runbook run db-failover", viewer);
    expect(denied.final.status).toBe("failure");
    expect(denied.final.title).toMatch(/not allowed: "runbook run" needs one of the roles: oncall/);
  });

  it("runs step 1, streams redacted output and offers the next step", async () => {
    const { final, messages } = await h.send("/runbook run db-failover", oncall);
    expect(final.status).toBe("success");
    expect(final.title).toMatch(/^db-failover step 1\/4 check on db1: done in /);
    expect(final.code).toContain("checking replica");
    expect(final.code).toContain("password=[REDACTED]");
    expect(final.code).toContain("token [REDACTED]");
    expect(final.buttons).toEqual([{ command: "/runbook run db-failover 2", label: "Next: promote", style: "danger" }]);
    // Output arrived while the step ran (before the 1 s sleep ended), already redacted.
    const streamed = messages.filter((m) => m.status === "progress").map((m) => m.lines?.[0] ?? "");
    expect(streamed.some((s) => s.includes("checking replica") && !s.includes("token"))).toBe(true);
    expect(all(messages) + h.auditText() + h.logText()).not.toContain(PLANTED);
    expect(all(messages)).not.toContain(TOKEN);
  });

  it("a confirm step does nothing until confirmed", async () => {
    const ask = await h.send("/runbook run db-failover 2", oncall);
    expect(ask.final.status).toBe("warning");
    expect(ask.final.title).toMatch(/promote on db1 needs confirmation/);
    expect(ask.final.buttons).toEqual([{ command: "/runbook run db-failover 2 --confirmed", label: "Run promote", style: "danger", confirm: "Run promote on db1?" }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(marker)).toBe(false);
    // The same by step name, still not confirmed.
    await h.send("/runbook run db-failover promote", oncall);
    expect(existsSync(marker)).toBe(false);

    const button = ask.final.buttons?.[0]?.command ?? "";
    const done = await h.send(button, oncall);
    expect(done.final.status).toBe("success");
    expect(existsSync(marker)).toBe(true);
    expect(done.final.buttons?.[0]?.command).toBe("/runbook run db-failover 3");
    expect(h.auditText()).toMatch(/"command":"runbook-step","args":\["db-failover","promote","db1"\].*"result":"success"/);
  });

  it("truncates long output to the last 40 lines", async () => {
    const { final } = await h.send("/runbook run db-failover verify", oncall);
    const lines = (final.code ?? "").split("\n");
    expect(lines[0]).toBe("…");
    expect(lines.slice(1)).toHaveLength(40);
    expect(lines[1]).toBe("line 61");
    expect(lines.at(-1)).toBe("line 100");
    expect(final.buttons?.[0]).toMatchObject({ command: "/runbook run db-failover 4", label: "Next: broken" });
  });

  it("a failing step says so, shows its redacted output and offers a retry", async () => {
    const { final, messages } = await h.send("/runbook run db-failover 4", oncall);
    expect(final.status).toBe("failure");
    expect(final.title).toMatch(/broken on db1: failed \(exit code 3\)/);
    expect(final.code).toBe("about to fail [REDACTED]");
    expect(final.buttons).toEqual([{ command: "/runbook run db-failover 4", label: "Retry broken", style: "default" }]);
    expect(final.lines?.join("\n") ?? "").toMatch(/Look at|^$/);
    expect(all(messages) + h.auditText()).not.toContain(PLANTED);
    const timeout = await h.send("/runbook run slow", oncall);
    expect(timeout.final.status).toBe("failure");
    expect(timeout.final.title).toMatch(/timed out after 1000 ms/);
  });

  it("names with shell characters and unknown names get clear errors", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/runbook show db;rm", /"db;rm" is not a runbook name/],
      ["/runbook run $(id)", /"\$\(id\)" is not a runbook name/],
      ["/runbook run db-failover 1;ls", /"1;ls" is not a step number or name/],
      ["/runbook run a|b", /"a\\\|b" is not a runbook name/],
      ["/runbook show nope", /there is no runbook named nope/],
      ["/runbook run db-failover 9", /db-failover has no step 9; it has 4/],
      ["/runbook run db-failover 1 --force", /unknown option "--force"/],
      ["/runbook explode", /unknown \/runbook sub-command/],
    ];
    for (const [input, expected] of cases) {
      const { final, messages } = await h.send(input, oncall);
      expect(final.status, input).toBe("failure");
      expect(final.title, input).toMatch(expected);
      expect(messages.filter((m) => m.status === "progress"), input).toHaveLength(0);
    }
    const unknown = await h.send("/runbook show nope", viewer);
    expect(unknown.final.nextStep).toBe("Runbooks: db-failover, slow (/runbook list).");
  });
});
