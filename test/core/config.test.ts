import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/temp-dir.js";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";
import { ConfigError } from "../../src/core/errors.js";

function problems(text: string): string[] {
  try {
    parseConfig(text, "test.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("loads the shipped default config", () => {
    const { config } = loadConfig("config/opsdeck.yaml");
    expect(config.hosts.local?.type).toBe("local");
    expect(config.previews?.default_ttl).toBe(3 * 86_400_000);
    expect(config.console.enabled).toBe(true);
  });

  it("loads the documented full example", () => {
    const { config } = loadConfig("config/example.full.yaml");
    expect(Object.keys(config.hosts).length).toBeGreaterThan(1);
  });

  it("names a missing key with an example value", () => {
    const p = problems("data_dir: data\n");
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^hosts: is missing/);
    expect(p[0]).toContain("example");
  });

  it("names a key of the wrong type with an example value", () => {
    const p = problems("hosts: { local: { type: local } }\nhttp: { port: eighty }\n");
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^http\.port: .*number/);
    expect(p[0]).toContain("8787");
  });

  it("reports an unknown host referenced by previews", () => {
    const p = problems(
      "hosts: { local: { type: local } }\npreviews: { host: nowhere, base_dir: /srv/p, domain: example.com, image: 'x:{ref}' }\n",
    );
    expect(p.join("\n")).toMatch(/previews\.host: names host "nowhere", which is not declared under hosts \(declared: local\)/);
  });

  it("a zero duration is refused where a wait must be positive and taken for previews.stop_timeout", () => {
    const base = "hosts: { local: { type: local } }\npreviews: { host: local, base_dir: /srv/p, domain: example.com, image: 'x'";
    expect(problems(`${base}, default_ttl: 0s }\n`).some((l) => /^previews\.default_ttl: must be a duration such as 30s/.test(l))).toBe(true);
    expect(parseConfig(`${base}, stop_timeout: 0s }\n`, "test.yaml").previews?.stop_timeout).toBe(0);
    expect(parseConfig(`${base}, stop_timeout: 5s }\n`, "test.yaml").previews?.stop_timeout).toBe(5000);
    for (const bad of ["-1s", "soon"]) expect(problems(`${base}, stop_timeout: ${bad} }\n`).some((l) => /^previews\.stop_timeout: must be a duration such as 0s, 2s or 30s/.test(l))).toBe(true);
  });

  it("reports a bad duration and an unknown key together, one line each", () => {
    const p = problems(
      "hosts: { local: { type: local } }\nprevews: {}\npreviews: { host: local, base_dir: /srv/p, domain: example.com, image: 'x', default_ttl: forever }\n",
    );
    expect(p).toHaveLength(2);
    expect(p.some((l) => /unknown key\(s\) "prevews"/.test(l))).toBe(true);
    expect(p.some((l) => /^previews\.default_ttl: must be a duration such as 30s/.test(l))).toBe(true);
    for (const l of p) expect(l).not.toContain("\n");
  });

  it("suggests the nearest known key for a misspelt one, at the top level and deeper", () => {
    const p = problems(
      [
        "hosts: { local: { type: local, comand_timeout: 2m }, far: { type: ssh, address: 10.0.0.5, user: deploy, key_path: /k, host_key_fingerprnt: x } }",
        "enviroments: {}",
        "previews: { host: local, base_dir: /srv/p, domain: example.com, image: 'x', stop_timout: 2s, entry: { servce: app, port: 80 } }",
        "zzzzzz: 1",
      ].join("\n"),
    );
    const text = p.join("\n");
    expect(text).toMatch(/^\(top level\): unknown key\(s\) "enviroments" \(did you mean environments\?\), "zzzzzz" —/m);
    expect(text).toContain('previews: unknown key(s) "stop_timout" (did you mean stop_timeout?)');
    expect(text).toContain('previews.entry: unknown key(s) "servce" (did you mean service?)');
    expect(text).toContain('hosts.local: unknown key(s) "comand_timeout" (did you mean command_timeout?)');
    expect(text).toContain('hosts.far: unknown key(s) "host_key_fingerprnt" (did you mean host_key_fingerprint?)');
    // Nothing close: no guess.
    expect(text).not.toMatch(/"zzzzzz" \(did you mean/);
  });

  it("reports broken YAML with its position", () => {
    const p = problems("hosts:\n  local: { type: local\n");
    expect(p[0]).toMatch(/line \d+, column \d+: not valid YAML/);
  });

  it("stops the bot with a one-line message per problem and no stack trace", async () => {
    const dir = tempDir("opsdeck-cfg-");
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "hosts: { local: { type: remote } }\n");
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", "check-config", "--config", file], { encoding: "utf8" });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/hosts\.local\.type/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
