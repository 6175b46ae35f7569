// Trust on first use of SSH host keys, against a second, private sshd whose host key we change.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Host } from "../../src/config/schema.js";
import type { Reply } from "../../src/core/command.js";
import { createHostShell } from "../../src/ops/adapters/create-host-shell.js";
import { createHostKeyPins, HostKeyChangedError } from "../../src/ops/adapters/host-key-pins.js";
import { openStore } from "../../src/store/store.js";
import { loadTestEnv, repoRoot, uniqueName } from "../support/test-env.js";
import { freePort } from "../support/test-user.js";

const execFileP = promisify(execFile);
const env = loadTestEnv();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** `SHA256:…` of a public key file, as OpenSSH itself prints it. */
async function opensshFingerprint(pubPath: string): Promise<string> {
  const { stdout } = await execFileP("ssh-keygen", ["-lf", pubPath]);
  return stdout.split(" ")[1] ?? "";
}

describe("SSH host key pinning (trust on first use) against a second sshd", () => {
  let dir: string;
  let port: number;
  let sshd: ChildProcess | undefined;
  const fp: string[] = [];
  const marker = `${env.previewsDir}/${uniqueName("pin-ran")}`;

  async function startSshd(hostKey: string): Promise<void> {
    const config = join(dir, "sshd_config");
    await writeFile(
      config,
      [
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PermitRootLogin no",
        `AllowUsers ${env.sshUser}`,
        "AuthorizedKeysFile .ssh/authorized_keys",
        "UsePAM no",
        "Subsystem sftp internal-sftp",
        "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org",
        "",
      ].join("\n"),
    );
    sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config, "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
    sshd.stderr?.resume();
    for (let i = 0; i < 100 && !(await listening(port)); i++) await sleep(50);
    expect(await listening(port)).toBe(true);
  }

  async function stopSshd(): Promise<void> {
    const child = sshd;
    sshd = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    for (let i = 0; i < 100 && (await listening(port)); i++) await sleep(50);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "opsdeck-pins-"));
    port = await freePort();
    for (const k of ["key1", "key2"]) {
      await execFileP("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "opsdeck-pin-test", "-f", join(dir, k)]);
      fp.push(await opensshFingerprint(join(dir, `${k}.pub`)));
    }
    expect(fp[0]).not.toBe(fp[1]);
  });

  afterAll(async () => {
    await stopSshd();
    await rm(dir, { recursive: true, force: true });
    await rm(marker, { force: true });
  });

  it("pins the first key and warns, refuses a changed key naming both, and works after trust-host", async () => {
    const dataDir = join(dir, "data");
    const host: Host = { type: "ssh", address: "127.0.0.1", port, user: env.sshUser, key_path: env.sshKeyPath, command_timeout: 20_000, docker_socket: env.dockerSocket };
    const notices: Reply[] = [];
    const shellWith = async (cfg: Host = host) => {
      const store = await openStore(dataDir);
      const hostKeys = createHostKeyPins({ store, notify: async (r) => void notices.push(r) });
      return { store, shell: createHostShell("edge", cfg, { resolvePath: (p) => p, readSecretEnv: () => undefined, hostKeys }) };
    };

    // 1. First connection: pinned, announced on the alert channel.
    await startSshd(join(dir, "key1"));
    const first = await shellWith();
    expect((await first.shell.exec(["echo", "ok"])).stdout).toBe("ok\n");
    await first.shell.close();
    expect(first.store.read().hostKeys?.["edge"]?.fingerprint).toBe(fp[0]);
    expect(first.store.read().hostKeys?.["edge"]?.address).toBe(`127.0.0.1:${port}`);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.status).toBe("warning");
    expect(notices[0]?.lines?.join(" ")).toContain(fp[0]);

    // 2. Same key again: accepted silently.
    const again = await shellWith();
    expect((await again.shell.exec(["echo", "ok"])).stdout).toBe("ok\n");
    await again.shell.close();
    expect(notices).toHaveLength(1);

    // 3. The host key changes: refused before anything runs, naming both keys and the way out.
    await stopSshd();
    await startSshd(join(dir, "key2"));
    const changed = await shellWith();
    const err = await changed.shell.exec(["touch", marker]).catch((e: unknown) => e);
    await changed.shell.close();
    expect(err).toBeInstanceOf(HostKeyChangedError);
    expect((err as Error).message).toContain(fp[0]);
    expect((err as Error).message).toContain(fp[1]);
    expect((err as HostKeyChangedError).nextStep).toContain(`opsdeck trust-host edge ${fp[1]}`);
    expect(existsSync(marker)).toBe(false);
    expect(changed.store.read().hostKeys?.["edge"]?.fingerprint).toBe(fp[0]); // the pin is unchanged
    expect(notices.at(-1)?.status).toBe("failure");
    expect(notices.at(-1)?.lines?.join(" ")).toContain(fp[1]);

    // 4. host_key_fingerprint in the config wins over the pin.
    const configured = await shellWith({ ...host, host_key_fingerprint: fp[1] ?? "" });
    expect((await configured.shell.exec(["echo", "ok"])).stdout).toBe("ok\n");
    await configured.shell.close();

    // 5. The operator accepts the new key with the CLI; then connections work again.
    const configPath = join(dir, "opsdeck.yaml");
    await writeFile(configPath, `data_dir: ${dataDir}\nhosts:\n  edge:\n    type: ssh\n    address: 127.0.0.1\n    port: ${port}\n    user: ${env.sshUser}\n    key_path: ${env.sshKeyPath}\n`);
    const { stdout } = await execFileP(process.execPath, ["--import", "tsx", join(repoRoot, "src/main.ts"), "trust-host", "edge", fp[1] ?? "", "--config", configPath], { cwd: repoRoot, timeout: 60_000 });
    expect(stdout).toContain(`pinned ${fp[1]} for edge, replacing ${fp[0]}`);
    const accepted = await shellWith();
    expect((await accepted.shell.exec(["touch", marker])).code).toBe(0);
    await accepted.shell.close();
    expect(existsSync(marker)).toBe(true);
  });
});
