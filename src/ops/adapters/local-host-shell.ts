import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import { constants, homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { OpsError } from "../../core/errors.js";
import { createBoundedOutput, DEFAULT_OUTPUT_LIMIT_BYTES, STREAMED_OUTPUT_LIMIT_BYTES } from "./bounded-output.js";
import { commandFailedError, commandNotRunError, HostCommandTimeoutError } from "./host-command-failure.js";
import type { ExecOptions, ExecResult, HostShell } from "./host-shell.js";

export interface LocalHostShellOptions {
  /** The host's name from the config, used in error messages. */
  name: string;
  /** Default per-command timeout. */
  commandTimeoutMs: number;
  /** Bytes of each output stream a result keeps (head + tail); default 1 MiB. */
  outputLimitBytes?: number;
  /** Largest file `readFile` returns; default 16 MiB. */
  readLimitBytes?: number;
}

/** Default largest file `readFile` returns (they are `.env` files and small configs). */
export const DEFAULT_READ_LIMIT_BYTES = 16 * 1024 * 1024;

const LOCAL_NEXT_STEP = "Check the program is installed on the bot's machine and the working directory exists.";

/** `~/x` → `$HOME/x`; other paths unchanged. */
export function expandLocalHome(path: string): string {
  if (path === "~") return homedir();
  return path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

/**
 * The machine the bot runs on. Commands are spawned without a shell (`argv[0]` is the program,
 * the rest are its arguments verbatim), each in its own process group so a timeout kills the
 * command and everything it started.
 */
export function createLocalHostShell(options: LocalHostShellOptions): HostShell {
  const { name, commandTimeoutMs } = options;
  const outputLimit = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
  const readLimit = options.readLimitBytes ?? DEFAULT_READ_LIMIT_BYTES;

  function exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const program = argv[0];
    if (program === undefined || program === "") return Promise.reject(commandNotRunError(name, argv, "empty command", undefined, LOCAL_NEXT_STEP));
    const timeoutMs = opts.timeoutMs ?? commandTimeoutMs;
    const cwd = opts.cwd === undefined ? undefined : expandLocalHome(opts.cwd);
    return new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(program, argv.slice(1), {
        shell: false,
        detached: true, // own process group: the timeout kills the whole group
        cwd,
        stdio: ["pipe", "pipe", "pipe"],
      });
      const out = new StringDecoder("utf8");
      const err = new StringDecoder("utf8");
      const stdout = createBoundedOutput(opts.onStdout ? Math.min(outputLimit, STREAMED_OUTPUT_LIMIT_BYTES) : outputLimit);
      const stderr = createBoundedOutput(opts.onStderr ? Math.min(outputLimit, STREAMED_OUTPUT_LIMIT_BYTES) : outputLimit);
      let timedOut = false;
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutMs);

      child.stdout.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
        if (!opts.onStdout) return;
        const s = out.write(chunk);
        if (s) opts.onStdout(s);
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr.push(chunk);
        if (!opts.onStderr) return;
        const s = err.write(chunk);
        if (s) opts.onStderr(s);
      });
      // The command may exit without reading its input; EPIPE here is not our failure.
      child.stdin.on("error", () => {});
      child.stdin.end(opts.stdin ?? "");

      child.on("error", (e: NodeJS.ErrnoException) => {
        // spawn reports a missing working directory as ENOENT of the program: say which it was.
        const reason = e.code === "ENOENT" && cwd !== undefined && !existsSync(cwd) ? `working directory ${cwd} does not exist` : e.message;
        finish(() => reject(commandNotRunError(name, argv, reason, e, LOCAL_NEXT_STEP)));
      });
      child.on("close", (code, signal) => {
        const restOut = out.end();
        if (restOut && opts.onStdout) opts.onStdout(restOut);
        const restErr = err.end();
        if (restErr && opts.onStderr) opts.onStderr(restErr);
        finish(() => {
          if (timedOut) return reject(new HostCommandTimeoutError(name, argv, timeoutMs, stderr.text()));
          // Killed by a signal: report it the way a shell does (128 + signal number).
          const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
          const result: ExecResult = { code: exitCode, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated };
          if (exitCode === 0 || opts.allowFailure) return resolve(result);
          reject(commandFailedError(name, argv, result, signal));
        });
      });
    });
  }

  async function writeFileAtomic(path: string, content: string, mode?: number): Promise<void> {
    const target = expandLocalHome(path);
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      // Created with the final mode (umask may only remove bits), so a secret is never readable
      // by others, not even for an instant; chmod then restores bits the umask removed.
      await writeFile(temp, content, { mode: mode ?? 0o644, flag: "wx" });
      if (mode !== undefined) await chmod(temp, mode);
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  async function readFileOrNull(path: string): Promise<string | null> {
    const target = expandLocalHome(path);
    let file;
    try {
      file = await open(target, "r");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    try {
      // Read in chunks and stop one byte past the limit: a file that grows while we read is refused too.
      const parts: Buffer[] = [];
      let len = 0;
      for (;;) {
        const { bytesRead, buffer } = await file.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, null);
        if (bytesRead === 0) break;
        parts.push(buffer.subarray(0, bytesRead));
        len += bytesRead;
        if (len > readLimit) throw fileTooLargeError(name, target, readLimit);
      }
      return Buffer.concat(parts).toString("utf8");
    } finally {
      await file.close();
    }
  }

  return {
    name,
    exec,
    writeFile: writeFileAtomic,
    readFile: readFileOrNull,
    async close() {},
  };
}

/** The refusal for a file over the read limit (shared by the SSH shell). */
export function fileTooLargeError(host: string, path: string, limit: number): OpsError {
  return new OpsError("remote_failed", `${host}: ${path} is larger than the read limit of ${limit} bytes; opsdeck reads only small files such as .env`, "Check the path is the file you meant; raise the host's read_limit_bytes only if it really is that large.");
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
