// Faults under the running bot (one-shot CLI processes on one data dir): sshd killed and the docker
// socket cut during a preview deploy and during a deploy, the bot SIGKILLed mid-operation, and a
// truncated state file. Every state record that existed before a fault must exist after it.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../support/test-env.js";
import { dataFiles, readState, recordKeys, runOnce, startBot, until, writeConfig, type RigPaths, type RunningBot } from "./bot-rig.js";
import { dockerNames, dockerProxy, privateSshd, removeLabelled, type DockerProxy, type PrivateSshd } from "./fault-helpers.js";
import { makeRigPaths } from "./live-bot.js";
import { findLeaks } from "./planted-secret.js";
import { noteLeaks, noteLost, tally } from "./tally.js";

export function defineFaultCases(): void {
  describe("faults under the running bot (private sshd, docker socket proxy, SIGKILL, truncated state)", () => {
    let paths: RigPaths;
    let sshd: PrivateSshd;
    let proxy: DockerProxy;
    let configPath: string;
    const project = uniqueName("rel-fault");
    const slugs: string[] = [];
    const outputs: string[] = [];

    beforeAll(async () => {
      paths = makeRigPaths("rel-fault");
      sshd = await privateSshd(paths.dir);
      proxy = dockerProxy(paths.hostDir);
      await sshd.start();
      await proxy.start();
      // The same chat section as the running bot's config (so the planted signing secret is a
      // configured secret); one-shot processes never start the adapters, so the ports are never used.
      configPath = writeConfig(paths, { sshPort: sshd.port, dockerSocket: proxy.path, project, slackPort: 9, slackApiUrl: "http://127.0.0.1:9/api/", telegramPort: 9, telegramApiRoot: "http://127.0.0.1:9" });
      // Records to lose: a good deploy first.
      const first = await runOnce(configPath, "/deploy staging v1");
      outputs.push(first.stdout + first.stderr);
      expect(first.code, first.stdout + first.stderr).toBe(0);
    });

    afterAll(async () => {
      sshd?.kill();
      await proxy?.kill();
      for (const s of slugs) removeLabelled(`opsdeck.preview=${s}`);
      removeLabelled(`com.docker.compose.project=${project}`);
      const leaks = paths ? findLeaks({ "fault-run output": outputs.join("\n"), ...dataFiles(paths) }) : [];
      noteLeaks(leaks);
      if (paths) for (const d of [paths.dir, paths.hostDir]) rmSync(d, { recursive: true, force: true });
      expect(leaks).toEqual([]);
    });

    /** Start `text` as a one-shot process, wait for `ready`, inject the fault, and check nothing was lost. */
    async function during(text: string, ready: () => boolean, fault: (bot: RunningBot) => Promise<void> | void): Promise<{ code: number | null; out: string }> {
      const before = recordKeys(readState(paths));
      const bot = startBot(configPath, text);
      await until(`${text} to reach the point of the fault; output: ${bot.output()}`, () => {
        if (bot.child.exitCode !== null) throw new Error(`${text} ended before the fault: ${bot.output()}`);
        return ready();
      }, 60_000, 100);
      await fault(bot);
      tally.faults += 1;
      const timer = setTimeout(() => bot.child.kill("SIGKILL"), 60_000);
      const code = await bot.exited;
      clearTimeout(timer);
      outputs.push(bot.output());
      const after = new Set(recordKeys(readState(paths)));
      const lost = before.filter((k) => !after.has(k));
      noteLost(lost);
      expect(lost, `records lost by ${text}`).toEqual([]);
      return { code, out: bot.output() };
    }

    const previewUp = (slug: string) => (): boolean => dockerNames("ps", `opsdeck.preview=${slug}`).length > 0;
    const deployOf = (tag: string) => (): boolean => dockerNames("ps", `com.docker.compose.project=${project}`).length > 0 && readFileSync(join(paths.hostDir, "staging", ".env"), "utf8").includes(`IMAGE_TAG=${tag}`);
    const noneRunning = (): string[] => readState(paths).operations.filter((o) => o.status === "running").map((o) => `${o.kind} ${o.target}`);

    it("sshd killed during a preview deploy: the command fails with a next step, the bot recovers once sshd is back", async () => {
      const slug = "fault-sshd";
      slugs.push(slug);
      const r = await during(`/preview ${slug}`, previewUp(slug), () => sshd.kill());
      await sshd.start();
      expect(r.code, r.out).toBe(1);
      expect(r.out).not.toMatch(/unexpected error|bug in opsdeck/);
      expect(noneRunning()).toEqual([]);
      const list = await runOnce(configPath, "/preview list");
      outputs.push(list.stdout + list.stderr);
      expect(list.code, list.stdout + list.stderr).toBe(0);
    });

    it("sshd killed during a deploy: the deploy fails with a next step and its record is kept", async () => {
      const r = await during("/deploy staging v3", deployOf("v3"), () => sshd.kill());
      await sshd.start();
      expect(r.code, r.out).toBe(1);
      expect(r.out).not.toMatch(/unexpected error|bug in opsdeck/);
      expect(noneRunning()).toEqual([]);
    });

    it("docker socket cut during a preview deploy: the command fails with a next step, nothing left running in state", async () => {
      const slug = "fault-docker";
      slugs.push(slug);
      const r = await during(`/preview ${slug}`, previewUp(slug), () => proxy.kill());
      await proxy.start();
      expect(r.code, r.out).toBe(1);
      expect(r.out).not.toMatch(/unexpected error|bug in opsdeck/);
      expect(noneRunning()).toEqual([]);
    });

    it("docker socket cut during a deploy: the deploy fails with a next step", async () => {
      const r = await during("/deploy staging v2", deployOf("v2"), () => proxy.kill());
      await proxy.start();
      expect(r.code, r.out).toBe(1);
      expect(r.out).not.toMatch(/unexpected error|bug in opsdeck/);
      expect(noneRunning()).toEqual([]);
    });

    it("the bot SIGKILLed mid-preview: the restart marks the operation interrupted and loses nothing", async () => {
      const slug = "fault-sigkill";
      slugs.push(slug);
      await during(`/preview ${slug}`, previewUp(slug), (bot) => {
        bot.child.kill("SIGKILL");
      });
      const before = recordKeys(readState(paths));
      const list = await runOnce(configPath, "/preview list");
      outputs.push(list.stdout + list.stderr);
      expect(list.code, list.stdout + list.stderr).toBe(0);
      expect(list.stderr).toMatch(/interrupted/);
      const state = readState(paths);
      expect(state.operations.filter((o) => o.target === slug).map((o) => o.status)).toContain("interrupted");
      const after = new Set(recordKeys(state));
      const lost = before.filter((k) => !after.has(k));
      noteLost(lost);
      expect(lost).toEqual([]);
    });

    it("a truncated state file: start-up refuses with the restore hint and leaves the file untouched", async () => {
      const statePath = join(paths.dir, "data", "state.json");
      const whole = readFileSync(statePath);
      const cut = whole.subarray(0, Math.floor(whole.length / 2));
      writeFileSync(statePath, cut);
      tally.faults += 1;
      const r = await runOnce(configPath, "/preview list");
      outputs.push(r.stdout + r.stderr);
      expect(r.code, r.stderr).toBe(75);
      expect(r.stderr).toMatch(/corrupt or truncated/);
      expect(r.stderr).toContain("state.json.last-good");
      expect(readFileSync(statePath).equals(cut)).toBe(true);
      writeFileSync(statePath, whole); // the restore the hint describes
      const again = await runOnce(configPath, "/preview list");
      outputs.push(again.stdout + again.stderr);
      expect(again.code, again.stderr).toBe(0);
      const lost = recordKeys(JSON.parse(whole.toString("utf8")) as Parameters<typeof recordKeys>[0]).filter((k) => !recordKeys(readState(paths)).includes(k));
      noteLost(lost);
      expect(lost).toEqual([]);
    });
  });
}
