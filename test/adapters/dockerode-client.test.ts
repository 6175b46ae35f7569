import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import type { DockerClient, HealthEvent } from "../../src/ops/adapters/docker-client.js";
import { createDockerClient, parseHealthEvent } from "../../src/ops/adapters/dockerode-client.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createJsonLineSplitter } from "../../src/ops/adapters/split-json-lines.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";

const execFileP = promisify(execFile);
const env = loadTestEnv();

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileP("docker", args, { timeout: 60_000 });
  return stdout.trim();
}

async function removeLabelled(label: string): Promise<void> {
  const ids = (await docker("ps", "-aq", "--filter", `label=${label}`)).split("\n").filter(Boolean);
  if (ids.length > 0) await docker("rm", "-f", ...ids);
  for (const n of (await docker("network", "ls", "-q", "--filter", `label=${label}`)).split("\n").filter(Boolean)) await docker("network", "rm", n);
  for (const v of (await docker("volume", "ls", "-q", "--filter", `label=${label}`)).split("\n").filter(Boolean)) await docker("volume", "rm", v);
}

function dockerContract(label: string, client: () => DockerClient): void {
  const marker = uniqueName("dc");
  const key = `${label}.marker`;
  const byMarker = `${key}=${marker}`;
  afterAll(() => removeLabelled(byMarker));

  it("receives `healthy` for a container started after subscribing, then lists and inspects it", async () => {
    const events: HealthEvent[] = [];
    let resolveHealthy: (e: HealthEvent) => void = () => {};
    const healthy = new Promise<HealthEvent>((r) => (resolveHealthy = r));
    const stop = await client().onContainerEvents(byMarker, (e) => {
      if (e.kind !== "health") return;
      events.push(e);
      if (e.status === "healthy") resolveHealthy(e);
    });
    const name = uniqueName("dc-web");
    try {
      const id = await docker("run", "-d", "--name", name, "--label", byMarker, "--label", `${key}.role=web`, env.images.busybox);
      const event = await Promise.race([healthy, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no healthy event; got ${JSON.stringify(events)}`)), 30_000))]);
      expect(event.containerId).toBe(id);
      expect(event.name).toBe(name);
      expect(event.labels[key]).toBe(marker);
      expect(event.labels[`${key}.role`]).toBe("web");

      const info = await client().inspect(id);
      expect(info).toMatchObject({ id, name, image: env.images.busybox, state: "running", health: "healthy" });

      const quiet = uniqueName("dc-quiet");
      const quietId = await docker("create", "--name", quiet, "--no-healthcheck", "--label", byMarker, env.images.busybox);
      expect((await client().inspect(quietId)).health).toBe("none");

      const all = await client().listByLabel(byMarker);
      expect(all.map((c) => c.name).sort()).toEqual([name, quiet].sort());
      expect(all.find((c) => c.id === id)).toMatchObject({ state: "running", health: "healthy", labels: { [key]: marker } });
      expect(all.find((c) => c.id === quietId)).toMatchObject({ state: "created", health: "none" });
      expect((await client().listByLabel(byMarker, { runningOnly: true })).map((c) => c.id)).toEqual([id]);
      expect(await client().listByLabel(`${key}=nothing-${marker}`)).toEqual([]);
      expect(events.every((e) => e.labels[key] === marker)).toBe(true);
    } finally {
      stop();
    }
  });

  it("inspect of an unknown container is not_found", async () => {
    const err = await client().inspect(`nope-${marker}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("not_found");
  });

  it("lists networks and volumes by label", async () => {
    const net = uniqueName("dc-net");
    const vol = uniqueName("dc-vol");
    await docker("network", "create", "--label", byMarker, net);
    await docker("volume", "create", "--label", byMarker, vol);
    expect(await client().listNetworks(byMarker)).toEqual([net]);
    expect(await client().listVolumes(byMarker)).toEqual([vol]);
    expect(await client().listNetworks(`${key}=none-${marker}`)).toEqual([]);
    expect(await client().listVolumes(`${key}=none-${marker}`)).toEqual([]);
  });

  it("stops and removes a container (with its anonymous volume), a network and a volume; gone ones are fine", async () => {
    const net = uniqueName("dc-rmnet");
    const vol = uniqueName("dc-rmvol");
    await docker("network", "create", "--label", byMarker, net);
    await docker("volume", "create", "--label", byMarker, vol);
    const id = await docker("run", "-d", "--name", uniqueName("dc-rm"), "--label", byMarker, "--network", net, "-v", "/anon", "-v", `${vol}:/named`, env.images.busybox);
    const anon = (await docker("inspect", "-f", '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}', id)).trim();
    expect(anon).not.toBe("");

    await client().stopContainer(id, { timeoutSeconds: 0 });
    expect((await client().inspect(id)).state).toBe("exited");
    await client().stopContainer(id, { timeoutSeconds: 0 }); // already stopped
    await client().removeContainer(id);
    expect(((await client().inspect(id).catch((e: unknown) => e)) as OpsError).code).toBe("not_found");
    expect(await docker("volume", "ls", "-q", "--filter", `name=^${anon}$`)).toBe(""); // `-v`: the anonymous volume went with it
    await client().removeNetwork(net);
    await client().removeVolume(vol);
    expect(await client().listNetworks(byMarker)).not.toContain(net);
    expect(await client().listVolumes(byMarker)).not.toContain(vol);
    // Idempotent, and no option can be smuggled in as a name.
    await client().removeContainer(id);
    await client().stopContainer(id, { timeoutSeconds: 0 });
    await client().removeNetwork(net);
    await client().removeVolume(vol);
    expect(((await client().removeVolume("-f").catch((e: unknown) => e)) as OpsError).code).toBe("bad_input");
  });

  it("reads a container's last log lines, stdout and stderr, with and without a TTY", async () => {
    const script = "for i in 1 2 3; do echo out-$i; echo err-$i >&2; done";
    const plain = await docker("create", "--name", uniqueName("dc-logs"), "--label", byMarker, env.images.busybox, "sh", "-c", script);
    await docker("start", "-a", plain);
    const all = await client().containerLogs(plain, { tail: 100 });
    expect(all.split("\n").filter(Boolean).sort()).toEqual(["err-1", "err-2", "err-3", "out-1", "out-2", "out-3"]);
    expect(all).not.toMatch(/[\x00-\x08]/); // the 8-byte frame headers are gone
    expect((await client().containerLogs(plain, { tail: 1 })).trim()).toMatch(/^(out|err)-3$/);
    const tty = await docker("create", "-t", "--name", uniqueName("dc-tty"), "--label", byMarker, env.images.busybox, "sh", "-c", "echo tty-line");
    await docker("start", "-a", tty);
    expect((await client().containerLogs(tty, { tail: 10 })).trim()).toBe("tty-line");
    expect(((await client().containerLogs(`nope-${marker}`, { tail: 1 }).catch((e: unknown) => e)) as OpsError).code).toBe("not_found");
  });

  it("knows images from the local store and reports a failed pull with the daemon's message", async () => {
    expect(await client().hasImage(env.images.busybox)).toBe(true);
    const absent = `opsdeck-test/absent-${marker}:1`;
    expect(await client().hasImage(absent)).toBe(false);
    const err = await client().pullImage(absent, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as Error).message).toContain(`pulling ${absent}`);
    expect(await client().hasImage(absent)).toBe(false);
    expect(((await client().hasImage("-q").catch((e: unknown) => e)) as OpsError).code).toBe("bad_input");
  });

  it("prunes only unused images older than `until` carrying the label", async () => {
    const base = await docker("create", "--label", byMarker, env.images.busybox);
    const unused = `opsdeck-test/prune-${marker}:unused`;
    const used = `opsdeck-test/prune-${marker}:used`;
    await docker("commit", "--change", `LABEL ${byMarker}`, base, unused);
    await docker("commit", "--change", `LABEL ${byMarker}`, "--change", "CMD [\"echo\", \"used\"]", base, used);
    await docker("create", "--label", byMarker, used); // a container keeps `used`
    await new Promise((r) => setTimeout(r, 1_100)); // `until` counts whole seconds
    try {
      expect((await client().pruneImages({ until: "1h", label: byMarker })).deleted).toEqual([]); // too young
      const pruned = await client().pruneImages({ until: "0s", label: byMarker });
      expect(pruned.deleted.length).toBeGreaterThan(0);
      expect(pruned.reclaimedBytes).toBeGreaterThanOrEqual(0);
      expect(await client().hasImage(unused)).toBe(false);
      expect(await client().hasImage(used)).toBe(true);
      expect(await client().hasImage(env.images.busybox)).toBe(true); // no label: never touched
      expect(((await client().pruneImages({ until: "3 days" }).catch((e: unknown) => e)) as OpsError).code).toBe("bad_input");
    } finally {
      await removeLabelled(byMarker);
      await docker("rmi", "-f", unused, used).catch(() => "");
    }
  });

  it("refuses a label that is not a label", async () => {
    const err = await client().listByLabel("a\nb").catch((e: unknown) => e);
    expect((err as OpsError).code).toBe("bad_input");
  });
}

describe("docker client on the local socket", () => {
  let client: DockerClient;
  beforeAll(() => {
    client = createDockerClient({ socketPath: env.dockerSocket });
  });
  afterAll(() => client.close());
  dockerContract("opsdeck.test.local", () => client);
});

describe("docker client over the SSH connection", () => {
  let shell: SshHostShell;
  let client: DockerClient;
  beforeAll(() => {
    shell = createSshHostShell({ name: "testhost", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 30_000 });
    client = createDockerClient({ ssh: shell, socketPath: env.dockerSocket });
  });
  afterAll(async () => {
    await client.close();
    await shell.close();
  });
  dockerContract("opsdeck.test.ssh", () => client);

  it("is fast: 20 sequential listByLabel calls on the one connection", async () => {
    await client.listByLabel("opsdeck.test.warmup");
    const started = performance.now();
    for (let i = 0; i < 20; i++) await client.listByLabel("opsdeck.test.timing");
    const each = (performance.now() - started) / 20;
    console.log(`docker over ssh: listByLabel ${each.toFixed(1)} ms per call (20 sequential calls)`);
    expect(each).toBeLessThan(300);
  });

  it("shares the shell's connection and follows it through a reconnect", async () => {
    const first = await shell.connection();
    await client.listByLabel("opsdeck.test.share");
    expect(await shell.connection()).toBe(first);
    await shell.exec(["sh", "-c", "kill -9 $PPID; sleep 5"]).catch(() => {}); // drop it server-side
    expect(await client.listByLabel("opsdeck.test.share")).toEqual([]);
    expect(await shell.connection()).not.toBe(first);
  });
});

describe("health event parsing", () => {
  it("splits a JSON-lines stream however it is chunked", () => {
    const values: unknown[] = [];
    const bad: string[] = [];
    const feed = createJsonLineSplitter((v) => values.push(v), (l) => bad.push(l));
    const text = '{"a":1}\n{"b":"ü"}\n\nnot json\n{"c":3}\n';
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 3) feed(bytes.subarray(i, i + 3)); // splits the ü too
    expect(values).toEqual([{ a: 1 }, { b: "ü" }, { c: 3 }]);
    expect(bad).toEqual(["not json"]);
    feed('{"d":4}\n{"e":5}\n{"f"');
    expect(values).toHaveLength(5);
    feed(":6}\n");
    expect(values.at(-1)).toEqual({ f: 6 });
  });

  it("reads status, id, name and labels from a Docker event", () => {
    const event = {
      status: "health_status: unhealthy",
      id: "abc",
      Type: "container",
      Action: "health_status: unhealthy",
      Actor: { ID: "abc", Attributes: { image: "img:1", name: "web-1", "opsdeck.preview": "x" } },
    };
    expect(parseHealthEvent(event)).toEqual({ containerId: "abc", name: "web-1", status: "unhealthy", labels: { "opsdeck.preview": "x" } });
    expect(parseHealthEvent({ ...event, Action: "start", status: "start" })).toBeNull();
    expect(parseHealthEvent("health_status: healthy")).toBeNull();
  });
});
