import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { Semaphore } from "async-mutex";
import type { Client, SFTPWrapper } from "ssh2";
import { OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import { quoteArg, quoteArgv } from "../../core/shell-quote.js";
import { commandNotRunError } from "./host-command-failure.js";
import type { ExecOptions, ExecResult, HostShell } from "./host-shell.js";
import { DEFAULT_READ_LIMIT_BYTES, fileTooLargeError } from "./local-host-shell.js";
import { connectSsh, type Live } from "./ssh-connect.js";
import { runOnConnection } from "./ssh-run-command.js";
import { SFTP_NO_SUCH_FILE, SftpFileTooLargeError, sftpReadFileCapped, sftpWriteFileAtomic } from "./ssh-sftp.js";

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
  /**
   * Run `listener` each time a new connection is opened after an earlier one was lost (not on
   * the first connection, e.g. the host or its sshd restarted). Errors it throws or rejects with
   * are ignored. Returns a function that removes it.
   */
  onReconnect(listener: () => void | Promise<void>): () => void;
};

export { sshKeyFingerprint } from "./ssh-connect.js";

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
  let opened = 0;
  const reconnectListeners = new Set<() => void | Promise<void>>();
  const where = `${user}@${address}:${port}`;

  const connect = (): Promise<Live> =>
    connectSsh(options, (state) => {
      if (live === state) live = null;
    });

  function getLive(): Promise<Live> {
    if (live?.alive) return Promise.resolve(live);
    if (connecting === null) {
      connecting = connect().then(
        (state) => {
          connecting = null;
          if (state.alive) live = state;
          if (opened++ > 0) {
            // After this call has its connection: a listener's own commands reuse it.
            for (const listener of [...reconnectListeners]) setImmediate(() => void Promise.resolve().then(listener).catch(() => {}));
          }
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
      return await runOnConnection(state, command, argv, opts, {
        name,
        where,
        timeoutMs,
        ...(options.outputLimitBytes !== undefined ? { outputLimitBytes: options.outputLimitBytes } : {}),
        onStarted: () => {
          started = true;
        },
      });
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
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
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

