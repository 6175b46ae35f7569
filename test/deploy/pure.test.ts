import { describe, expect, it } from "vitest";
import { Environment, Environments, checkEnvironmentHosts } from "../../src/config/environments-config.js";
import { OpsError } from "../../src/core/errors.js";
import { buildPlan, renderPlan } from "../../src/ops/deploy/deploy-plan.js";
import { readEnvVar, setEnvVar } from "../../src/ops/deploy/node-steps.js";
import { validateRef } from "../../src/core/validate.js";

function refError(ref: string | undefined, pattern?: string): OpsError {
  try {
    validateRef(ref, pattern);
  } catch (err) {
    if (err instanceof OpsError) return err;
    throw err;
  }
  throw new Error(`"${ref}" was accepted`);
}

describe("validateRef", () => {
  it("accepts sha tags and semver tags", () => {
    for (const ok of ["sha-1a2b3c4", `sha-${"a".repeat(40)}`, "1.2.3", "v1.2.3", "v2.0.0-rc.1", "0.10.0-beta-2"]) expect(validateRef(ok)).toBe(ok);
  });

  it("refuses everything else with a message saying what a ref looks like", () => {
    for (const bad of ["latest; rm -rf /", "$(id)", "`id`", "sha-123456", `sha-${"a".repeat(41)}`, "sha-ABCDEF1", "v1", "1.2", "01.2.3", "-rf", "../x", "a b", "1.2.3+build", "x".repeat(200)]) {
      const err = refError(bad);
      expect(err.code).toBe("bad_input");
      expect(err.nextStep).toMatch(/sha-|tag matching/);
    }
    expect(refError("").message).toBe("no ref given");
    expect(refError(undefined).message).toBe("no ref given");
    expect(refError("x".repeat(200)).message).toMatch(/200 characters/);
  });

  it("uses the environment's pattern, but never beyond a valid image tag", () => {
    expect(validateRef("v3", "^v[0-9]+$")).toBe("v3");
    expect(refError("1.2.3", "^v[0-9]+$").nextStep).toMatch(/\^v\[0-9\]\+\$/);
    // A careless pattern still cannot let shell text through.
    expect(refError("a;b", "^.*$").code).toBe("bad_input");
    expect(refError("$(id)", "^.*$").code).toBe("bad_input");
  });

  it("escapes the echoed ref", () => {
    expect(refError("@everyone").message).toContain("\\@everyone");
  });
});

describe(".env editing", () => {
  const content = "# app settings\nDB_PASSWORD=s3cret-canary\n\nIMAGE_TAG=v1\nOTHER='x y'\n";

  it("reads the tag, last assignment wins, quotes removed", () => {
    expect(readEnvVar(content, "IMAGE_TAG")).toBe("v1");
    expect(readEnvVar("IMAGE_TAG=v1\nIMAGE_TAG=\"v2\"\n", "IMAGE_TAG")).toBe("v2");
    expect(readEnvVar(content, "MISSING")).toBeNull();
    expect(readEnvVar(null, "IMAGE_TAG")).toBeNull();
    expect(readEnvVar("IMAGE_TAG_OLD=v9\n", "IMAGE_TAG")).toBeNull();
  });

  it("changes only the tag line and keeps every other line", () => {
    expect(setEnvVar(content, "IMAGE_TAG", "v2")).toBe("# app settings\nDB_PASSWORD=s3cret-canary\n\nIMAGE_TAG=v2\nOTHER='x y'\n");
    expect(setEnvVar("A=1", "IMAGE_TAG", "v2")).toBe("A=1\nIMAGE_TAG=v2\n");
    expect(setEnvVar(null, "IMAGE_TAG", "v2")).toBe("IMAGE_TAG=v2\n");
    expect(setEnvVar("IMAGE_TAG=v1\nB=2\nIMAGE_TAG=v0\n", "IMAGE_TAG", "v3")).toBe("IMAGE_TAG=v3\nB=2\n");
    expect(() => setEnvVar("", "IMAGE_TAG", "v1\nEVIL=1")).toThrow();
  });
});

describe("environments config", () => {
  const base = { host: "web1", compose_dir: "/srv/app", project: "app-prod" };

  it("fills defaults: IMAGE_TAG, 30 min expiry, nobody approves", () => {
    const env = Environment.parse(base);
    expect(env.tag_variable).toBe("IMAGE_TAG");
    expect(env.approval).toEqual({ approvers: [], required: 1, expiry: 30 * 60_000, emergency_rollback_roles: [] });
    expect(env.protected).toBe(false);
    expect(env.compose_file).toBe("docker-compose.yml");
  });

  it("validates the migration command as an argv array", () => {
    expect(Environment.parse({ ...base, migration_command: ["docker-compose", "run", "--rm", "app", "migrate"] }).migration_command).toHaveLength(5);
    expect(Environment.safeParse({ ...base, migration_command: "docker-compose run app migrate" }).success).toBe(false);
    expect(Environment.safeParse({ ...base, migration_command: [] }).success).toBe(false);
    expect(Environment.safeParse({ ...base, migration_command: ["rm -rf /; x", "a"] }).success).toBe(false);
    expect(Environment.safeParse({ ...base, migration_command: ["migrate", "a\nb"] }).success).toBe(false);
  });

  it("refuses unanchored or broken ref patterns, relative dirs, reserved names and unknown hosts", () => {
    expect(Environment.safeParse({ ...base, ref_pattern: "v[0-9]+" }).success).toBe(false);
    expect(Environment.safeParse({ ...base, ref_pattern: "^v([0-9]+$" }).success).toBe(false);
    expect(Environment.safeParse({ ...base, compose_dir: "srv/app" }).success).toBe(false);
    expect(Environment.safeParse({ ...base, compose_dir: "/srv/../etc" }).success).toBe(false);
    expect(Environments.safeParse({ history: base }).success).toBe(false);
    const envs = Environments.parse({ prod: { ...base, host: "nowhere" } });
    expect(checkEnvironmentHosts(envs, ["web1"])).toEqual([{ path: ["environments", "prod", "host"], message: expect.stringContaining("declared: web1") }]);
  });
});

describe("deploy plan", () => {
  it("lists host, commands, current → new tag and whether migrations run", () => {
    const env = Environment.parse({
      host: "web1",
      compose_dir: "/srv/app",
      project: "app-prod",
      migration_command: ["docker-compose", "run", "--rm", "app", "migrate"],
      health_urls: ["https://app.example.com/healthz"],
      smoke_checks: [{ url: "https://app.example.com/", expect_status: 200 }],
      pull: "never",
    });
    const plan = buildPlan({ envName: "prod", env, kind: "deploy", currentTag: "v1.0.0", newTag: "v1.1.0", composeBinary: ["docker-compose"], backup: false });
    const text = renderPlan(plan).join("\n");
    expect(text).toContain("host web1, compose project app-prod in /srv/app");
    expect(text).toContain("IMAGE_TAG: v1.0.0 → v1.1.0");
    expect(text).toContain("migrations: docker-compose -p app-prod -f docker-compose.yml run --rm app migrate");
    expect(text).toContain("up: docker-compose -p app-prod -f docker-compose.yml up -d --remove-orphans");
    expect(text).toContain("pull: skipped");
    expect(text).toContain("GET https://app.example.com/ → 200");
    expect(text).toContain("roll back to v1.0.0");
    const rollback = buildPlan({ envName: "prod", env, kind: "rollback", currentTag: "v1.1.0", newTag: "v1.0.0", composeBinary: ["docker", "compose"], backup: false });
    expect(rollback.migration).toBeNull();
  });
});
