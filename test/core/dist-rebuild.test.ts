import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { startFakeCloudflare } from "../fakes/fake-cloudflare-api.js";
import { scratchCheckout } from "../support/scratch-checkout.js";

// A bot started by bin/opsdeck.mjs keeps running while dist/ is rebuilt (`npm run build`, or a second
// `npm start` after an edit). Its lazy chunks carry content hashes, so it must go on importing them
// from the build it started from. Driven in a scratch checkout with a copy of src/ (the test edits
// it) and links to this checkout's node_modules and templates, so the real dist/ is never touched.
const scratch = scratchCheckout("opsdeck-rebuild", { copySrc: true, link: ["templates"] });
const dataDir = join(scratch, "data");

/** Every file name under dist/ (any depth) that is the Cloudflare wrapper's lazy chunk. */
function cloudflareChunks(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/^cloudflare-dns-[A-Z0-9]+\.js$/.test(e.name)) found.push(e.name);
    }
  };
  walk(join(scratch, "dist"));
  return found;
}

describe("a running bundled bot across a rebuild of dist/", () => {
  it("loads a lazy chunk it had not loaded yet from its own build after dist/ was rebuilt", async () => {
    const token = "cf-test-token-rebuild";
    const fake = await startFakeCloudflare({ token, zones: [{ id: "zone-1", name: "example.test" }] });
    fake.addRecord({ zone_id: "zone-1", type: "A", name: "gone.example.test", content: "127.0.0.1", ttl: 1, proxied: false });
    const config = join(scratch, "opsdeck.yaml");
    writeFileSync(config, [
      `data_dir: ${dataDir}`,
      "http: { enabled: false }",
      "console: { enabled: true, user: local }",
      "hosts: { local: { type: local } }",
      `previews: { host: local, base_dir: ${join(dataDir, "previews")}, domain: example.test, template: templates/preview/docker-compose.yml, image: "nginx:{ref}", default_ref: 1.27-alpine, entry: { service: app, port: 80 } }`,
      `dns: { provider: cloudflare, api_token_env: OPSDECK_TEST_CF_TOKEN, zone: example.test, api_url: "${fake.baseURL}" }`,
      // Never on its own during the test, and never an image prune on the shared dockerd.
      'jobs: { ttl_cleanup: { cron: "0 0 1 1 *", prune_disk_threshold_percent: 100 }, health_alerts: { enabled: false } }',
      'access: { roles: { admin: ["console:local"] } }',
      "",
    ].join("\n"));
    const env = { ...process.env, OPSDECK_TEST_CF_TOKEN: token };
    // First start builds dist/ and writes the state file.
    const first = spawnSync(process.execPath, [join(scratch, "bin", "opsdeck.mjs"), "run", "/help", "--config", config], { cwd: scratch, env, encoding: "utf8", timeout: 120_000 });
    expect(first.stderr).toContain("building dist/");
    expect(first.status).toBe(0);
    // A DNS deletion that failed earlier: the ttl-cleanup sweep retries it through the Cloudflare
    // wrapper, a chunk the bot imports only on its first DNS call.
    const statePath = join(dataDir, "state.json");
    const state = JSON.parse(readFileSync(statePath, "utf8")) as { pendingDnsDeletions: unknown[] };
    const when = new Date().toISOString();
    state.pendingDnsDeletions = [{ name: "gone.example.test", owner: "preview gone", firstFailedAt: when, lastTriedAt: when, attempts: 1, lastError: "Cloudflare answered 500" }];
    writeFileSync(statePath, JSON.stringify(state, null, 2));

    const child = spawn(process.execPath, [join(scratch, "bin", "opsdeck.mjs"), "--config", config], { cwd: scratch, env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise((done) => child.once("exit", done));
    try {
      const until = async (text: string | RegExp): Promise<void> => {
        const seen = (): boolean => (typeof text === "string" ? out.includes(text) : text.test(out));
        for (let t = 0; !seen() && t < 600; t++) await sleep(100);
        expect(seen(), out).toBe(true);
      };
      await until("opsdeck>");
      const before = cloudflareChunks();
      expect(before).toHaveLength(1);
      // An edit to the wrapper, then `npm run build` while the bot runs: the chunk gets a new hash.
      const wrapper = join(scratch, "src", "ops", "adapters", "cloudflare-dns.ts");
      writeFileSync(wrapper, `${readFileSync(wrapper, "utf8")}\nexport const rebuiltAt = ${JSON.stringify(when)};\n`);
      const build = spawnSync(process.execPath, [join(scratch, "bin", "build-dist.mjs")], { cwd: scratch, encoding: "utf8", timeout: 120_000 });
      expect(build.status, build.stderr).toBe(0);
      expect(cloudflareChunks().filter((c) => !before.includes(c))).toHaveLength(1);

      child.stdin.write("/jobs run ttl-cleanup\n");
      await until(/job ttl-cleanup (succeeded|failed)/);
      expect(out).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module/);
      expect(out).toContain("job ttl-cleanup succeeded");
      // The old build's wrapper really ran: the record is gone and nothing is pending any more.
      expect(fake.records().map((r) => r.name)).not.toContain("gone.example.test");
      fake.assertNoProblems();
    } finally {
      child.stdin.end("/quit\n");
      await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
      await fake.close();
    }
    expect((JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as { pendingDnsDeletions: unknown[] }).pendingDnsDeletions).toEqual([]);
  }, 240_000);
});
