import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Host } from "../../src/config/schema.js";
import { OpsError } from "../../src/core/errors.js";
import { createDockerClientForHost, createHostShell } from "../../src/ops/adapters/create-host-shell.js";
import { loadTestEnv } from "../support/test-env.js";

const env = loadTestEnv();
const keyDir = dirname(env.sshKeyPath);
const sshDefaults = { type: "ssh", port: 22, command_timeout: 120_000, docker_socket: env.dockerSocket } as const;
const opts = { resolvePath: (p: string) => (p.startsWith("/") ? p : join(keyDir, p)), readSecretEnv: (): string | undefined => undefined };

describe("createHostShell / createDockerClientForHost", () => {
  it("builds a working SSH shell and a Docker client on the same connection from the config", async () => {
    const host: Host = { ...sshDefaults, address: env.sshHost, port: env.sshPort, user: env.sshUser, key_path: "id_ed25519", command_timeout: 20_000 };
    const shell = createHostShell("preview1", host, opts);
    const docker = createDockerClientForHost(host, shell);
    try {
      expect(shell.name).toBe("preview1");
      expect((await shell.exec(["id", "-un"])).stdout).toBe(`${env.sshUser}\n`);
      expect(await docker.listByLabel("opsdeck.test.create-host-shell")).toEqual([]);
      const err = await shell.exec(["sleep", "3"], { timeoutMs: 300 }).catch((e: unknown) => e);
      expect((err as OpsError).code).toBe("timeout");
    } finally {
      await docker.close();
      await shell.close();
    }
  });

  it("builds the local shell and the local Docker client", async () => {
    const host: Host = { type: "local", command_timeout: 120_000, docker_socket: env.dockerSocket };
    const shell = createHostShell("local", host, opts);
    const docker = createDockerClientForHost(host, shell);
    try {
      expect((await shell.exec(["echo", "hi"])).stdout).toBe("hi\n");
      expect(await docker.listByLabel("opsdeck.test.create-host-shell")).toEqual([]);
    } finally {
      await docker.close();
      await shell.close();
    }
  });

  it("says which variable is missing when the key passphrase is not set", () => {
    const host: Host = { ...sshDefaults, address: env.sshHost, user: env.sshUser, key_path: "id_ed25519", key_passphrase_env: "PREVIEW1_KEY_PASSPHRASE" };
    let err: unknown;
    try {
      createHostShell("preview1", host, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("config");
    expect((err as Error).message).toContain("PREVIEW1_KEY_PASSPHRASE");
  });

  it("reports an unreadable key file as a config problem", async () => {
    const host: Host = { ...sshDefaults, address: env.sshHost, port: env.sshPort, user: env.sshUser, key_path: "no-such-key" };
    const shell = createHostShell("preview1", host, opts);
    const err = await shell.exec(["true"]).catch((e: unknown) => e);
    expect((err as OpsError).code).toBe("config");
    expect((err as Error).message).toContain("no-such-key");
    await shell.close();
  });
});
