/**
 * Runs commands on a host: the local machine or one reached over SSH.
 * Commands are argv arrays; implementations never pass user text through a shell unquoted.
 * Secrets travel by `stdin` or by `writeFile`, never on a command line.
 */
export interface ExecOptions {
  /** Working directory on the host. */
  cwd?: string;
  /** Written to the command's standard input, then closed. */
  stdin?: string;
  /** Kill the command after this many milliseconds (default from the host config). */
  timeoutMs?: number;
  /**
   * Streamed output, line-buffered not guaranteed. A streamed stream is not accumulated: the
   * result keeps only its last few KiB (for an error's tail); the callback sees everything.
   */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

/**
 * What a command printed, bounded: each stream keeps at most the host's output limit (head and
 * tail, default 1 MiB), so a command printing gigabytes cannot exhaust the bot's memory.
 */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the middle of stdout or stderr was left out to stay within the limit. */
  truncated: boolean;
}

export interface HostShell {
  /** The host's name from the config (`local`, `preview1`…). */
  readonly name: string;
  /** Run one command. Throws `HostCommandError` on non-zero exit unless `allowFailure`. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Write a file with the given mode (e.g. 0o600) atomically, creating parent directories. */
  writeFile(path: string, content: string, mode?: number): Promise<void>;
  /** Read a file; `null` when it does not exist. Refuses a file larger than the host's read limit. */
  readFile(path: string): Promise<string | null>;
  /** Close connections. */
  close(): Promise<void>;
}
