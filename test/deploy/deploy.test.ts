import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Access } from "../../src/config/schema.js";
import type { Actor } from "../../src/core/command.js";
import { historyOf } from "../../src/ops/deploy/history.js";
import { uniqueName } from "../support/test-env.js";
import { composeFile, connectTestHost, createDeployWorld, docker, replyText, testEnv, type DeployWorld, type HostAdapters } from "./deploy-harness.js";
import { freePort } from "../support/test-user.js";

const alice: Actor = { platform: "slack", id: "T1/UALICE", name: "alice" };
const viewer: Actor = { platform: "slack", id: "T1/UVIEW", name: "vic" };
const root: Actor = { platform: "console", id: "local", name: "root" };
const access: Access = {
  roles: { deployer: ["slack:T1/UALICE"], viewer: ["slack:T1/UVIEW"], admin: ["console:local"] },
  rules: { deploy: ["deployer"], rollback: ["deployer"] },
};
const CANARY = `canary-${Math.random().toString(36).slice(2)}-Zq9`;

describe("deploy and rollback on a non-protected environment (real sshd + dockerd)", () => {
  const name = uniqueName("deploy-staging");
  const dir = `${testEnv.previewsDir}/${name}`;
  let host: HostAdapters;
  let world: DeployWorld;
  let port: number;

  const body = async (): Promise<string> => (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
  const containers = async (): Promise<Array<{ id: string; image: string; health: string }>> => {
    const ids = (await docker("ps", "-q", "--no-trunc", "--filter", `label=com.docker.compose.project=${name}`)).split("\n").filter(Boolean);
    return Promise.all(
      ids.map(async (id) => {
        const [image, health] = (await docker("inspect", "-f", "{{.Config.Image}} {{.State.Health.Status}}", id)).split(" ");
        return { id, image: image ?? "", health: health ?? "" };
      }),
    );
  };
  const envFile = async (): Promise<string | null> => host.shell.readFile(`${dir}/.env`);
  const operations = (): number => world.store.read().operations.filter((o) => o.target === "staging").length;

  beforeAll(async () => {
    host = connectTestHost();
    port = await freePort();
    await host.shell.writeFile(`${dir}/docker-compose.yml`, composeFile(port));
    await host.shell.writeFile(`${dir}/.env`, `# staging settings\nDB_PASSWORD=${CANARY}\n`, 0o600);
    world = await createDeployWorld({
      host,
      access,
      clock: () => new Date(),
      environments: {
        staging: {
          host: "test",
          compose_dir: dir,
          project: name,
          pull: "never",
          lock_dir: dir,
          ref_pattern: "^v[0-9]+$",
          health_timeout: "40s",
          health_urls: [`http://127.0.0.1:${port}/`],
          smoke_checks: [{ url: `http://127.0.0.1:${port}/index.html`, expect_status: 200 }],
        },
        // The same project with a smoke check that fails on every version.
        "staging-smoke": {
          host: "test",
          compose_dir: dir,
          project: name,
          pull: "never",
          lock_dir: dir,
          ref_pattern: "^v[0-9]+$",
          health_timeout: "40s",
          smoke_checks: [{ url: `http://127.0.0.1:${port}/missing`, expect_status: 200 }],
        },
      },
    });
  });

  afterAll(async () => {
    await host.compose.down({ name, dir }, { volumes: true }).catch(() => undefined);
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deploys v1 then v2: containers run v2, history lists both", async () => {
    const first = await world.send("/deploy staging v1", alice);
    expect(first.final.status).toBe("success");
    expect(await body()).toBe("version v1");

    const second = await world.send("/deploy staging v2", alice);
    expect(second.final.status, replyText(second.final)).toBe("success");
    expect(second.final.title).toBe("deployed v2 to staging");
    // Progress was posted step by step before the final reply.
    const steps = second.messages.filter((m) => m.status === "progress").map((m) => m.lines?.[0] ?? "");
    expect(steps).toEqual(expect.arrayContaining([expect.stringMatching(/^locking/), expect.stringMatching(/^writing IMAGE_TAG=v2 \(was v1\)/), expect.stringMatching(/healthy/)]));
    expect(await body()).toBe("version v2");
    const running = await containers();
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ image: "opsdeck-test/app:v2", health: "healthy" });
    // Other .env lines are kept.
    expect(await envFile()).toBe(`# staging settings\nDB_PASSWORD=${CANARY}\nIMAGE_TAG=v2\n`);
    expect(historyOf(world.store.read(), "staging").map((d) => [d.tag, d.result])).toEqual([
      ["v2", "succeeded"],
      ["v1", "succeeded"],
    ]);
  });

  it("one deploy per environment: in process, and against a flock held on the host", async () => {
    const [a, b] = await Promise.all([world.send("/deploy staging v2", alice), world.send("/deploy staging v2", alice)]);
    const titles = [a.final.title, b.final.title].sort();
    expect(titles).toEqual(["deployed v2 to staging", expect.stringMatching(/^staging is busy: deploy of v2 by alice has been running since /)]);

    // A person (or a second bot) holds the lock on the host.
    const lockFile = `${dir}/opsdeck-env-staging.lock`;
    const holder = host.shell.exec(["flock", lockFile, "sleep", "3"], { allowFailure: true });
    for (let i = 0; i < 50; i++) {
      const probe = await host.shell.exec(["flock", "-n", lockFile, "true"], { allowFailure: true });
      if (probe.code !== 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const busy = await world.send("/deploy staging v1", alice);
    expect(busy.final.status).toBe("failure");
    expect(busy.final.title).toBe(`another deploy holds the lock ${lockFile} on test`);
    await holder;
    expect((await containers())[0]?.image).toBe("opsdeck-test/app:v2");
    // Our own lock was released after each deploy.
    expect((await host.shell.exec(["flock", "-n", lockFile, "true"], { allowFailure: true })).code).toBe(0);
  });

  it("--dry-run prints the plan and changes nothing on the host", async () => {
    const before = { ids: (await containers()).map((c) => c.id), env: await envFile(), ops: operations() };
    const { final } = await world.send("/deploy staging v3 --dry-run", alice);
    expect(final.status).toBe("info");
    expect(final.title).toContain("dry run");
    expect(final.code).toContain("IMAGE_TAG: v2 → v3");
    expect(final.code).toContain(`docker-compose -p ${name} -f docker-compose.yml up -d --remove-orphans`);
    expect(final.code).toContain("roll back to v2");
    expect(final.code).toContain("migrations: none");
    expect(final.code).toContain(`lock: flock -n ${dir}/opsdeck-env-staging.lock`);
    expect({ ids: (await containers()).map((c) => c.id), env: await envFile(), ops: operations() }).toEqual(before);
  });

  it("a tag that never turns healthy rolls back to v2 automatically", async () => {
    const { final, messages } = await world.send("/deploy staging v3", alice);
    expect(final.status).toBe("failure");
    expect(final.title).toMatch(/^deploy of v3 to staging failed at health: container .* turned unhealthy; rolled back automatically to v2, which is healthy$/);
    expect(messages.some((m) => /rolling back to v2/.test(m.lines?.join(" ") ?? ""))).toBe(true);
    // The log tail is attached, with the password the app printed redacted.
    expect(final.code).toContain("db password is [REDACTED]");
    const running = await containers();
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ image: "opsdeck-test/app:v2", health: "healthy" });
    // …while the real log really has it (so the assertion above can fail).
    expect(await docker("logs", running[0]?.id ?? "")).toContain(`db password is ${CANARY}`);
    expect(await body()).toBe("version v2");
    const [latest] = historyOf(world.store.read(), "staging", 1);
    expect(latest).toMatchObject({ tag: "v3", result: "failed", rolledBack: true, rollbackHealthy: true, previousTag: "v2" });
    // The operation journal has no deploy left running.
    expect(world.store.read().operations.filter((o) => o.status === "running")).toEqual([]);

    const hist = await world.send("/deploy history staging", viewer);
    expect(hist.final.code?.split("\n").map((l) => l.split(/\s{2,}/).slice(1, 3).join(" "))).toEqual(["v3 failed (rolled back to v2)", "v2 succeeded", "v2 succeeded", "v1 succeeded"]);
  });

  it("/rollback goes to v1 (the last good tag before v2); --to v2 from history works", async () => {
    const back = await world.send("/rollback staging", alice);
    expect(back.final.status, replyText(back.final)).toBe("success");
    expect(back.final.title).toBe("rolled back staging to v1");
    expect(await body()).toBe("version v1");

    const to = await world.send("/rollback staging --to v2", alice);
    expect(to.final.title).toBe("rolled back staging to v2");
    expect((await containers())[0]?.image).toBe("opsdeck-test/app:v2");
  });

  it("a failed smoke check rolls back too", async () => {
    const { final } = await world.send("/deploy staging-smoke v1", alice);
    expect(final.status).toBe("failure");
    expect(final.title).toBe(`deploy of v1 to staging-smoke failed at smoke checks: smoke check GET http://127.0.0.1:${port}/missing answered 404, expected 200; rolled back automatically to v2, which is healthy`);
    expect(await body()).toBe("version v2");
  });

  it("refuses rollback targets that were never deployed successfully", async () => {
    const before = operations();
    for (const tag of ["v3", "v9"]) {
      const { final } = await world.send(`/rollback staging --to ${tag}`, alice);
      expect(final.status).toBe("failure");
      expect(final.title).toContain(`${tag} was never deployed successfully to staging`);
      expect(final.nextStep).toContain("v2, v1");
    }
    expect((await world.send("/rollback staging --to v2", alice)).final.title).toBe("staging already runs v2");
    expect(operations()).toBe(before);
  });

  it("bad refs and unknown environments are refused before anything runs", async () => {
    const before = { ops: operations(), env: await envFile() };
    const cases: Array<[string, RegExp]> = [
      ["/deploy staging $(id)", /is not a valid ref/],
      ["/deploy staging latest;rm", /is not a valid ref/],
      ["/deploy staging latest; rm -rf /", /unknown option "-rf"/],
      ["/deploy staging latest; rm", /usage: \/deploy/],
      [`/deploy staging v${"1".repeat(199)}`, /200 characters/],
      ["/deploy staging", /no ref given/],
      ["/deploy staging --force v1", /unknown option/],
    ];
    for (const [text, expected] of cases) {
      const { final } = await world.send(text, alice);
      expect(final.status, text).toBe("failure");
      expect(final.title, text).toMatch(expected);
      expect(final.nextStep, text).toBeTruthy();
    }
    const unknown = await world.send("/deploy prod v1", alice);
    expect(unknown.final.title).toBe('unknown environment "prod"');
    expect(unknown.final.nextStep).toBe("Use one of: staging, staging-smoke.");
    expect({ ops: operations(), env: await envFile() }).toEqual(before);
  });

  it("denials are audited with the missing role; /audit is for admins", async () => {
    const denied = await world.send("/deploy staging v1", viewer);
    expect(denied.final.title).toBe('not allowed: "deploy" needs one of the roles: deployer');
    const lines = world.auditText().trim().split("\n").map((l) => JSON.parse(l) as { actor: string; decision: string; detail?: string });
    expect(lines.some((l) => l.actor === "slack:T1/UVIEW" && l.decision === "denied" && /needs one of the roles: deployer/.test(l.detail ?? ""))).toBe(true);

    expect((await world.send("/audit 5", alice)).final.title).toMatch(/not allowed/);
    const audit = await world.send("/audit 50 --env staging", root);
    expect(audit.final.status).toBe("info");
    expect(audit.final.code).toContain("slack:T1/UALICE  /deploy staging v2  allowed/success");
    expect(audit.final.code).toContain("denied/denied");
  });

  it("the canary secret from .env appears in no reply, notice, log, audit or state", async () => {
    const outputs = [
      world.auditText(),
      world.logText(),
      JSON.stringify(world.notices),
      JSON.stringify(world.store.read()),
      JSON.stringify((await world.send("/deploy history staging 50", viewer)).final),
      JSON.stringify((await world.send("/audit 200", root)).final),
      JSON.stringify((await world.send("/deploy staging v1 --dry-run", alice)).final),
    ];
    for (const out of outputs) expect(out).not.toContain(CANARY);
    expect(await envFile()).toContain(CANARY);
  });
});
