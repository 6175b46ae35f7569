// The newcomer's path, driven for real: `/deploy prod v2` by alice on a protected env, the approval
// request, bob approves, the deploy runs (real sshd + dockerd, the production wiring through the
// deploy test harness). Not a test of the suite: bench/newcomer-path.ts copies this file into the
// tree it measures as test/newcomer-path-driver.test.ts (imports of ../test/ become ./, so they resolve
// in that tree), runs it with vitest and removes it again.
//
// V8 precise coverage (call counts) is started before the app is built and reset once it is up, so
// only functions that ran during the scenario are counted. Written to $NEWCOMER_PATH_OUT as
// `{ files: { "<src path>": ["fn", …] } }`. NEWCOMER_PATH_DEBUG=1 shows the start of each anonymous function.
import { rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import type { Actor, Reply } from "../src/core/command.js";
import { composeFile, connectTestHost, createDeployWorld, testEnv } from "../test/deploy/deploy-harness.js";
import { uniqueName } from "../test/support/test-env.js";
import { freePort } from "../test/support/test-user.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const alice: Actor = { platform: "discord", id: "1001", name: "alice" };
const bob: Actor = { platform: "discord", id: "1002", name: "bob" };
const name = uniqueName("newcomer-path");
const dir = `${testEnv.previewsDir}/${name}`;
const host = connectTestHost();

afterAll(async () => {
  await host.compose.down({ name, dir }, { volumes: true }).catch(() => undefined);
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Functions the module runner adds around our code: the module wrapper and `export` getters. */
function synthetic(source: string, start: number): boolean {
  const head = source.slice(start, start + 80);
  return /^(async\s*)?\(\s*__vite_ssr_|^(async\s*)?\(\s*__vi_/.test(head) || /^(get\s*\(\s*\)|\(\)\s*=>)\s*\{\s*(try\s*\{\s*)?return\s+[\w$.]+\s*;?\s*\}(\s*catch\s*\{\s*\}\s*\})?/.test(head) || /^__name\b|^__defProp\b/.test(head);
}

it("follows /deploy prod v2 through approval", async () => {
  const session = new Session();
  session.connect();
  await session.post("Debugger.enable");
  await session.post("Profiler.enable");
  await session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });

  const port = await freePort();
  await host.shell.writeFile(`${dir}/docker-compose.yml`, composeFile(port, true));
  await host.shell.writeFile(`${dir}/.env`, "IMAGE_TAG=v1\n", 0o600);
  const world = await createDeployWorld({
    host,
    clock: () => new Date(),
    access: {
      roles: { deployer: ["discord:1001"], approver: ["discord:1002"], admin: ["console:local"] },
      rules: { deploy: ["deployer"], rollback: ["deployer"] },
    },
    environments: {
      prod: {
        host: "test",
        compose_dir: dir,
        project: name,
        pull: "never",
        lock_dir: dir,
        ref_pattern: "^v[0-9]+$",
        health_timeout: "40s",
        health_urls: [`http://127.0.0.1:${port}/`],
        migration_command: ["docker-compose", "run", "--rm", "app", "sh", "-c", "cat /www/index.html >> /data/migrations.log; echo >> /data/migrations.log"],
        protected: true,
        approval: { approvers: ["approver"], expiry: "30m" },
      },
    },
  });
  await session.post("Profiler.takePreciseCoverage"); // resets the counters: start-up is not the path

  const asked = await world.send("/deploy prod v2", alice);
  expect(asked.final.title).toBe("approval needed: deploy v2 to prod");
  const approve = asked.final.buttons?.find((b: NonNullable<Reply["buttons"]>[number]) => b.label === "Approve");
  if (!approve) throw new Error("no Approve button");
  const done = await world.send(approve.command, bob);
  expect(done.final.title).toBe("deployed v2 to prod");

  const { result } = await session.post("Profiler.takePreciseCoverage");
  await session.post("Profiler.stopPreciseCoverage");
  const files: Record<string, string[]> = {};
  for (const script of result) {
    if (!script.url.includes("/src/")) continue;
    const path = relative(root, script.url.startsWith("file:") ? fileURLToPath(script.url) : script.url);
    if (!path.startsWith("src/")) continue;
    let source = "";
    try {
      source = (await session.post("Debugger.getScriptSource", { scriptId: script.scriptId })).scriptSource;
    } catch {
      // a script V8 already dropped: judge by names only
    }
    const ran = script.functions.filter((f) => {
      const r = f.ranges[0];
      if (!r || r.count === 0 || r.startOffset === 0) return false; // not run, or the module's top level
      return !synthetic(source, r.startOffset);
    });
    if (ran.length > 0) files[path] = [...new Set([...(files[path] ?? []), ...ran.map((f) => f.functionName || (process.env.NEWCOMER_PATH_DEBUG ? `(anonymous: ${source.slice(f.ranges[0]?.startOffset ?? 0, (f.ranges[0]?.startOffset ?? 0) + 60)})` : "(anonymous)"))])];
  }
  session.disconnect(); // the harness closes the app when the file ends
  writeFileSync(process.env.NEWCOMER_PATH_OUT ?? "/dev/stdout", JSON.stringify({ files }, null, 1));
});
