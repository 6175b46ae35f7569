// Environments over several nodes: three private sshd instances on loopback (core1, worker1,
// worker2), each with its own compose directory and project on the shared dockerd.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEnvironmentHosts, Environments } from "../../src/config/environments-config.js";
import { SshHost, type Access } from "../../src/config/schema.js";
import type { Actor } from "../../src/core/command.js";
import { createDockerClientForHost, createHostShell } from "../../src/ops/adapters/create-host-shell.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import { historyOf } from "../../src/ops/deploy/history.js";
import { privateSshd, type PrivateSshd } from "../reliability/fault-helpers.js";
import { uniqueName } from "../support/test-env.js";
import { freePort } from "../support/test-user.js";
import { connectTestHost, createDeployWorld, docker, replyText, testEnv, type DeployWorld, type HostAdapters } from "./deploy-harness.js";

const alice: Actor = { platform: "slack", id: "T1/UALICE", name: "alice" };
const access: Access = { roles: { deployer: ["slack:T1/UALICE"], approver: ["slack:T1/UBOB"] }, rules: { deploy: ["deployer"], rollback: ["deployer"] } };
const NODES = ["core1", "worker1", "worker2"] as const;
type NodeName = (typeof NODES)[number];

/** app:v1..v3 on a loopback port; with `failOnV3` the healthcheck never passes on v3. */
function compose(port: number, failOnV3: boolean): string {
  return `services:
  app:
    image: opsdeck-test/app:\${IMAGE_TAG}
    ports: ["127.0.0.1:${port}:8080"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/${failOnV3 ? " && ! grep -q v3 /www/index.html" : ""}"]
      interval: 1s
      timeout: 3s
      retries: 2
    command: ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & wait"]
`;
}

describe("node groups: core + two workers over three sshd instances", () => {
  const base = uniqueName("nodes");
  const dirOf = (n: NodeName): string => `${testEnv.previewsDir}/${base}-${n}`;
  const projectOf = (n: NodeName): string => `${base}-${n}`;
  const sshds = new Map<NodeName, PrivateSshd>();
  const hosts: Record<string, HostAdapters> = {};
  let fallback: HostAdapters;
  let world: DeployWorld;
  let tmp: string;
  const timings: Record<string, number> = {};

  const tagOn = async (n: NodeName): Promise<string | null> => {
    const m = /^IMAGE_TAG=(.*)$/m.exec((await hosts[n]?.shell.readFile(`${dirOf(n)}/.env`)) ?? "");
    return m?.[1] ?? null;
  };
  const tags = async (): Promise<Record<NodeName, string | null>> => ({ core1: await tagOn("core1"), worker1: await tagOn("worker1"), worker2: await tagOn("worker2") });
  const containerId = async (n: NodeName): Promise<string> => docker("ps", "-q", "--no-trunc", "--filter", `label=com.docker.compose.project=${projectOf(n)}`);
  const image = async (n: NodeName): Promise<string> => docker("inspect", "-f", "{{.Config.Image}}", await containerId(n));
  const timed = async (label: string, text: string) => {
    const t0 = Date.now();
    const sent = await world.send(text, alice);
    timings[label] = Date.now() - t0;
    return sent;
  };

  const groupsOf = (workers: Record<string, unknown>) => ({
    core: { hosts: [{ host: "core1" }], migrate: true },
    workers: {
      hosts: [
        { host: "worker1", compose_dir: dirOf("worker1"), project: projectOf("worker1"), vars: { WORKER_HOSTNAME: "worker-one", KTRDR_API_URL: "http://core1:8000" } },
        { host: "worker2", compose_dir: dirOf("worker2"), project: projectOf("worker2"), vars: { WORKER_HOSTNAME: "worker-two", KTRDR_API_URL: "http://core1:8000" } },
      ],
      ...workers,
    },
  });
  const envOf = (workers: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    host: "core1",
    compose_dir: dirOf("core1"),
    project: projectOf("core1"),
    pull: "never",
    lock_dir: dirOf("core1"),
    ref_pattern: "^v[0-9]+$",
    health_timeout: "30s",
    migration_command: ["sh", "-c", "echo migrated >> migrations.log"],
    nodes: groupsOf(workers),
    order: ["core", "workers"],
    ...extra,
  });

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "opsdeck-nodes-"));
    fallback = connectTestHost();
    for (const n of NODES) {
      const sshdDir = join(tmp, n);
      rmSync(sshdDir, { recursive: true, force: true });
      await import("node:fs").then((fs) => fs.mkdirSync(sshdDir));
      const sshd = await privateSshd(sshdDir);
      await sshd.start();
      sshds.set(n, sshd);
      const cfg = SshHost.parse({ type: "ssh", address: "127.0.0.1", port: sshd.port, user: testEnv.sshUser, key_path: testEnv.sshKeyPath, command_timeout: "60s", docker_socket: testEnv.dockerSocket });
      const shell = createHostShell(n, cfg, { resolvePath: (p) => p, readSecretEnv: () => undefined });
      const dockerClient = createDockerClientForHost(cfg, shell);
      hosts[n] = { shell, compose: createComposeClient(shell), docker: dockerClient, close: async () => (await dockerClient.close().catch(() => undefined), await shell.close()) };
      await shell.writeFile(`${dirOf(n)}/docker-compose.yml`, compose(await freePort(), n === "worker2"));
      await shell.writeFile(`${dirOf(n)}/.env`, `# ${n}\n`, 0o600);
    }
    world = await createDeployWorld({
      host: fallback,
      hosts,
      access,
      clock: () => new Date(),
      environments: {
        preprod: envOf({}),
        "preprod-rolling": envOf({ rolling: true }),
        "preprod-all": envOf({ on_failure: "rollback_all" }),
        "prod-nodes": envOf({}, { protected: true, approval: { approvers: ["approver"] } }),
      },
    });
  }, 60_000);

  afterAll(async () => {
    for (const n of NODES) {
      await fallback.compose.down({ name: projectOf(n), dir: dirOf(n) }, { volumes: true }).catch(() => undefined);
      await hosts[n]?.close().catch(() => undefined);
      sshds.get(n)?.kill();
      rmSync(dirOf(n), { recursive: true, force: true });
    }
    await fallback.close();
    rmSync(tmp, { recursive: true, force: true });
    console.log(`node-groups timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  it("deploys the whole env in order (core, then both workers), writes each node's vars, migrates on core only, one progress message with a line per node", async () => {
    const first = await timed("parallel v1 (first deploy)", "/deploy preprod v1");
    expect(first.final.status, replyText(first.final)).toBe("success");
    const { final, messages } = await timed("parallel v1->v2", "/deploy preprod v2");
    expect(final.status, replyText(final)).toBe("success");
    expect(await tags()).toEqual({ core1: "v2", worker1: "v2", worker2: "v2" });
    for (const n of NODES) expect(await image(n)).toBe("opsdeck-test/app:v2");
    const w1 = (await hosts.worker1?.shell.readFile(`${dirOf("worker1")}/.env`)) ?? "";
    expect(w1).toContain("WORKER_HOSTNAME=worker-one");
    expect(w1).toContain("KTRDR_API_URL=http://core1:8000");
    expect((await hosts.worker2?.shell.readFile(`${dirOf("worker2")}/.env`)) ?? "").toContain("WORKER_HOSTNAME=worker-two");
    expect((await hosts.core1?.shell.readFile(`${dirOf("core1")}/.env`)) ?? "").not.toContain("WORKER_HOSTNAME");
    expect(await hosts.core1?.shell.readFile(`${dirOf("core1")}/migrations.log`)).toBe("migrated\nmigrated\n");
    expect(await hosts.worker1?.shell.readFile(`${dirOf("worker1")}/migrations.log`)).toBeNull();
    // Core finished before any worker started: a progress message shows core healthy while both workers still wait.
    const progress = messages.filter((m) => m.status === "progress").map((m) => (m.lines ?? []).join("\n"));
    expect(progress.some((p) => /core\/core1: v2 healthy/.test(p) && /workers\/worker1: waiting/.test(p) && /workers\/worker2: waiting/.test(p))).toBe(true);
    expect(progress.at(-1)).toMatch(/core\/core1: v2 healthy[\s\S]*workers\/worker1: v2 healthy[\s\S]*workers\/worker2: v2 healthy/);
  }, 120_000);

  it("rolling deploys the workers one at a time (timed against parallel)", async () => {
    const { final, messages } = await timed("rolling v2->v1", "/deploy preprod-rolling v1");
    expect(final.status, replyText(final)).toBe("success");
    expect(await tags()).toEqual({ core1: "v1", worker1: "v1", worker2: "v1" });
    const progress = messages.filter((m) => m.status === "progress").map((m) => (m.lines ?? []).join("\n"));
    // worker2 is still waiting when worker1 is already healthy: never two workers at once.
    expect(progress.some((p) => /worker1: v1 healthy/.test(p) && /worker2: waiting/.test(p))).toBe(true);
    const back = await timed("parallel v1->v2 (again)", "/deploy preprod v2");
    expect(back.final.status).toBe("success");
  }, 120_000);

  it("rollback_group: a worker failing health rolls its group back and leaves core on the new tag", async () => {
    const coreBefore = await containerId("core1");
    const { final } = await world.send("/deploy preprod v3", alice);
    expect(final.status, replyText(final)).toBe("failure");
    expect(final.title).toMatch(/workers\/worker2 health/);
    expect(await tags()).toEqual({ core1: "v3", worker1: "v2", worker2: "v2" });
    expect(await image("worker1")).toBe("opsdeck-test/app:v2");
    expect(await image("worker2")).toBe("opsdeck-test/app:v2");
    expect(await containerId("core1")).not.toBe(coreBefore); // core moved to v3 and stayed
    const rec = historyOf(world.store.read(), "preprod", 1)[0];
    expect(rec?.nodes?.map((n) => [n.node, n.result, n.rolledBack, n.rollbackHealthy ?? null])).toEqual([
      ["core1", "succeeded", false, null],
      ["worker1", "succeeded", true, true],
      ["worker2", "failed", true, true],
    ]);
  }, 150_000);

  it("rollback_all: the same failure also returns core to its previous tag, checked healthy", async () => {
    expect((await world.send("/deploy preprod v2", alice)).final.status).toBe("success");
    const { final } = await world.send("/deploy preprod-all v3", alice);
    expect(final.status, replyText(final)).toBe("failure");
    expect(await tags()).toEqual({ core1: "v2", worker1: "v2", worker2: "v2" });
    for (const n of NODES) expect(await image(n)).toBe("opsdeck-test/app:v2");
    const status = await world.send("/deploy status preprod", alice);
    expect(status.final.title, replyText(status.final)).toBe("preprod: all 3 node(s) healthy");
    expect(status.final.fields?.map((f) => f.label)).toEqual(["core/core1", "workers/worker1", "workers/worker2"]);
    expect(status.final.fields?.[1]?.value).toMatch(/^tag v2 · healthy · .*running \(healthy\)/);
  }, 180_000);

  it("--group workers and --node touch only those hosts; history and /rollback --group per node", async () => {
    const core = await containerId("core1");
    const w2 = await containerId("worker2");
    const g = await world.send("/deploy preprod v1 --group workers", alice);
    expect(g.final.status, replyText(g.final)).toBe("success");
    expect(await tags()).toEqual({ core1: "v2", worker1: "v1", worker2: "v1" });
    expect(await containerId("core1")).toBe(core);
    const n = await world.send("/deploy preprod v2 --node worker1", alice);
    expect(n.final.status, replyText(n.final)).toBe("success");
    expect(await tags()).toEqual({ core1: "v2", worker1: "v2", worker2: "v1" });
    expect(await containerId("core1")).toBe(core);
    expect(await containerId("worker2")).not.toBe(w2); // moved by the group deploy, untouched by --node
    const w2now = await containerId("worker2");

    const hist = await world.send("/deploy history preprod 2", alice);
    expect(hist.final.code).toMatch(/v2  succeeded .*\(node worker1\)\n {4}workers\/worker1 {2}v1 → v2 {2}succeeded/);
    expect(hist.final.code).toMatch(/\(group workers\)\n {4}workers\/worker1 {2}v2 → v1 {2}succeeded\n {4}workers\/worker2 {2}v2 → v1 {2}succeeded/);

    // worker1 goes back to its last good tag before v2 (v1); worker2's last good before v1 is v2.
    const rb = await world.send("/rollback preprod --group workers", alice);
    expect(rb.final.status, replyText(rb.final)).toBe("success");
    expect(await tags()).toEqual({ core1: "v2", worker1: "v1", worker2: "v2" });
    expect(await containerId("core1")).toBe(core);
    expect(await containerId("worker2")).not.toBe(w2now);

    const bad = await world.send("/deploy preprod v1 --node core9", alice);
    expect(bad.final.status).toBe("failure");
    expect(replyText(bad.final)).toContain("Nodes: core1, worker1, worker2");
  }, 180_000);

  it("a protected multi-node deploy is one approval request listing the groups and hosts", async () => {
    const { final } = await world.send("/deploy prod-nodes v1", alice);
    expect(final.title).toMatch(/approval needed/);
    expect(final.fields).toContainEqual({ label: "nodes", value: "core: core1; workers: worker1, worker2" });
    const scoped = await world.send("/deploy prod-nodes v1 --group workers", alice);
    expect(scoped.final.status).toBe("failure");
  });

  it("a node whose sshd is stopped fails its group fast, before anything on the group changes", async () => {
    const before = await tags();
    const w1 = await containerId("worker1");
    sshds.get("worker2")?.kill();
    const t0 = Date.now();
    const { final } = await world.send("/deploy preprod v3 --group workers", alice);
    const ms = Date.now() - t0;
    timings["unreachable node fails after"] = ms;
    expect(final.status, replyText(final)).toBe("failure");
    expect(replyText(final)).toMatch(/workers\/worker2 unreachable: .*cannot connect/);
    expect(replyText(final)).toContain("No node was changed.");
    expect(ms).toBeLessThan(15_000);
    expect(await tagOn("worker1")).toBe(before.worker1);
    expect(await containerId("worker1")).toBe(w1);
  }, 60_000);
});

describe("node group config errors name the key", () => {
  const env = (nodes: unknown, order?: string[]) => ({ e: { host: "core1", compose_dir: "/srv/app", project: "app", nodes, ...(order ? { order } : {}) } });
  const issues = (input: unknown): string[] => {
    const r = Environments.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("refuses an unknown group in order, a group missing from order, and a node in two groups", () => {
    expect(issues(env({ core: { hosts: [{ host: "a" }] } }, ["core", "workers"]))).toContainEqual(expect.stringMatching(/^e\.order\.1: names group "workers", which is not declared under nodes/));
    expect(issues(env({ core: { hosts: [{ host: "a" }] }, workers: { hosts: [{ host: "b" }] } }, ["core"]))).toContainEqual(expect.stringMatching(/^e\.nodes\.workers: group "workers" is missing from order/));
    expect(issues(env({ core: { hosts: [{ host: "a" }] }, workers: { hosts: [{ host: "b" }, { host: "a" }] } }))).toContainEqual('e.nodes.workers.hosts.1.host: host "a" is already in group core; a node belongs to one group');
    expect(issues(env({ core: { hosts: [{ host: "a" }], on_failure: "explode" } }))[0]).toMatch(/^e\.nodes\.core\.on_failure/);
  });

  it("refuses a node naming an undeclared host", () => {
    const parsed = Environments.parse(env({ core: { hosts: [{ host: "core1" }] }, workers: { hosts: [{ host: "ghost" }] } }));
    expect(checkEnvironmentHosts(parsed, ["core1"])).toEqual([{ path: ["environments", "e", "nodes", "workers", "hosts", 0, "host"], message: 'names host "ghost", which is not declared under hosts (declared: core1)' }]);
  });

  it("keeps the single-host form working", () => {
    expect(issues({ e: { host: "core1", compose_dir: "/srv/app", project: "app" } })).toEqual([]);
  });
});
