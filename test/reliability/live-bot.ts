// One long-lived bot process (the real CLI) with Slack HTTP and a Telegram webhook, talking to the
// loopback Slack and Telegram fakes, and the shared sshd/dockerd as its preview/deploy host.
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync, chownSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeSlackApi, type FakeSlackApi } from "../fakes/fake-slack-api.js";
import { startFakeTelegramApi, type FakeTelegramApi } from "../fakes/fake-telegram-api.js";
import { freePort, testUserDir, testUserIds } from "../support/test-user.js";
import { uniqueName } from "../support/test-env.js";
import { SLACK_BOT_TOKEN, SLACK_TEAM, TELEGRAM_SECRET, TELEGRAM_TOKEN, env, startBot, stopBot, until, writeConfig, type RigPaths, type RunningBot } from "./bot-rig.js";
import { LEAKY_OUTPUT, PLANTED } from "./planted-secret.js";

export interface LiveBot {
  paths: RigPaths;
  configPath: string;
  slack: FakeSlackApi;
  telegram: FakeTelegramApi;
  bot: RunningBot;
  /** Output of earlier bot processes (before a restart) plus the current one. */
  output(): string;
  project: string;
  slackUrl: string;
  telegramUrl: string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Compose file of the `staging` env: app:v1..v3, v3 never healthy; the app prints the leaky file at start. */
function stagingCompose(): string {
  return `services:
  app:
    image: opsdeck-test/app:\${IMAGE_TAG}
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ && ! grep -q v3 /www/index.html"]
      interval: 1s
      timeout: 3s
      retries: 2
    volumes:
      - ./leaky.txt:/leaky.txt:ro
    command: ["sh", "-c", "cat /leaky.txt; trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & wait"]
`;
}

export function makeRigPaths(prefix: string): RigPaths {
  const dir = mkdtempSync(join(tmpdir(), `opsdeck-${prefix}-`));
  const hostDir = testUserDir(`opsdeck-${prefix}-host-`);
  const staging = join(hostDir, "staging");
  mkdirSync(staging);
  writeFileSync(join(staging, "docker-compose.yml"), stagingCompose());
  writeFileSync(join(staging, ".env"), "IMAGE_TAG=v1\n");
  writeFileSync(join(staging, "leaky.txt"), LEAKY_OUTPUT);
  writeFileSync(join(hostDir, "leaky.txt"), LEAKY_OUTPUT);
  const { uid, gid } = testUserIds();
  for (const f of [staging, join(staging, "docker-compose.yml"), join(staging, ".env"), join(staging, "leaky.txt"), join(hostDir, "leaky.txt")]) chownSync(f, uid, gid);
  return { dir, hostDir };
}

export async function waitForHttp(url: string, bot: RunningBot): Promise<void> {
  await until(
    `the bot to listen on ${url}; its output so far: ${bot.output()}`,
    async () => {
      if (bot.child.exitCode !== null) throw new Error(`the bot exited (${bot.child.exitCode}): ${bot.output()}`);
      return fetch(url, { method: "GET" }).then(() => true, () => false);
    },
    45_000,
    150,
  );
}

export async function startLiveBot(): Promise<LiveBot> {
  const paths = makeRigPaths("rel-live");
  const slack = await startFakeSlackApi({ botToken: SLACK_BOT_TOKEN, teamId: SLACK_TEAM });
  const telegram = await startFakeTelegramApi({ token: TELEGRAM_TOKEN });
  const slackPort = await freePort();
  const telegramPort = await freePort();
  const project = uniqueName("rel-staging");
  const configPath = writeConfig(paths, { sshPort: env.sshPort, slackPort, slackApiUrl: slack.apiUrl, telegramPort, telegramApiRoot: telegram.apiRoot, project });
  const slackUrl = `http://127.0.0.1:${slackPort}/slack/events`;
  const telegramUrl = `http://127.0.0.1:${telegramPort}/tg`;
  let earlier = "";
  let bot = startBot(configPath);
  await waitForHttp(slackUrl, bot);
  await waitForHttp(telegramUrl, bot);
  const live: LiveBot = {
    paths,
    configPath,
    slack,
    telegram,
    bot,
    output: () => earlier + live.bot.output(),
    project,
    slackUrl,
    telegramUrl,
    async restart() {
      await stopBot(live.bot);
      earlier += live.bot.output();
      bot = startBot(configPath);
      live.bot = bot;
      await waitForHttp(slackUrl, bot);
      await waitForHttp(telegramUrl, bot);
    },
    async close() {
      await stopBot(live.bot);
      await slack.close();
      await telegram.close();
    },
  };
  return live;
}

// --- Slack requests -----------------------------------------------------------------------------

export const nowSec = (): number => Math.floor(Date.now() / 1000);
export const slackSign = (timestamp: string | number, body: string, secret = PLANTED): string => `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;

export function slashBody(live: LiveBot, command: string, text: string, responseId = randomBytes(6).toString("hex")): string {
  return new URLSearchParams({
    team_id: SLACK_TEAM,
    channel_id: "CREL",
    user_id: "UADMIN",
    user_name: "admin",
    command,
    text,
    api_app_id: "A0REL",
    response_url: live.slack.responseUrl(responseId),
    trigger_id: `${Date.now()}.${randomBytes(8).toString("hex")}`,
  }).toString();
}

/** POST a slash command; `line` is `/name rest…`. Signed correctly unless `signature` says otherwise. */
export async function postSlash(live: LiveBot, body: string, timestamp: number | string = nowSec(), signature?: string): Promise<number> {
  const res = await fetch(live.slackUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(timestamp), "x-slack-signature": signature ?? slackSign(timestamp, body) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

export function splitLine(line: string): { command: string; text: string } {
  const i = line.indexOf(" ");
  return i === -1 ? { command: line, text: "" } : { command: line.slice(0, i), text: line.slice(i + 1) };
}

/** `secret: null` sends no secret header at all. */
export async function postTelegram(live: LiveBot, update: unknown, secret: string | null = TELEGRAM_SECRET): Promise<number> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret !== null) headers["x-telegram-bot-api-secret-token"] = secret;
  const res = await fetch(live.telegramUrl, { method: "POST", headers, body: JSON.stringify(update) });
  await res.arrayBuffer();
  return res.status;
}
