// A deploy whose new version crashes and is restarted by its restart policy fails at once as a crash
// loop (the `die` event on the ordered event stream the deploy's health wait now shares with previews),
// and rolls back to the last good tag. Before, the deploy's own wait saw only health events and an
// inspect every 3 s, so a crash loop showed up, if at all, as "is restarting, not running".
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Access } from "../../src/config/schema.js";
import type { Actor } from "../../src/core/command.js";
import { historyOf } from "../../src/ops/deploy/history.js";
import { uniqueName } from "../support/test-env.js";
import { freePort } from "../support/test-user.js";
import { connectTestHost, createDeployWorld, docker, replyText, testEnv, type DeployWorld, type HostAdapters } from "./deploy-harness.js";

const alice: Actor = { platform: "slack", id: "T1/UALICE", name: "alice" };
const access: Access = { roles: { deployer: ["slack:T1/UALICE"] }, rules: { deploy: ["deployer"], rollback: ["deployer"] } };

/** v2 prints a line, then exits 3 a second after each start; `restart: unless-stopped` starts it again. */
function crashingCompose(port: number): string {
  return `services:
  app:
    image: opsdeck-test/app:\${IMAGE_TAG}
    restart: unless-stopped
    ports:
      - "127.0.0.1:${port}:8080"
    environment:
      TAG: \${IMAGE_TAG}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 3s
      retries: 2
    command: ["sh", "-c", "if [ \\"$$TAG\\" = v2 ]; then echo v2 is crashing; sleep 1; exit 3; fi; trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & wait"]
`;
}

describe("deploy health wait on the shared event stream (real sshd + dockerd)", () => {
  const name = uniqueName("deploy-crash");
  const dir = `${testEnv.previewsDir}/${name}`;
  let host: HostAdapters;
  let world: DeployWorld;
  let port: number;

  beforeAll(async () => {
    host = connectTestHost();
    port = await freePort();
    await host.shell.writeFile(`${dir}/docker-compose.yml`, crashingCompose(port));
    await host.shell.writeFile(`${dir}/.env`, "", 0o600);
    world = await createDeployWorld({
      host,
      access,
      clock: () => new Date(),
      environments: { crashy: { host: "test", compose_dir: dir, project: name, pull: "never", lock_dir: dir, ref_pattern: "^v[0-9]+$", health_timeout: "30s" } },
    });
  });

  afterAll(async () => {
    await host.compose.down({ name, dir }, { volumes: true }).catch(() => undefined);
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a version that crashes and is restarted fails as a crash loop and rolls back to the last good tag", async () => {
    const first = await world.send("/deploy crashy v1", alice);
    expect(first.final.status, replyText(first.final)).toBe("success");

    const { final } = await world.send("/deploy crashy v2", alice);
    expect(final.status).toBe("failure");
    expect(final.title).toMatch(/^deploy of v2 to crashy failed at health: container \S+ keeps crashing \(it exited and its restart policy restarted it\); rolled back automatically to v1, which is healthy$/);
    expect(final.code).toContain("v2 is crashing");
    const [latest] = historyOf(world.store.read(), "crashy", 1);
    expect(latest).toMatchObject({ tag: "v2", result: "failed", rolledBack: true, rollbackHealthy: true, previousTag: "v1" });
    // v1 serves again, from a container that is not restarting.
    const ids = (await docker("ps", "-q", "--filter", `label=com.docker.compose.project=${name}`)).split("\n").filter(Boolean);
    expect(ids).toHaveLength(1);
    expect(await docker("inspect", "-f", "{{.Config.Image}} {{.State.Status}} {{.State.Health.Status}}", ids[0] ?? "")).toBe("opsdeck-test/app:v1 running healthy");
    expect((await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim()).toBe("version v1");
  });
});
