import { StringDecoder } from "node:string_decoder";
import type { Client, ClientChannel } from "ssh2";
import { createBoundedOutput, DEFAULT_OUTPUT_LIMIT_BYTES, STREAMED_OUTPUT_LIMIT_BYTES } from "./bounded-output.js";
import { commandFailedError, commandNotRunError, HostCommandTimeoutError } from "./host-command-failure.js";
import type { ExecOptions, ExecResult } from "./host-shell.js";
import type { Live } from "./ssh-connect.js";
import { signalChannel, signalExitCode } from "./signal-ssh-channel.js";

/** A signal the server cannot deliver is harmless; a process left running after a timeout is not. */
const TIMEOUT_SIGNAL = "KILL";
/** How long a timed-out command may take to confirm it was killed before we give up waiting. */
const KILL_CONFIRM_MS = 2000;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface SshExecChannelOptions {
  /** Written to the command's standard input, then closed (closed at once when absent). */
  stdin?: string | undefined;
  onChannel?: (channel: ClientChannel) => void;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
}

export interface SshExecEnd {
  code: number | null;
  signal: string | null;
}

/**
 * Run one command line on an ssh2 connection and hand every output chunk to the callbacks as it
 * arrives. Unlike node-ssh's `execCommand`, nothing is accumulated here: the caller decides what
 * to keep (see bounded-output.ts), so a command printing gigabytes costs no memory.
 */
export function execSshChannel(client: Client, command: string, options: SshExecChannelOptions): Promise<SshExecEnd> {
  return new Promise<SshExecEnd>((resolve, reject) => {
    client.on("error", reject);
    const started = (err: Error | undefined, channel: ClientChannel): void => {
      client.removeListener("error", reject);
      if (err) {
        reject(err);
        return;
      }
      options.onChannel?.(channel);
      channel.on("data", (chunk: Buffer) => options.onStdout(chunk));
      channel.stderr.on("data", (chunk: Buffer) => options.onStderr(chunk));
      if (options.stdin !== undefined) channel.write(options.stdin);
      channel.end();
      let code: number | null = null;
      let signal: string | null = null;
      channel.on("exit", (c: number | null, s?: string) => {
        code = c ?? null;
        signal = s ?? null;
      });
      channel.on("close", () => resolve({ code, signal }));
    };
    try {
      client.exec(command, {}, started);
    } catch (e) {
      // ssh2 throws "Not connected" synchronously when the socket is already gone.
      client.removeListener("error", reject);
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

export interface RunOnConnectionContext {
  /** The host's name (errors) and `user@address:port` (a dropped connection's error). */
  name: string;
  where: string;
  timeoutMs: number;
  outputLimitBytes?: number;
  /** Called once the server opened the command's channel (the command may have had effects). */
  onStarted(): void;
}

/**
 * Run a raw command line (already quoted) on an open connection: bounded output, streamed
 * callbacks, a timeout that kills the remote process group and waits briefly for the kill to be
 * confirmed. Throws `OpsError` for a timeout, a failed command or a missing exit status; any
 * other error is the connection's (the caller decides whether to retry).
 */
export async function runOnConnection(conn: Live, command: string, argv: readonly string[], opts: ExecOptions, ctx: RunOnConnectionContext): Promise<ExecResult> {
  const { name, where, timeoutMs } = ctx;
  const out = new StringDecoder("utf8");
  const err = new StringDecoder("utf8");
  const outputLimit = ctx.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
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
      ctx.onStarted();
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
}
