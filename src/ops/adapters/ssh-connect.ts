import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { NodeSSH } from "node-ssh";
import type { Client } from "ssh2";
import { OpsError } from "../../core/errors.js";
import { expandLocalHome } from "./local-host-shell.js";
import type { SshHostShellOptions } from "./ssh-host-shell.js";

/** One open SSH connection of an `SshHostShell`. */
export interface Live {
  ssh: NodeSSH;
  client: Client;
  alive: boolean;
  /** Forget this connection: the next call opens a new one. */
  drop(): void;
}

const KEEPALIVE_MS = 15_000;

/** `SHA256:…` fingerprint of a raw SSH public key blob (what OpenSSH prints). */
export function sshKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Open the connection: read the key, check the host key (the pinned fingerprint, or
 * `checkHostKey` on first use) before authenticating. `onDead` runs when the connection errors,
 * ends or closes (or is dropped).
 */
export async function connectSsh(options: SshHostShellOptions, onDead: (state: Live) => void): Promise<Live> {
  const { name, address, port, user, commandTimeoutMs } = options;
  const where = `${user}@${address}:${port}`;
  let privateKey: string;
  try {
    privateKey = await readFile(expandLocalHome(options.keyPath), "utf8");
  } catch (e) {
    throw new OpsError("config", `${name}: cannot read the SSH key file ${options.keyPath}: ${(e as Error).message}`, "Fix key_path for this host in the config, or create the key.", { cause: e });
  }
  let keyMismatch: string | null = null;
  let refusal: unknown;
  const { checkHostKey } = options;
  const expected = options.hostKeyFingerprint?.replace(/^SHA256:/, "").replace(/=+$/, "");
  // node-ssh and ssh2 load with the first connection: a bot whose hosts are all local never loads them.
  const { NodeSSH } = await import("node-ssh");
  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host: address,
      port,
      username: user,
      privateKey,
      passphrase: options.passphrase?.reveal(),
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: 3,
      readyTimeout: Math.min(commandTimeoutMs, 20_000),
      hostVerifier:
        expected !== undefined
          ? (key: Buffer): boolean => {
              const got = sshKeyFingerprint(key);
              if (got === `SHA256:${expected}`) return true;
              keyMismatch = got;
              return false;
            }
          : checkHostKey === undefined
            ? undefined
            : (key: Buffer, verify: (ok: boolean) => void): void => {
                checkHostKey(sshKeyFingerprint(key)).then(
                  () => verify(true),
                  (err: unknown) => {
                    refusal = err;
                    verify(false);
                  },
                );
              },
    });
  } catch (e) {
    ssh.dispose();
    if (refusal !== undefined) throw refusal;
    if (keyMismatch !== null) {
      throw new OpsError(
        "config",
        `${name}: the SSH host key of ${address}:${port} is ${keyMismatch}, not the configured host_key_fingerprint`,
        "If the host was rebuilt, check its new key (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host) and update host_key_fingerprint; otherwise do not connect.",
        { cause: e },
      );
    }
    throw new OpsError("remote_failed", `${name}: cannot connect to ${where}: ${(e as Error).message}`, "Check the host is up, the address and port are right, and the key is authorised for the user.", { cause: e });
  }
  const client = ssh.connection;
  if (client === null) throw new OpsError("remote_failed", `${name}: the SSH connection to ${where} closed right after it opened`, "Try again; check the server's sshd log.");
  const dead = (): void => {
    state.alive = false;
    onDead(state);
  };
  const state: Live = { ssh, client, alive: true, drop: dead };
  // Many small request/response exchanges (commands, SFTP, Docker API): without this, Nagle's
  // algorithm and delayed ACKs add ~40 ms to many of them.
  client.setNoDelay(true);
  client.on("error", dead); // also keeps an error after connect from being thrown as uncaught
  client.on("end", dead);
  client.on("close", dead);
  return state;
}
