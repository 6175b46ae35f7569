// Narrow adapters only (issue 10, item 8): every Docker call goes through DockerClient (dockerode),
// every compose call through a named ComposeClient method. A `docker …` / `docker-compose …` argv
// outside src/ops/adapters, or a catch-all `run(args)` on ComposeClient, fails here.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { repoRoot } from "../support/test-env.js";

const src = join(repoRoot, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : e.name.endsWith(".ts") ? [path] : [];
  });
}

/** The code without comments (a JSDoc example of a compose argv is not a call). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** An array literal whose first element is the string `docker` or `docker-compose`. */
const DOCKER_ARGV = /\[\s*(["'`])docker(-compose)?\1/g;

/** `file:line: text` for every docker argv in `text`. */
function dockerArgvIn(file: string, text: string): string[] {
  const stripped = code(text);
  return [...stripped.matchAll(DOCKER_ARGV)].map((m) => {
    const line = stripped.slice(0, m.index).split("\n").length;
    return `${file}:${line}: ${(stripped.split("\n")[line - 1] ?? "").trim().slice(0, 120)}`;
  });
}

describe("narrow adapters", () => {
  it("no file outside src/ops/adapters builds a docker or docker-compose argv", () => {
    const offenders = sourceFiles(src)
      .map((f) => relative(src, f))
      .filter((f) => !f.startsWith("ops/adapters/"))
      .flatMap((f) => dockerArgvIn(f, readFileSync(join(src, f), "utf8")));
    expect(offenders, "call DockerClient (src/ops/adapters/docker-client.ts) or a named ComposeClient method instead").toEqual([]);
  });

  it("the check sees an argv (and not a comment)", () => {
    expect(dockerArgvIn("x.ts", 'await host.exec(["docker", "network", "rm", name]);')).toEqual(['x.ts:1: await host.exec(["docker", "network", "rm", name]);']);
    expect(dockerArgvIn("x.ts", "const V1 = ['docker-compose'];")).toHaveLength(1);
    expect(dockerArgvIn("x.ts", '// host.exec(["docker", "pull"])\n/** ["docker-compose", "run"] */\nconst url = "http://x"; // ["docker"]')).toEqual([]);
    expect(dockerArgvIn("x.ts", 'labels["com.docker.compose.project"]')).toEqual([]);
  });

  it("ComposeClient has no catch-all run: not in the interface, not on the client", () => {
    const source = code(readFileSync(join(src, "ops/adapters/compose-client.ts"), "utf8"));
    const body = /export interface ComposeClient\s*\{([\s\S]*?)\n\}/.exec(source)?.[1];
    expect(body, "export interface ComposeClient { … } in compose-client.ts").toBeDefined();
    expect(body).not.toMatch(/^\s*(readonly\s+)?run\s*[(<:?]/m);
    const client = createComposeClient(createLocalHostShell({ name: "local", commandTimeoutMs: 1_000 }));
    expect(Object.keys(client)).not.toContain("run");
    expect(Object.keys(client).sort()).toEqual(["binary", "down", "host", "logs", "oneOff", "ps", "pull", "services", "start", "stop", "up", "validate"]);
  });
});
