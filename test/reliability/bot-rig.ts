// The running bot for the reliability suite: a config file in a temp dir, the real CLI as a child
// process (long-lived with Slack HTTP + Telegram webhook against the loopback fakes, or one-shot
// `run "<text>"`), and readers for everything it wrote (state, audit, log).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadTestEnv, repoRoot } from "../support/test-env.js";
import { PLANTED } from "./planted-secret.js";

export const env = loadTestEnv();
export const SLACK_TEAM = "TREL";
export const SLACK_BOT_TOKEN = "xoxb-1-2-reliabilitybottoken0123456789";
export const TELEGRAM_TOKEN = "123456:reliability-telegram-token_0123456789";
export const TELEGRAM_SECRET = "tg-webhook-secret_0123456789abcdef";
export const TELEGRAM_ADMIN = 4242;

export interface RigPaths {
  /** Root-owned dir with the config, data and logs. */
  dir: string;
  /** Dir owned by the SSH test user: preview base dir, env compose dir, canary, leaky file. */
  hostDir: string;
}

export interface ConfigOptions {
  sshPort: number;
  dockerSocket?: string;
  template?: string;
  slackPort?: number;
  slackApiUrl?: string;
  telegramPort?: number;
  telegramApiRoot?: string;
  project: string;
}

export function writeConfig(p: RigPaths, o: ConfigOptions): string {
  const chat =
    o.slackPort !== undefined
      ? `chat:
  slack: { enabled: true, mode: http, host: 127.0.0.1, port: ${o.slackPort}, path: /slack/events, api_url: "${o.slackApiUrl}" }
  telegram: { enabled: true, mode: webhook, api_root: "${o.telegramApiRoot}", webhook: { path: /tg, host: 127.0.0.1, port: ${o.telegramPort}, secret_token_env: TG_SECRET } }
`
      : "";
  const yaml = `data_dir: ${p.dir}/data
log_level: info
commands_per_minute: 0
http: { enabled: false }
hosts:
  preview1:
    type: ssh
    address: 127.0.0.1
    port: ${o.sshPort}
    user: ${env.sshUser}
    key_path: ${env.sshKeyPath}
    command_timeout: 20s
    docker_socket: ${o.dockerSocket ?? env.dockerSocket}
previews:
  host: preview1
  base_dir: ${p.hostDir}/previews
  domain: preview.test
  url: "http://{hostname}:8080"
  template: ${repoRoot}test/fixtures/preview-templates/${o.template ?? "slow-health.yml"}
  image: "${env.images.busybox}"
  quota: 50
  min_free_disk_mb: 0
  min_free_memory_mb: 0
  health_timeout: 40s
dns: { provider: none }
environments:
  staging: { host: preview1, compose_dir: ${p.hostDir}/staging, project: ${o.project}, pull: never, health_timeout: 25s, lock_dir: ${p.hostDir}, ref_pattern: "^v[0-9]+$" }
runbooks:
  leaky:
    description: prints the planted secret in four forms, then fails
    steps:
      - { name: print, host: preview1, command: [sh, -c, "cat ${p.hostDir}/leaky.txt; exit 3"] }
access:
  roles:
    admin: ["console:local", "slack:${SLACK_TEAM}/UADMIN", "telegram:${TELEGRAM_ADMIN}"]
${chat}`;
  const path = join(p.dir, "opsdeck.yaml");
  writeFileSync(path, yaml);
  return path;
}

export const botEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  SLACK_BOT_TOKEN,
  SLACK_SIGNING_SECRET: PLANTED,
  TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
  TG_SECRET: TELEGRAM_SECRET,
});

export interface OneShot {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `opsdeck run "<text>" --config <file>`; asynchronous, so the docker proxy in this process keeps serving. */
export async function runOnce(configPath: string, text: string): Promise<OneShot> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "run", text, "--config", configPath], { cwd: repoRoot, env: botEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface RunningBot {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Start a process (`run "<text>"` or the long-lived bot) and keep its output. */
export function startBot(configPath: string, text?: string): RunningBot {
  const argv = text === undefined ? ["--config", configPath] : ["run", text, "--config", configPath];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...argv], { cwd: repoRoot, env: botEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

export async function stopBot(bot: RunningBot | undefined): Promise<void> {
  if (!bot || bot.child.exitCode !== null || bot.child.signalCode !== null) return;
  bot.child.kill("SIGTERM");
  const timer = setTimeout(() => bot.child.kill("SIGKILL"), 10_000);
  await bot.exited;
  clearTimeout(timer);
}

/** Poll until `probe` is truthy (or throw naming `what`). */
export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export type StateJson = { previews: Array<{ slug: string; status: string }>; operations: Array<{ id: string; kind: string; target: string; status: string }>; deliveries: Array<{ key: string }>; deployments?: Array<{ env: string; tag?: string }> } & Record<string, unknown>;

export function readState(p: RigPaths): StateJson {
  return JSON.parse(readFileSync(join(p.dir, "data", "state.json"), "utf8")) as StateJson;
}

/** Every file the bot wrote in its data dir (state, last-good, audit and rotations), by name. */
export function dataFiles(p: RigPaths): Record<string, string> {
  const dir = join(p.dir, "data");
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    try {
      out[`data/${f}`] = readFileSync(join(dir, f), "utf8");
    } catch {
      // a directory or a lock: nothing to read
    }
  }
  return out;
}

export function auditLines(p: RigPaths): Array<{ command: string; args: string[]; decision: string; result: string }> {
  const path = join(p.dir, "data", "audit.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { command: string; args: string[]; decision: string; result: string });
}

/** Record keys that must survive a fault: previews by slug, operations by id, deployments by index. */
export function recordKeys(s: StateJson): string[] {
  return [...s.previews.map((r) => `preview ${r.slug}`), ...s.operations.map((o) => `operation ${o.id}`), ...(s.deployments ?? []).map((d, i) => `deployment ${i} ${d.env} ${d.tag ?? ""}`)];
}
