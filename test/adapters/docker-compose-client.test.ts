import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import type { ComposeClient, ComposeProject } from "../../src/ops/adapters/compose-client.js";
import { oneOffArgs, parseComposeCommand } from "../../src/ops/adapters/compose-command.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";

const execFileP = promisify(execFile);
const env = loadTestEnv();

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileP("docker", args, { timeout: 60_000 });
  return stdout;
}

const composeFile = (marker: string): string => `services:
  web:
    image: ${env.images.busybox}
    labels:
      opsdeck.test: "${marker}"
    environment:
      GREETING: "cost $$5"
    command: ["sh", "-c", "echo hello-$$GREETING; trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & wait"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 3s
      retries: 3
    volumes:
      - data:/data
volumes:
  data: {}
`;

describe("compose client over SSH (docker-compose v1)", () => {
  let shell: SshHostShell;
  let compose: ComposeClient;
  const name = uniqueName("compose");
  const project: ComposeProject = { name, dir: `${env.previewsDir}/${name}` };

  beforeAll(() => {
    shell = createSshHostShell({ name: "testhost", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
    compose = createComposeClient(shell);
  });
  afterAll(async () => {
    await compose.down(project, { volumes: true }).catch(() => {});
    await shell.exec(["rm", "-rf", "--", project.dir]).catch(() => {});
    await shell.close();
  });

  it("detects docker-compose v1 once", async () => {
    expect(await compose.binary()).toEqual(["docker-compose"]);
    expect(await compose.binary()).toEqual(["docker-compose"]);
  });

  it("detects v1 from the PATH without running docker-compose (no Python start before the first deploy's up)", async () => {
    const ran: string[][] = [];
    // The real shell; every command still runs on the host, only its argv is noted.
    const noting: HostShell = { ...shell, exec: (argv, opts) => (ran.push([...argv]), shell.exec(argv, opts)) };
    expect(await createComposeClient(noting).binary()).toEqual(["docker-compose"]);
    expect(ran.filter((argv) => argv[0] === "docker-compose")).toEqual([]);
  });

  it("refuses bad project and file names before running anything", async () => {
    for (const bad of [{ ...project, name: "Bad" }, { ...project, name: "-p" }, { ...project, name: "a;b" }, { ...project, file: "../x.yml" }, { ...project, file: "a/b.yml" }, { ...project, file: "-f" }]) {
      const err = await compose.validate(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpsError);
      expect((err as OpsError).code).toBe("bad_input");
    }
    const err = await compose.up(project, { services: ["--build"] }).catch((e: unknown) => e);
    expect((err as OpsError).code).toBe("bad_input");
  });

  it("validate() reports compose's own message and never a value from .env", async () => {
    const secret = `topsecret-${uniqueName("v")}`;
    await shell.writeFile(`${project.dir}/.env`, `SECRET=${secret}\n`, 0o600);
    await shell.writeFile(`${project.dir}/docker-compose.yml`, `services:\n  web:\n    image: ${env.images.busybox}\n    environment:\n      S: "\${SECRET}"\n    imagee: typo\n`);
    const err = await compose.validate(project).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("bad_input");
    expect((err as Error).message).toMatch(/imagee/);
    expect((err as Error).message).not.toContain(secret);
    expect((err as OpsError).details ?? "").not.toContain(secret);
  });

  it("validates, starts, shows logs and takes down everything", async () => {
    const marker = uniqueName("m");
    await shell.writeFile(`${project.dir}/docker-compose.yml`, composeFile(marker));
    await compose.validate(project);

    await compose.up(project);
    const ids = (await docker("ps", "-q", "--filter", `label=opsdeck.test=${marker}`, "--filter", "status=running")).trim().split("\n").filter(Boolean);
    expect(ids).toHaveLength(1);
    expect((await compose.ps(project)).join("\n")).toHaveLength(64);

    let logs = "";
    for (let i = 0; i < 20 && !logs.includes("hello-cost $5"); i++) {
      logs = await compose.logs(project, 10);
      if (!logs.includes("hello-cost $5")) await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toContain("hello-cost $5"); // `$$` reached the container as a literal `$`
    expect(await compose.logs(project, 10, "web")).toContain("hello-cost $5");

    const projectLabel = `label=com.docker.compose.project=${name}`;
    expect((await docker("network", "ls", "-q", "--filter", projectLabel)).trim()).not.toBe("");
    expect((await docker("volume", "ls", "-q", "--filter", projectLabel)).trim()).not.toBe("");

    await compose.down(project, { volumes: true });
    expect((await docker("ps", "-aq", "--filter", projectLabel)).trim()).toBe("");
    expect((await docker("network", "ls", "-q", "--filter", projectLabel)).trim()).toBe("");
    expect((await docker("volume", "ls", "-q", "--filter", projectLabel)).trim()).toBe("");

    await compose.down(project, { volumes: true }); // nothing up: still fine
    await compose.down(project);
  });

  it("ps, stop, start, one-off run and exec, down -t: each a named method", async () => {
    const marker = uniqueName("m");
    await shell.writeFile(`${project.dir}/docker-compose.yml`, composeFile(marker));
    await compose.up(project, { services: ["web"] });
    const [id] = await compose.ps(project, { services: ["web"] });
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const state = async (): Promise<string> => (await docker("inspect", "-f", "{{.State.Status}}", id ?? "")).trim();

    await compose.stop(project, { services: ["web"] });
    expect(await state()).toBe("exited");
    expect(await compose.ps(project)).toEqual([id]); // stopped, not removed
    await compose.start(project, { services: ["web"] });
    expect(await state()).toBe("running");

    const ran = await compose.oneOff(project, { kind: "run", remove: true, noTty: true, service: "web", command: ["sh", "-c", "echo one-off $GREETING"] });
    expect(ran.stdout).toContain("one-off cost $5");
    const oneOffLabel = `label=com.docker.compose.oneoff=True`;
    expect((await docker("ps", "-aq", "--filter", `label=com.docker.compose.project=${name}`, "--filter", oneOffLabel)).trim()).toBe(""); // --rm
    const execed = await compose.oneOff(project, { kind: "exec", noTty: true, service: "web", command: ["sh", "-c", "echo exec-$GREETING"] });
    expect(execed.stdout).toContain("exec-cost $5");
    const failed = await compose.oneOff(project, { kind: "exec", noTty: true, service: "web", command: ["sh", "-c", "exit 3"], allowFailure: true });
    expect(failed.code).toBe(3);
    expect(((await compose.stop(project, { services: ["-t"] }).catch((e: unknown) => e)) as OpsError).code).toBe("bad_input");

    const started = Date.now();
    await compose.down(project, { volumes: true, timeoutSeconds: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await compose.ps(project)).toEqual([]);
  });

  it("reads a configured compose command as a typed one-off and refuses what it cannot express", () => {
    expect(parseComposeCommand(["docker-compose", "run", "--rm", "app", "migrate", "--all"])).toEqual({ kind: "run", service: "app", command: ["migrate", "--all"], remove: true });
    expect(parseComposeCommand(["docker", "compose", "exec", "-T", "db", "psql", "-c", "select 1"])).toEqual({ kind: "exec", service: "db", command: ["psql", "-c", "select 1"], noTty: true });
    expect(oneOffArgs({ kind: "run", service: "app", command: ["migrate"], remove: true, noDeps: true })).toEqual(["run", "--rm", "--no-deps", "app", "migrate"]);
    expect(parseComposeCommand(["./migrate.sh", "up"])).toBeNull();
    for (const bad of [["docker-compose", "down"], ["docker-compose", "run", "-v", "/:/host", "app"], ["docker", "compose", "run", "--rm"]]) {
      expect(() => parseComposeCommand(bad)).toThrow(OpsError);
    }
  });

  it("reports a failing compose command with its sub-command and output", async () => {
    await shell.writeFile(`${project.dir}/docker-compose.yml`, composeFile(uniqueName("m")));
    const err = await compose.logs(project, 5, "nosuchservice").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as Error).message).toMatch(/docker-compose logs` for project/);
    expect((err as Error).message).toMatch(/No such service: nosuchservice/);
  });
});
