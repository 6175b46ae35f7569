// Compose v1 runs without setuptools' distutils shim when the host's Python has the stdlib distutils:
// the shim makes compose's `import distutils` load setuptools and pkg_resources, ~0.3 s of every start.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComposeProject } from "../../src/ops/adapters/compose-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { tempDir } from "../support/temp-dir.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";

const env = loadTestEnv();

/** The real shell; every command still runs, only its argv is noted. */
function noting(shell: HostShell, ran: string[][]): HostShell {
  return { ...shell, exec: (argv, opts) => (ran.push([...argv]), shell.exec(argv, opts)) };
}

describe("compose v1 start without setuptools' distutils shim (real sshd, the host's docker-compose)", () => {
  let shell: SshHostShell;
  const name = uniqueName("cdist");
  const project: ComposeProject = { name, dir: `${env.previewsDir}/${name}` };

  beforeAll(() => {
    shell = createSshHostShell({ name: "testhost", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
  });
  afterAll(async () => {
    await shell.exec(["rm", "-rf", "--", project.dir]).catch(() => {});
    await shell.close();
  });

  it("runs docker-compose with SETUPTOOLS_USE_DISTUTILS=stdlib (compose works with it) and still shows it as docker-compose", async () => {
    const ran: string[][] = [];
    const compose = createComposeClient(noting(shell, ran));
    await shell.writeFile(`${project.dir}/docker-compose.yml`, `services:\n  web:\n    image: ${env.images.busybox}\n  worker:\n    image: ${env.images.busybox}\n`);
    expect(await compose.services(project)).toEqual(["web", "worker"]);
    await compose.validate(project);
    expect(await compose.binary()).toEqual(["docker-compose"]);
    const composeRuns = ran.filter((argv) => argv.includes("docker-compose"));
    expect(composeRuns).toHaveLength(2);
    for (const argv of composeRuns) expect(argv.slice(0, 5)).toEqual(["env", "SETUPTOOLS_USE_DISTUTILS=stdlib", "docker-compose", "-p", name]);
  });
});

describe("compose v1 detection on other installs (local shell, a docker-compose of our own first on the PATH)", () => {
  const dir = tempDir("opsdeck-cdist-");
  const oldPath = process.env.PATH;
  const host = createLocalHostShell({ name: "local", commandTimeoutMs: 30_000 });
  const project: ComposeProject = { name: "cdist", dir };

  afterAll(() => {
    process.env.PATH = oldPath;
  });

  /** A `docker-compose` that prints the variable as a "service name", so services() shows what it saw. */
  function install(script: string): void {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    process.env.PATH = `${bin}:${oldPath ?? ""}`;
    writeFileSync(join(bin, "docker-compose"), script);
    chmodSync(join(bin, "docker-compose"), 0o755);
  }

  it("keeps plain docker-compose when it is not a Python script (e.g. a frozen binary or a wrapper)", async () => {
    install('#!/bin/sh\necho "seen-${SETUPTOOLS_USE_DISTUTILS:-unset}"\n');
    expect(await createComposeClient(host).services(project)).toEqual(["seen-unset"]);
  });

  it("sets it for a Python docker-compose whose interpreter has the stdlib distutils", async () => {
    install("#!/usr/bin/python3\nimport os\nprint('seen-' + os.environ.get('SETUPTOOLS_USE_DISTUTILS', 'unset'))\n");
    expect(await createComposeClient(host).services(project)).toEqual(["seen-stdlib"]);
  });

  it("keeps plain docker-compose when that interpreter has no stdlib distutils", async () => {
    const py = join(dir, "nodistutils-python3");
    // An interpreter whose `import distutils` fails, as on Python 3.12+ without setuptools' shim.
    writeFileSync(py, `#!/bin/sh\ncase "$*" in *"import distutils"*) exit 1;; esac\nexec /usr/bin/python3 "$@"\n`);
    chmodSync(py, 0o755);
    install(`#!${py}\nimport os\nprint('seen-' + os.environ.get('SETUPTOOLS_USE_DISTUTILS', 'unset'))\n`);
    expect(await createComposeClient(host).services(project)).toEqual(["seen-unset"]);
  });
});
