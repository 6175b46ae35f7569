import type { Host } from "../../config/schema.js";
import { OpsError } from "../../core/errors.js";
import { Secret } from "../../core/secret.js";
import type { DockerClient } from "./docker-client.js";
import { createDockerClient } from "./dockerode-client.js";
import type { HostKeyPins } from "./host-key-pins.js";
import type { HostShell } from "./host-shell.js";
import { createLocalHostShell } from "./local-host-shell.js";
import { createSshHostShell, type SshHostShell } from "./ssh-host-shell.js";

export interface CreateHostShellOptions {
  /** Resolve a path from the config (e.g. a key path relative to the config file). */
  resolvePath(p: string): string;
  /** Read a secret environment variable by name (for the key passphrase). */
  readSecretEnv(name: string): string | undefined;
  /** Trust-on-first-use pins for SSH hosts without host_key_fingerprint (see host-key-pins.ts). */
  hostKeys?: HostKeyPins;
}

/** The shell for one configured host: the local machine or an SSH connection (opened lazily). */
export function createHostShell(name: string, host: Host, opts: CreateHostShellOptions): HostShell {
  const limits = {
    ...(host.output_limit_bytes !== undefined ? { outputLimitBytes: host.output_limit_bytes } : {}),
    ...(host.read_limit_bytes !== undefined ? { readLimitBytes: host.read_limit_bytes } : {}),
  };
  if (host.type === "local") return createLocalHostShell({ name, commandTimeoutMs: host.command_timeout, ...limits });
  const pins = opts.hostKeys;
  let passphrase: Secret | undefined;
  if (host.key_passphrase_env !== undefined) {
    const value = opts.readSecretEnv(host.key_passphrase_env);
    if (value === undefined || value === "") {
      throw new OpsError("config", `host ${name}: the environment variable ${host.key_passphrase_env} (key passphrase) is not set`, `Set ${host.key_passphrase_env} in the bot's environment, or remove key_passphrase_env if the key has no passphrase.`);
    }
    passphrase = new Secret(value);
  }
  return createSshHostShell({
    name,
    address: host.address,
    port: host.port,
    user: host.user,
    keyPath: host.key_path.startsWith("~/") ? host.key_path : opts.resolvePath(host.key_path),
    commandTimeoutMs: host.command_timeout,
    ...limits,
    ...(passphrase ? { passphrase } : {}),
    ...(host.host_key_fingerprint ? { hostKeyFingerprint: host.host_key_fingerprint } : {}),
    ...(pins ? { checkHostKey: (fingerprint: string) => pins.check(name, `${host.address}:${host.port}`, fingerprint) } : {}),
  });
}

function isSshHostShell(shell: HostShell): shell is SshHostShell {
  return typeof (shell as Partial<SshHostShell>).connection === "function";
}

/**
 * The Docker client for a host: the local socket, or the remote socket forwarded over the SSH
 * connection that `shell` (made by `createHostShell` for the same host) already holds.
 */
export function createDockerClientForHost(host: Host, shell: HostShell): DockerClient {
  if (host.type === "local") return createDockerClient({ socketPath: host.docker_socket });
  if (!isSshHostShell(shell)) {
    throw new Error(`createDockerClientForHost: host ${shell.name} is an SSH host but its shell has no SSH connection`);
  }
  return createDockerClient({ ssh: shell, socketPath: host.docker_socket });
}
