import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { posix } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { createBoundedOutput, DEFAULT_OUTPUT_LIMIT_BYTES, STREAMED_OUTPUT_LIMIT_BYTES } from "./bounded-output.js";
import { Semaphore } from "async-mutex";
import type { NodeSSH } from "node-ssh";
import type { Client, ClientChannel, SFTPWrapper } from "ssh2";
import { OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import { quoteArg, quoteArgv } from "../../core/shell-quote.js";
import { commandFailedError, commandNotRunError, HostCommandTimeoutError } from "./host-command-failure.js";
import type { ExecOptions, ExecResult, HostShell } from "./host-shell.js";
import { DEFAULT_READ_LIMIT_BYTES, expandLocalHome, fileTooLargeError } from "./local-host-shell.js";
import { execSshChannel } from "./ssh-exec-channel.js";
import { SftpFileTooLargeError, sftpReadFileCapped } from "./sftp-read-file.js";
import { SFTP_NO_SUCH_FILE, sftpWriteFileAtomic } from "./sftp-write-file.js";
import { signalChannel, signalExitCode } from "./signal-ssh-channel.js";

export interface SshHostShellOptions {
  /** The host's name from the config, used in error messages. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Private key file on the bot's machine (`~/` allowed). */
  keyPath: string;
  passphrase?: Secret;
  /** Default per-command timeout. */
  commandTimeoutMs: number;
  /** `SHA256:<base64>` of the host key, as `ssh-keygen -lf` prints it; any other key is refused. */
  hostKeyFingerprint?: string;
  /**
   * Asked about the host key when no `hostKeyFingerprint` is set (trust on first use, see
   * host-key-pins.ts); throws to refuse the key, before we authenticate.
   */
  checkHostKey?: (fingerprint: string) => Promise<void>;
  /**
   * Sessions (commands, SFTP) open at once on the one connection. OpenSSH's `MaxSessions`
   * defaults to 10; more callers wait their turn. Docker socket forwards do not count.
   */
  maxSessions?: number;
  /** Bytes of each output stream a result keeps (head + tail); default 1 MiB. */
  outputLimitBytes?: number;
  /** Largest file `readFile` returns over SFTP; default 16 MiB. */
  readLimitBytes?: number;
}

export type SshHostShell = HostShell & {
  /** The shared ssh2 connection (connected on demand), e.g. for forwarding the Docker socket. */
  connection(): Promise<Client>;
};

interface Live {
  ssh: NodeSSH;
  client: Client;
  alive: boolean;
  /** Forget this connection: the next call opens a new one. */
  drop(): void;
}

const KEEPALIVE_MS = 15_000;
/** A signal the server cannot deliver is harmless; a process left running after a timeout is not. */
const TIMEOUT_SIGNAL = "KILL";
/** How long a timed-out command may take to confirm it was killed before we give up waiting. */
const KILL_CONFIRM_MS = 2000;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `SHA256:…` fingerprint of a raw SSH public key blob (what OpenSSH prints). */
export function sshKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/**
 * A host reached over SSH (node-ssh on ssh2). One connection per host, opened on the first
 * call and shared by every caller; when it drops, the next call reconnects. A command whose
 * connection broke while it ran is not retried (it may have had effects); one that never
 * started is retried once on a fresh connection.
 */
export function createSshHostShell(options: SshHostShellOptions): SshHostShell {
  const { name, address, port, user, commandTimeoutMs } = options;
  const sessions = new Semaphore(options.maxSessions ?? 8);
  let live: Live | null = null;
  let connecting: Promise<Live> | null = null;
  let home: Promise<string> | null = null;
  const where = `${user}@${address}:${port}`;

  async function connect(): Promise<Live> {
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
      if (live === state) live = null;
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

  function getLive(): Promise<Live> {
    if (live?.alive) return Promise.resolve(live);
    if (connecting === null) {
      connecting = connect().then(
        (state) => {
          connecting = null;
          if (state.alive) live = state;
          return state;
        },
        (e: unknown) => {
          connecting = null;
          throw e;
        },
      );
    }
    return connecting;
  }

  /** Runs a raw command line (already quoted) on one session; `argv` only names it in errors. */
  async function run(command: string, argv: readonly string[], opts: ExecOptions, retried = false): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? commandTimeoutMs;
    const release = once(await sessions.acquire().then(([, r]) => r));
    let started = false;
    let state: Live | null = null;
    try {
      state = await getLive();
      const conn = state;
      const out = new StringDecoder("utf8");
      const err = new StringDecoder("utf8");
      const outputLimit = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
      const stdout = createBoundedOutput(opts.onStdout ? Math.min(outputLimit, STREAMED_OUTPUT_LIMIT_BYTES) : outputLimit);
      const stderr = createBoundedOutput(opts.onStderr ? Math.min(outputLimit, STREAMED_OUTPUT_LIMIT_BYTES) : outputLimit);
      let channel: ClientChannel | null = null;
      let timedOut = false;
      const kill = (ch: ClientChannel): void => {
        try {
          signalChannel(ch, TIMEOUT_SIGNAL); // OpenSSH delivers it to the session's process group
        } catch {
          // Channel already gone.
        }
        ch.close();
      };
      const running = execSshChannel(conn.client, command, {
        stdin: opts.stdin,
        onChannel: (ch) => {
          started = true;
          channel = ch;
          ch.on("error", () => {}); // surfaced as a missing exit status below
          if (timedOut) setImmediate(() => kill(ch));
        },
        onStdout: (chunk) => {
          stdout.push(chunk);
          if (!opts.onStdout) return;
          const s = out.write(chunk);
          if (s) opts.onStdout(s);
        },
        onStderr: (chunk) => {
          stderr.push(chunk);
          if (!opts.onStderr) return;
          const s = err.write(chunk);
          if (s) opts.onStderr(s);
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          if (channel) kill(channel);
          // Give the server a moment to confirm the kill (the channel closes), so that when the
          // caller sees the error the process is gone; never wait long for a dead host.
          const confirmed = running.then(
            () => {},
            () => {},
          );
          void Promise.race([confirmed, delay(KILL_CONFIRM_MS)]).then(() => reject(new HostCommandTimeoutError(name, argv, timeoutMs, stderr.text())));
        }, timeoutMs);
      });
      try {
        let response: Awaited<typeof running>;
        try {
          response = await Promise.race([running, timeout]);
        } catch (e) {
          if (timedOut) await timeout; // rejects with the timeout error
          throw e;
        }
        if (timedOut) await timeout; // the command ended because we killed it: still a timeout
        const restOut = out.end();
        if (restOut && opts.onStdout) opts.onStdout(restOut);
        const restErr = err.end();
        if (restErr && opts.onStderr) opts.onStderr(restErr);
        if (response.code === null && response.signal === null) {
          throw commandNotRunError(name, argv, conn.alive ? "the command ended without an exit status" : `the SSH connection to ${where} dropped while it ran`);
        }
        const code = response.code ?? signalExitCode(response.signal);
        const result: ExecResult = { code, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated };
        if (code === 0 || opts.allowFailure) return result;
        throw commandFailedError(name, argv, result, response.signal);
      } finally {
        clearTimeout(timer);
        timeout.catch(() => {});
      }
    } catch (e) {
      if (e instanceof OpsError) throw e;
      // ssh2 says "Not connected" when our side already ended the socket but its 'close' event
      // has not arrived yet: that connection is gone too.
      if (state !== null && /^(Not connected|No response from server)/.test((e as Error).message)) state.drop();
      const connectionGone = state !== null && !state.alive;
      if (!started && connectionGone && !retried) {
        release();
        return run(command, argv, opts, true);
      }
      throw commandNotRunError(name, argv, (e as Error).message, e);
    } finally {
      release();
    }
  }

  function remoteHome(): Promise<string> {
    if (home === null) {
      home = run(`printf %s "$HOME"`, ["printf"], {}).then(
        (r) => {
          if (!r.stdout.startsWith("/")) throw new OpsError("remote_failed", `${name}: the remote user's $HOME is not an absolute path`, "Set a home directory for the SSH user on the host.");
          return r.stdout;
        },
        (e: unknown) => {
          home = null;
          throw e;
        },
      );
    }
    return home;
  }

  async function resolvePath(path: string): Promise<string> {
    if (path === "~") return remoteHome();
    if (path.startsWith("~/")) return posix.join(await remoteHome(), path.slice(2));
    return path;
  }

  async function exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    let line: string;
    try {
      line = `exec ${quoteArgv(argv)}`;
    } catch (e) {
      throw commandNotRunError(name, argv, (e as Error).message, e);
    }
    if (opts.cwd !== undefined) line = `cd ${quoteArg(await resolvePath(opts.cwd))} && ${line}`;
    return run(line, argv, opts);
  }

  async function withSftp<T>(fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const release = await sessions.acquire().then(([, r]) => r);
    try {
      const state = await getLive();
      const sftp = await state.ssh.requestSFTP();
      try {
        return await fn(sftp);
      } finally {
        sftp.end();
      }
    } finally {
      release();
    }
  }

  async function writeFile(path: string, content: string, mode?: number): Promise<void> {
    const target = await resolvePath(path);
    const dir = posix.dirname(target);
    await exec(["mkdir", "-p", "--", dir]);
    const temp = posix.join(dir, `.${posix.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
    const data = Buffer.from(content, "utf8");
    try {
      await withSftp((sftp) => sftpWriteFileAtomic(sftp, temp, target, data, mode));
    } catch (e) {
      await exec(["rm", "-f", "--", temp], { allowFailure: true }).catch(() => {});
      if (e instanceof OpsError) throw e;
      throw new OpsError("remote_failed", `${name}: cannot write ${target}: ${(e as Error).message}`, "Check the directory exists and is writable by the SSH user, and the disk is not full.", { cause: e });
    }
  }

  async function readRemoteFile(path: string): Promise<string | null> {
    const target = await resolvePath(path);
    try {
      const buf = await withSftp((sftp) => sftpReadFileCapped(sftp, target, options.readLimitBytes ?? DEFAULT_READ_LIMIT_BYTES));
      return buf.toString("utf8");
    } catch (e) {
      if (e instanceof SftpFileTooLargeError) throw fileTooLargeError(name, target, e.limit);
      if ((e as { code?: unknown }).code === SFTP_NO_SUCH_FILE) return null;
      if (e instanceof OpsError) throw e;
      throw new OpsError("remote_failed", `${name}: cannot read ${target}: ${(e as Error).message}`, "Check the file is readable by the SSH user.", { cause: e });
    }
  }

  return {
    name,
    exec,
    writeFile,
    readFile: readRemoteFile,
    async connection() {
      return (await getLive()).client;
    },
    async close() {
      const pending = connecting;
      const current = live;
      home = null;
      if (current) {
        current.drop();
        current.ssh.dispose();
      }
      // A connection still being opened is closed as soon as it is up.
      const late = pending ? await pending.catch(() => null) : null;
      if (late) {
        late.drop();
        late.ssh.dispose();
      }
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

