// Discord front end driven end to end: the real discord.js client talks to a fake REST API and a
// fake gateway on loopback; commands go through a real router, store, audit log and redactor.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/temp-dir.js";
import { createDiscordAdapter, type DiscordAdapter } from "../../src/bot/discord/discord-adapter.js";
import { createButtonRefs } from "../../src/bot/button-refs.js";
import { CHAT_COMMANDS } from "../../src/bot/discord/chat-commands.js";
import { DISCORD_LIMITS, renderDiscordReply, STATUS_COLOR } from "../../src/bot/discord/render-discord-reply.js";
import { DiscordConfig, loadDiscordToken } from "../../src/config/discord-config.js";
import { actorKey } from "../../src/core/command.js";
import { Secret } from "../../src/core/secret.js";
import type { Handler } from "../../src/handlers/handler.js";
import { startFakeDiscord, type FakeDiscord, type RecordedRequest } from "../fakes/fake-discord.js";
import { openStore } from "../../src/store/store.js";
import { createHarness, type Harness } from "../support/router-harness.js";

const TOKEN = "MTEyMzQ1Njc4OTAxMjM0NTY3.GabcDE.fake-discord-bot-token-for-tests-0123456";
const APP = "1100000000000000001";
const GUILD = "1100000000000000002";
const CHANNEL = "1100000000000000003";
const ALERTS = "1100000000000000004";
const alice = { id: "111111111111111111", username: "alice" };
const bob = { id: "222222222222222222", username: "bob" };
const stranger = { id: "999999999999999999", username: "stranger" };

interface Run {
  actor: string;
  args: string[];
}

/** `mark()` is called when a run starts (the test records how many requests the fake had seen by then). */
function testHandler(runs: Run[], mark: () => void = () => {}): Handler {
  return {
    name: "preview",
    summary: "preview environments",
    usage: ["/preview <branch>", "/preview status <branch>", "/preview destroy <branch> --yes"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: (args) => ({ key: args[0] === "destroy" ? "preview destroy" : "preview", readOnly: args[0] === "status" }),
    async run(command, progress) {
      mark();
      runs.push({ actor: actorKey(command.actor), args: command.args });
      const [sub, slug] = command.args;
      if (sub === "destroy") {
        await progress(`destroying ${slug}`);
        return { status: "success", title: `preview ${slug} destroyed` };
      }
      if (sub === "status") return { status: "info", title: `preview ${slug} is running` };
      await progress(`building ${sub}`);
      await sleep(50);
      return {
        status: "success",
        title: `preview ${sub} is ready`,
        lines: [`branch ${sub}`],
        fields: [{ label: "URL", value: `https://preview-${sub}.example.test` }],
        buttons: [
          { label: "Status", command: `/preview status ${sub}` },
          { label: "Destroy", command: `/preview destroy ${sub} --yes`, style: "danger", confirm: `Destroy preview ${sub}?` },
        ],
      };
    },
  };
}

describe("Discord adapter (discord.js against a fake Discord)", () => {
  let fake: FakeDiscord;
  let h: Harness;
  let adapter: DiscordAdapter;
  const runs: Run[] = [];
  /** For each run, the sequence number of the last request the fake had seen when it started. */
  const startedAfterSeq: number[] = [];
  const config = (): DiscordConfig =>
    DiscordConfig.parse({ enabled: true, application_id: APP, guild_id: GUILD, alert_channel: ALERTS, api_url: fake.apiUrl });
  const newAdapter = (commands = CHAT_COMMANDS): DiscordAdapter =>
    createDiscordAdapter({ config: config(), token: new Secret(TOKEN), dispatch: (c) => h.router.dispatch(c), log: h.log, store: h.store, commands, readyTimeoutMs: 10_000 });
  const byPath = (method: string, re: RegExp): RecordedRequest[] => fake.requests.filter((r) => r.method === method && re.test(r.path));
  const callbacksOf = (id: string): RecordedRequest[] => byPath("POST", new RegExp(`^/interactions/${id}/[^/]+/callback$`));
  const tokenOf = (payload: Record<string, unknown>): string => String(payload.token);

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN, applicationId: APP, guildId: GUILD, channelId: CHANNEL });
    h = await createHarness({ handlers: [testHandler(runs, () => startedAfterSeq.push(fake.requests.at(-1)?.seq ?? 0))], access: { roles: { admin: [`discord:${alice.id}`, `discord:${bob.id}`] }, rules: {} } });
    h.redact.add(TOKEN);
    adapter = newAdapter();
    await adapter.start();
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  it("registers the guild slash commands at start, and a restart with the same commands writes nothing", async () => {
    const route = /^\/applications\/\d+\/guilds\/\d+\/commands$/;
    expect(byPath("GET", route)).toHaveLength(1);
    const puts = byPath("PUT", route);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.path).toBe(`/applications/${APP}/guilds/${GUILD}/commands`);
    expect(puts[0]?.auth).toBe(`Bot ${TOKEN}`);
    const names = (puts[0]?.body as Array<{ name: string }>).map((c) => c.name).sort();
    expect(names).toEqual(["audit", "backup", "deploy", "help", "infra", "jobs", "preview", "rollback", "runbook", "seed", "status"]);
    const preview = (puts[0]?.body as Array<{ name: string; options?: Array<{ name: string; type: number }> }>).find((c) => c.name === "preview");
    expect(preview?.options).toEqual([expect.objectContaining({ name: "args", type: 3, required: false })]);
    expect(byPath("GET", /^\/gateway\/bot$/)[0]?.auth).toBe(`Bot ${TOKEN}`);

    // A second process start with the same definitions: reads, does not write.
    const again = newAdapter();
    await again.start();
    await again.stop();
    expect(byPath("GET", route)).toHaveLength(2);
    expect(byPath("PUT", route)).toHaveLength(1);

    // A changed description is written.
    const changed = newAdapter(CHAT_COMMANDS.map((c) => (c.name === "jobs" ? { ...c, description: "Scheduled jobs (changed)" } : c)));
    await changed.start();
    await changed.stop();
    expect(byPath("PUT", route)).toHaveLength(2);
    // Put the original set back for the next tests.
    const restore = newAdapter();
    await restore.start();
    await restore.stop();
    expect(byPath("PUT", route)).toHaveLength(3);
    expect(fake.identifies).toBe(4);
  });

  it("a slash command is deferred first, then the same message is edited with progress and the final embed", async () => {
    const payload = fake.slashCommand({ user: alice, name: "preview", args: "feature-x" });
    const id = String(payload.id);
    fake.sendInteraction(payload);
    const final = await fake.waitFor((r) => r.method === "PATCH" && r.path.endsWith(`/${tokenOf(payload)}/messages/@original`) && /is ready/.test(r.body?.embeds?.[0]?.title ?? ""));

    const [callback, ...more] = callbacksOf(id);
    expect(more).toHaveLength(0);
    expect(callback?.body).toEqual({ type: 5, data: { flags: 0 } });
    expect(callback?.auth).toBeUndefined();
    const edits = byPath("PATCH", new RegExp(`^/webhooks/${APP}/${tokenOf(payload)}/messages/@original$`));
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(callback!.seq).toBeLessThan(edits[0]!.seq);
    // The acknowledgement reached Discord before the handler started its work.
    expect(startedAfterSeq.at(-1)).toBeGreaterThanOrEqual(callback!.seq);
    expect(edits[0]?.rawPath).toContain("%40original");
    expect(edits[0]?.body.embeds[0]).toMatchObject({ color: STATUS_COLOR.progress, description: "building feature-x" });

    const embed = final.body.embeds[0];
    expect(embed.title).toContain("preview feature-x is ready");
    expect(embed.color).toBe(STATUS_COLOR.success);
    expect(embed.fields).toEqual([{ name: "URL", value: "https://preview-feature-x.example.test", inline: true }]);
    expect(final.body.allowed_mentions).toEqual({ parse: [] });
    const buttons = final.body.components[0].components;
    expect(final.body.components).toHaveLength(1);
    expect(buttons.map((b: { label: string; style: number }) => [b.label, b.style])).toEqual([
      ["Status", 2],
      ["Destroy", 4],
    ]);
    for (const b of buttons) expect(b.custom_id).toMatch(/^od:[A-Za-z0-9_-]{16}$/);
    expect(runs.at(-1)).toEqual({ actor: `discord:${alice.id}`, args: ["feature-x"] });
    ready = { messageId: fake.originalOf(id)!, buttons };
  });

  /** The "preview is ready" message of the slash command test and its buttons. */
  let ready: { messageId: string; buttons: Array<{ custom_id: string; label: string }> } | undefined;
  const readyMessage = (): NonNullable<typeof ready> => {
    if (!ready) throw new Error("the slash command test did not run");
    return ready;
  };

  it("a button with a confirmation asks the clicker privately first; Confirm runs it as the clicker in a new message", async () => {
    const { messageId, buttons } = readyMessage();
    const destroy = buttons.find((b) => b.label === "Destroy")!;
    const before = runs.length;
    const click = fake.buttonClick({ user: bob, customId: destroy.custom_id, messageId });
    fake.sendInteraction(click);
    const prompt = await fake.waitFor((r) => r.method === "POST" && r.path.startsWith(`/interactions/${String(click.id)}/`));
    expect(prompt.body.type).toBe(4);
    expect(prompt.body.data.flags).toBe(64);
    expect(prompt.body.data.embeds[0].title).toContain("Destroy preview feature-x?");
    const promptButtons = prompt.body.data.components[0].components as Array<{ label: string; style: number; custom_id: string }>;
    expect(promptButtons.map((b) => [b.label, b.style])).toEqual([
      ["Confirm", 4],
      ["Cancel", 2],
    ]);
    await sleep(100);
    expect(runs.length).toBe(before);

    const promptMessage = fake.originalOf(String(click.id))!;
    const confirm = fake.buttonClick({ user: bob, customId: promptButtons[0]!.custom_id, messageId: promptMessage });
    fake.sendInteraction(confirm);
    const done = await fake.waitFor(
      (r) => r.method === "PATCH" && r.path.startsWith(`/webhooks/${APP}/${tokenOf(confirm)}/messages/`) && /destroyed/.test(r.body?.embeds?.[0]?.title ?? ""),
    );
    expect(callbacksOf(String(confirm.id)).map((r) => r.body.type)).toEqual([7]);
    const followUps = byPath("POST", new RegExp(`^/webhooks/${APP}/${tokenOf(confirm)}$`));
    expect(followUps).toHaveLength(1);
    expect(followUps[0]?.query.get("wait")).toBe("true");
    expect(followUps[0]?.body.flags ?? 0).toBe(0);
    expect(done.path).not.toContain("@original");
    expect(runs.at(-1)).toEqual({ actor: `discord:${bob.id}`, args: ["destroy", "feature-x", "--yes"] });
    expect(runs.length).toBe(before + 1);
  });

  it("Cancel on a confirmation prompt closes it and runs nothing", async () => {
    const { messageId, buttons } = readyMessage();
    const before = runs.length;
    const click = fake.buttonClick({ user: bob, customId: buttons.find((b) => b.label === "Destroy")!.custom_id, messageId });
    fake.sendInteraction(click);
    const prompt = await fake.waitFor((r) => r.method === "POST" && r.path.startsWith(`/interactions/${String(click.id)}/`));
    const cancel = (prompt.body.data.components[0].components as Array<{ label: string; custom_id: string }>).find((b) => b.label === "Cancel")!;
    const cancelClick = fake.buttonClick({ user: bob, customId: cancel.custom_id, messageId: fake.originalOf(String(click.id))! });
    fake.sendInteraction(cancelClick);
    const closed = await fake.waitFor((r) => r.method === "POST" && r.path.startsWith(`/interactions/${String(cancelClick.id)}/`));
    expect(closed.body.type).toBe(7);
    expect(closed.body.data.components).toEqual([]);
    expect(closed.body.data.embeds[0].title).toContain("Cancelled");
    await sleep(100);
    expect(runs.length).toBe(before);
  });

  it("a button click is acknowledged with deferUpdate, dispatches the button's command as the clicker, and edits the clicked message", async () => {
    const { messageId, buttons } = readyMessage();
    const status = buttons.find((b) => b.label === "Status")!;
    const click = fake.buttonClick({ user: bob, customId: status.custom_id, messageId });
    fake.sendInteraction(click);
    const edit = await fake.waitFor((r) => r.method === "PATCH" && r.path === `/webhooks/${APP}/${tokenOf(click)}/messages/@original`);
    expect(callbacksOf(String(click.id)).map((r) => r.body)).toEqual([{ type: 6 }]);
    expect(edit.body.embeds[0].title).toContain("preview feature-x is running");
    expect(fake.messages.get(messageId)?.embeds).toEqual(edit.body.embeds);
    expect(runs.at(-1)).toEqual({ actor: `discord:${bob.id}`, args: ["status", "feature-x"] });
  });

  it("the same interaction delivered twice runs once and is acknowledged once", async () => {
    const before = runs.length;
    const payload = fake.slashCommand({ user: alice, name: "preview", args: "twice" });
    fake.sendInteraction(payload);
    fake.sendInteraction(payload);
    await fake.waitFor((r) => r.method === "PATCH" && r.path.includes(tokenOf(payload)) && /is ready/.test(r.body?.embeds?.[0]?.title ?? ""));
    await sleep(200);
    expect(runs.length).toBe(before + 1);
    expect(callbacksOf(String(payload.id))).toHaveLength(1);
  });

  it("a failure (unknown user) is shown only to the person who typed it", async () => {
    const before = runs.length;
    const payload = fake.slashCommand({ user: stranger, name: "preview", args: "nope" });
    fake.sendInteraction(payload);
    const followUp = await fake.waitFor((r) => r.method === "POST" && r.path === `/webhooks/${APP}/${tokenOf(payload)}`);
    expect(followUp.body.flags).toBe(64);
    expect(followUp.body.embeds[0].color).toBe(STATUS_COLOR.failure);
    expect(followUp.body.embeds[0].title).toContain("not allowed");
    expect(followUp.body.allowed_mentions).toEqual({ parse: [] });
    const deleted = byPath("DELETE", new RegExp(`^/webhooks/${APP}/${tokenOf(payload)}/messages/@original$`));
    expect(deleted).toHaveLength(1);
    expect(deleted[0]!.seq).toBeLessThan(followUp.seq);
    expect(runs.length).toBe(before);
    expect(h.auditText()).toContain(`discord:${stranger.id}`);
  });

  it("user text is escaped: no pings, no markdown", async () => {
    const payload = fake.slashCommand({ user: alice, name: "preview", args: "@everyone*x*" });
    fake.sendInteraction(payload);
    const final = await fake.waitFor((r) => r.method === "PATCH" && r.path.includes(tokenOf(payload)) && /is ready/.test(r.body?.embeds?.[0]?.title ?? ""));
    expect(final.body.embeds[0].title).toContain("@\u200beveryone\\*x\\*");
    expect(JSON.stringify(final.body.embeds)).not.toMatch(/@everyone/);
    expect(final.body.allowed_mentions).toEqual({ parse: [] });
  });

  it("the alert target posts to the alert channel with the bot token", async () => {
    await adapter.alertTarget.post({ status: "failure", title: "staging is down", lines: ["3 checks failed"] });
    const post = await fake.waitFor((r) => r.method === "POST" && r.path === `/channels/${ALERTS}/messages`);
    expect(post.auth).toBe(`Bot ${TOKEN}`);
    expect(post.body.embeds[0]).toMatchObject({ color: STATUS_COLOR.failure, description: "3 checks failed" });
    expect(post.body.allowed_mentions).toEqual({ parse: [] });
  });

  it("no unexpected request reached the fake, and the token never reached the log", () => {
    expect(fake.unexpected).toEqual([]);
    expect(h.logText()).not.toContain(TOKEN);
    const errors = h.logText().split("\n").filter((l) => l && (JSON.parse(l) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  });
});

describe("renderDiscordReply", () => {
  it("keeps the tail of a long log inside the description limit and says it cut", () => {
    const code = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n");
    const { embeds } = renderDiscordReply({ status: "failure", title: "deploy failed", lines: ["health check timed out"], code, nextStep: "Look at the logs." });
    const d = embeds[0]!.description!;
    expect(d.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(d).toContain("line 1999\n```");
    expect(d).not.toContain("line 0\n");
    expect(d).toContain("earlier lines cut");
    expect(d.startsWith("health check timed out\n```\n")).toBe(true);
    expect(embeds[0]!.fields).toEqual([{ name: "Next step", value: "Look at the logs.", inline: false }]);
  });

  it("respects the embed, field and button limits", () => {
    const long = "x".repeat(5000);
    const reply = {
      status: "info" as const,
      title: long,
      lines: [long, long],
      fields: Array.from({ length: 40 }, (_, i) => ({ label: `f${i}${long}`, value: long })),
      buttons: Array.from({ length: 30 }, (_, i) => ({ label: `b${i}${long}`, command: `/status ${i}` })),
    };
    const ids = reply.buttons.map((_, i) => `od:${String(i).padStart(16, "0")}`);
    const { embeds, components } = renderDiscordReply(reply, ids);
    const e = embeds[0]!;
    expect(e.title!.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect(e.fields!.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const f of e.fields!) {
      expect(f.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    }
    const total = e.title!.length + (e.description?.length ?? 0) + e.fields!.reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    expect(e.description).toContain("more field(s) not shown");
    expect(components).toHaveLength(5);
    for (const row of components) expect(row.components.length).toBeLessThanOrEqual(5);
    const all = components.flatMap((r) => r.components);
    expect(all).toHaveLength(25);
    expect(all[0]!.label!.length).toBeLessThanOrEqual(DISCORD_LIMITS.buttonLabel);
    expect(all[24]!.custom_id).toBe(ids[24]);
  });

  it("colours by status, marks actor-only replies ephemeral and escapes mentions and markdown", () => {
    const r = renderDiscordReply({ status: "warning", title: "<@123> **hi** @here", lines: ["`x` [link](http://e.test)"], visibility: "actor" });
    expect(r.ephemeral).toBe(true);
    expect(r.embeds[0]!.color).toBe(STATUS_COLOR.warning);
    expect(r.embeds[0]!.title).toBe("⚠️ <\u200b@123> \\*\\*hi\\*\\* @\u200bhere");
    expect(r.embeds[0]!.description).toBe("\\`x\\` \\[link](http://e.test)");
    expect(() => renderDiscordReply({ status: "info", title: "t", buttons: [{ label: "b", command: "/x" }] }, ["o".repeat(101)])).toThrow(/custom_id/);
  });
});

describe("createButtonRefs", () => {
  it("gives a button the same short id every time, survives a restart through the state file, and expires", async () => {
    const dir = tempDir("opsdeck-refs-");
    let now = Date.parse("2026-01-01T00:00:00Z");
    const clock = (): Date => new Date(now);
    const refs = createButtonRefs({ store: await openStore(dir), ttlMs: 60_000, clock });
    const command = `/preview destroy ${"very-long-branch-name-".repeat(8)} --yes`;
    const id = await refs.put({ kind: "run", command, confirm: "Sure?" });
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await refs.put({ kind: "run", command, confirm: "Sure?" })).toBe(id);
    expect(await refs.put({ kind: "confirmed", command })).not.toBe(id);

    // A new process: a fresh store read from disk, an empty memory.
    const after = createButtonRefs({ store: await openStore(dir), ttlMs: 60_000, clock });
    expect(after.get(id)).toMatchObject({ kind: "run", command, confirm: "Sure?" });
    expect(after.get("AAAAAAAAAAAAAAAA")).toBeUndefined();
    now += 61_000;
    expect(after.get(id)).toBeUndefined();
    // Writing a new ref prunes expired ones from the state file.
    await after.put({ kind: "cancel", command: "" });
    const state = (await openStore(dir)).read() as { buttonRefs?: Record<string, unknown> };
    expect(Object.keys(state.buttonRefs ?? {})).toHaveLength(1);
  });
});

describe("DiscordConfig", () => {
  it("needs application_id and guild_id only when enabled, and reads the token from the named variable", () => {
    expect(DiscordConfig.parse({}).enabled).toBe(false);
    const bad = DiscordConfig.safeParse({ enabled: true });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(["application_id", "guild_id"]);
    const cfg = DiscordConfig.parse({ enabled: true, application_id: APP, guild_id: GUILD, bot_token_env: "OPS_DISCORD" });
    expect(loadDiscordToken(cfg, { OPS_DISCORD: TOKEN }).reveal()).toBe(TOKEN);
    expect(() => loadDiscordToken(cfg, {})).toThrow(/OPS_DISCORD/);
  });
});
