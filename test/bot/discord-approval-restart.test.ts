// A pending approval survives a restart and its ORIGINAL Discord message is still edited: the whole
// app (createApp) is built twice over the same data dir, each time with the real discord.js adapter
// against the loopback fake Discord; the request message's channel id and message id are persisted
// on the approval record, and the second process edits it with the bot token through
// PATCH /channels/{channel}/messages/{id} (the interaction token of the first process is not used).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { approvalRestartYaml, startWithAdapter } from "../support/approval-restart-app.js";
import { createDiscordAdapter, type DiscordAdapter } from "../../src/bot/discord/discord-adapter.js";
import { DiscordConfig } from "../../src/config/discord-config.js";
import { Secret } from "../../src/core/secret.js";
import { startFakeDiscord, type FakeDiscord, type RecordedRequest } from "../fakes/fake-discord.js";

const TOKEN = "MTEyMzQ1Njc4OTAxMjM0NTY3.GabcDE.fake-discord-bot-token-restart-0123456";
const APP = "1100000000000000101";
const GUILD = "1100000000000000102";
const CHANNEL = "1100000000000000103";
const ALERTS = "1100000000000000104";
const alice = { id: "111111111111111111", username: "alice" };
const bob = { id: "222222222222222222", username: "bob" };

describe("Discord: a pending approval across a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-discord-restart-"));
  let fake: FakeDiscord;
  const yaml = approvalRestartYaml(dir, { deployer: `discord:${alice.id}`, approver: `discord:${bob.id}` });

  function start(): Promise<{ app: App; adapter: DiscordAdapter; stop(): Promise<void> }> {
    const config = DiscordConfig.parse({ enabled: true, application_id: APP, guild_id: GUILD, alert_channel: ALERTS, api_url: fake.apiUrl });
    return startWithAdapter(yaml, (app) => createDiscordAdapter({ config, token: new Secret(TOKEN), dispatch: app.router.dispatch, log: app.log, store: app.store, readyTimeoutMs: 10_000 }));
  }

  const titleOf = (r: RecordedRequest): string => String(r.body?.embeds?.[0]?.title ?? "");
  const textOf = (r: RecordedRequest): string => JSON.stringify(r.body?.embeds ?? []);

  beforeAll(async () => {
    mkdirSync(join(dir, "prod"), { recursive: true });
    fake = await startFakeDiscord({ token: TOKEN, applicationId: APP, guildId: GUILD, channelId: CHANNEL });
  });

  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("after a restart, approval by a second person edits the original request message (PATCH /channels/{channel}/messages/{id} with the stored ids)", async () => {
    const first = await start();
    const ask = fake.slashCommand({ user: alice, name: "deploy", args: "prod sha-abc1234" });
    fake.sendInteraction(ask);
    await fake.waitFor((r) => r.method === "PATCH" && r.path.endsWith(`/${String(ask.token)}/messages/@original`) && /approval needed/i.test(textOf(r)));
    const original = fake.originalOf(String(ask.id));
    expect(original).toMatch(/^\d+$/);
    const [record] = first.app.store.read().approvals;
    expect(record).toMatchObject({ kind: "deploy", env: "prod", status: "pending", message: { platform: "discord", channel: CHANNEL, id: original } });
    await first.stop();

    // The second process: nothing carries over but the data dir (and Discord's own messages).
    const second = await start();
    try {
      const before = fake.requests.length;
      fake.sendInteraction(fake.slashCommand({ user: bob, name: "deploy", args: `approve ${record?.id ?? ""}` }));
      const edited = await fake.waitFor((r) => fake.requests.indexOf(r) >= before && r.method === "PATCH" && r.path === `/channels/${CHANNEL}/messages/${original ?? ""}` && /approved/.test(textOf(r)));
      expect(edited.auth).toBe(`Bot ${TOKEN}`);
      expect(textOf(edited)).toMatch(/deploy sha-abc1234 to prod: approved by bob/);
      expect(titleOf(edited)).not.toBe("");
      // The stored message itself now shows the decision (the fake applied the edit).
      expect(JSON.stringify(fake.messages.get(original ?? "")?.embeds)).toMatch(/approved by bob/);
      expect(second.app.store.read().approvals[0]).toMatchObject({ status: "approved", decidedBy: `discord:${bob.id}` });
      expect(fake.unexpected).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
