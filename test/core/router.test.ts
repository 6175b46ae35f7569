import { describe, expect, it } from "vitest";
import type { Handler } from "../../src/handlers/handler.js";
import { OpsError } from "../../src/core/errors.js";
import type { Command, Reply } from "../../src/core/command.js";
import { consoleActor, createHarness } from "../support/router-harness.js";

function echoHandler(runs: string[]): Handler {
  return {
    name: "echo",
    summary: "echo the arguments",
    usage: ["/echo <words…>", "/echo list"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: (args) => ({ key: args[0] === "list" ? "echo list" : "echo", readOnly: args[0] === "list" }),
    async run(cmd, progress) {
      runs.push(cmd.args.join(" "));
      if (cmd.args[0] === "fail") throw new OpsError("bad_input", "it failed as asked", "Do not ask it to fail.");
      if (cmd.args[0] === "crash") throw new Error("boom with token ghp_abcdefghijklmnopqrstuvwxyz0123456789");
      await progress("step one");
      return { status: "success", title: `echo ${cmd.args.join(" ")}`, buttons: [{ command: "/echo again", label: "Again" }] };
    },
  };
}

describe("router", () => {
  it("lists commands with /help", async () => {
    const h = await createHarness({ handlers: [echoHandler([])] });
    const { final } = await h.send("/help");
    expect(final.lines).toContain("/echo — echo the arguments");
    expect(final.code?.split("\n")).toContain("/echo <words…>");
  });

  it("suggests the nearest command for a typo", async () => {
    const h = await createHarness({ handlers: [echoHandler([])] });
    const { final } = await h.send("/ecoh hi");
    expect(final.status).toBe("failure");
    expect(final.title).toBe('unknown command "/ecoh"');
    expect(final.nextStep).toBe("Did you mean /echo? Type /help for the list.");
  });

  it("posts progress first, then edits with the final reply, and audits the command", async () => {
    const runs: string[] = [];
    const h = await createHarness({ handlers: [echoHandler(runs)] });
    const { messages, final } = await h.send("/echo hello world");
    expect(runs).toEqual(["hello world"]);
    expect(messages.map((m) => m.status)).toEqual(["progress", "success"]);
    expect(final.title).toBe("echo hello world");
    const audit = h.auditText().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "console:local", command: "echo", args: ["hello", "world"], decision: "allowed", result: "success" });
    expect(typeof audit[0]?.durationMs).toBe("number");
    const metrics = await h.metrics.registry.metrics();
    expect(metrics).toMatch(/opsdeck_commands_total\{command="echo",outcome="success"\} 1/);
  });

  it("denies unknown users anything but read-only commands, and audits the denial", async () => {
    const runs: string[] = [];
    const h = await createHarness({ handlers: [echoHandler(runs)], access: { roles: { viewer: ["slack:T1/U2"] }, rules: { echo: ["deployer"] } } });
    const stranger = { platform: "slack" as const, id: "T1/U9", name: "mallory" };
    const viewer = { platform: "slack" as const, id: "T1/U2", name: "vic" };
    expect((await h.send("/echo hi", stranger)).final.title).toMatch(/not allowed: slack:T1\/U9 holds no role/);
    expect((await h.send("/echo list", stranger)).final.status).toBe("failure");
    expect((await h.send("/echo list", viewer)).final.status).toBe("success");
    const denied = await h.send("/echo hi", viewer);
    expect(denied.final.title).toContain('"echo" needs one of the roles: deployer');
    expect(denied.final.visibility).toBe("actor");
    expect(runs).toEqual(["list"]);
    expect(h.auditText()).toMatch(/"decision":"denied"/);
  });

  it("applies an env-scoped rule (deploy@prod) before the command's general rule", async () => {
    const runs: string[] = [];
    const handler: Handler = {
      name: "ship",
      summary: "ship to an env",
      usage: ["/ship <env>"],
      prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
      permission: (args) => ({ key: "ship", readOnly: false, env: args[0] ?? "" }),
      async run(cmd) {
        runs.push(cmd.args.join(" "));
        return { status: "success", title: "shipped" };
      },
    };
    const h = await createHarness({
      handlers: [handler],
      access: { roles: { deployer: ["slack:T1/U1"], lead: ["slack:T1/U2"] }, rules: { ship: ["deployer", "lead"], "ship@prod": ["lead"] } },
    });
    const dev = { platform: "slack" as const, id: "T1/U1", name: "dev" };
    const lead = { platform: "slack" as const, id: "T1/U2", name: "lead" };
    expect((await h.send("/ship staging", dev)).final.status).toBe("success");
    expect((await h.send("/ship prod", dev)).final.title).toContain("needs one of the roles: lead");
    expect((await h.send("/ship prod", lead)).final.status).toBe("success");
    expect(runs).toEqual(["staging", "prod"]);
  });

  it("turns OpsError into a failure with a next step, and anything else into a generic reply with a redacted log", async () => {
    const h = await createHarness({ handlers: [echoHandler([])] });
    const fail = await h.send("/echo fail");
    expect(fail.final).toMatchObject({ status: "failure", title: "it failed as asked", nextStep: "Do not ask it to fail." });
    const crash = await h.send("/echo crash");
    expect(crash.final.title).toBe("/echo failed unexpectedly");
    expect(JSON.stringify(crash.final)).not.toContain("ghp_");
    expect(h.logText()).toContain("boom with token [REDACTED]");
    expect(h.logText()).not.toContain("ghp_abcdefghij");
  });

  it("redacts registered secrets from every reply and the audit log", async () => {
    const h = await createHarness({ handlers: [echoHandler([])] });
    h.redact.add("canary-secret-123456");
    const { final, messages } = await h.send("/echo canary-secret-123456");
    expect(JSON.stringify([final, messages])).not.toContain("canary-secret-123456");
    expect(h.auditText()).not.toContain("canary-secret-123456");
  });

  it("runs a retried delivery once", async () => {
    const runs: string[] = [];
    const h = await createHarness({ handlers: [echoHandler(runs)] });
    const cmd = (id: string) => ({
      name: "echo",
      args: ["once"],
      text: "/echo once",
      actor: { platform: "telegram" as const, id: "1", name: "t" },
      channelId: "c",
      deliveryId: id,
      respond: async () => {},
      update: async () => {},
    });
    await Promise.all([h.router.dispatch(cmd("42")), h.router.dispatch(cmd("42"))]);
    await h.router.dispatch(cmd("43"));
    expect(runs).toEqual([]); // telegram:1 has no role: denied, but still de-duplicated below
    const h2 = await createHarness({ handlers: [echoHandler(runs)], access: { roles: { admin: ["telegram:1"] }, rules: {} } });
    await Promise.all([h2.router.dispatch(cmd("42")), h2.router.dispatch(cmd("42"))]);
    await h2.router.dispatch(cmd("43"));
    expect(runs).toEqual(["once", "once"]);
  });

  it("limits commands per person per minute, and says how long to wait", async () => {
    const runs: string[] = [];
    const h = await createHarness({ handlers: [echoHandler(runs)], commandsPerMinute: 3, access: { roles: { admin: ["console:local", "slack:T/U2"] }, rules: {} } });
    for (let i = 0; i < 3; i++) expect((await h.send(`/echo ${i}`)).final.status).toBe("success");
    const fourth = await h.send("/echo 3");
    expect(fourth.final.title).toBe("too many commands: the limit is 3 a minute per person");
    expect(fourth.final.nextStep).toMatch(/^Wait \d+ s and try again\.$/);
    // Someone else is not held up by it.
    expect((await h.send("/echo other", { platform: "slack", id: "T/U2", name: "u2" })).final.status).toBe("success");
    expect(runs).toEqual(["0", "1", "2", "other"]);
  });

  it("refuses a line break or a control character in the arguments itself, before any handler runs", async () => {
    // Built field by field and handed to the router: no splitter in front of it decides this.
    const runs: string[] = [];
    const h = await createHarness({ handlers: [echoHandler(runs)] });
    const sent: Reply[] = [];
    const raw = (args: string[]): Command => ({ name: "echo", args, text: `/echo ${args.join(" ")}`, actor: consoleActor, channelId: "test", respond: async (r) => void sent.push(r), update: async (r) => void sent.push(r) });
    const lineBreak = await h.router.dispatch(raw(["a\nb"]));
    expect(lineBreak).toMatchObject({ status: "failure", visibility: "actor" });
    expect(lineBreak.title).toMatch(/line break|U\+000A/);
    const control = await h.router.dispatch(raw(["a\u202eb"]));
    expect(control.status).toBe("failure");
    expect(control.title).toContain("U+202E");
    expect(runs).toEqual([]);
    expect(sent.map((r) => r.status)).toEqual(["failure", "failure"]);
  });
});
