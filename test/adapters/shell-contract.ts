// The behaviour every HostShell must have, run against the local shell and the SSH shell.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { HostCommandError, OpsError } from "../../src/core/errors.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { uniqueName } from "../support/test-env.js";

const execFileP = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Command lines of all processes on this machine (the SSH host is this machine too). */
export async function processList(): Promise<string> {
  const { stdout } = await execFileP("ps", ["-eo", "user:20,args"], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export interface ShellContractOptions {
  shell: () => HostShell;
  /** A scratch directory on the host the shell reaches, writable by its user. */
  scratchDir: () => string;
}

export function shellContract({ shell, scratchDir }: ShellContractOptions): void {
  it("returns stdout, stderr and exit code 0", async () => {
    const r = await shell().exec(["sh", "-c", 'printf "out\\n"; printf "err\\n" >&2']);
    expect(r).toEqual({ code: 0, stdout: "out\n", stderr: "err\n", truncated: false });
  });

  it("throws HostCommandError on a non-zero exit, naming only the command and keeping the stderr tail", async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line${i}`).join("\\n");
    const err = await shell()
      .exec(["sh", "-c", `printf "${lines}\\n" >&2; exit 3`, "sh", "a-long-argument-that-must-not-appear"])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCommandError);
    const e = err as HostCommandError;
    expect(e.exitCode).toBe(3);
    expect(e.code).toBe("remote_failed");
    expect(e.message).toContain("`sh`");
    expect(e.message).toContain("exited with code 3");
    expect(e.message).not.toContain("a-long-argument");
    expect(e.stderr.split("\n")).toHaveLength(20);
    expect(e.stderr.split("\n").at(-1)).toBe("line39");
    expect(e.nextStep.length).toBeGreaterThan(0);
  });

  it("resolves with the exit code when allowFailure is set", async () => {
    const r = await shell().exec(["sh", "-c", "echo no >&2; exit 7"], { allowFailure: true });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("no\n");
  });

  it("reports a missing program as a failure", async () => {
    const err = await shell().exec(["opsdeck-no-such-program-xyz"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCommandError);
  });

  it("streams stdout and stderr while the command runs", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await shell().exec(["sh", "-c", "echo a; sleep 0.3; echo b; echo c >&2"], {
      onStdout: (s) => out.push(s),
      onStderr: (s) => err.push(s),
    });
    expect(out.join("")).toBe("a\nb\n");
    expect(out.length).toBeGreaterThanOrEqual(2); // two separate chunks: really streamed
    expect(err.join("")).toBe("c\n");
    expect(r.stdout).toBe("a\nb\n");
  });

  it("keeps a bounded head and tail of a 50 MiB output, with the truncated flag, in bounded memory", async () => {
    // Retained memory, not garbage: collect before each sample (V8's gc, exposed for this test).
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const mem = (): { heap: number; all: number } => {
      gc();
      const m = process.memoryUsage();
      return { heap: m.heapUsed, all: m.heapUsed + m.arrayBuffers };
    };
    const base = mem();
    const peak = { heap: 0, all: 0 };
    const sample = (): void => {
      const m = mem();
      peak.heap = Math.max(peak.heap, m.heap - base.heap);
      peak.all = Math.max(peak.all, m.all - base.all);
    };
    const sampler = setInterval(sample, 50);
    let r;
    try {
      r = await shell().exec(["sh", "-c", 'echo HEAD-MARK; head -c 52428800 /dev/zero | tr "\\0" x; echo; echo TAIL-MARK; echo err-end >&2']);
    } finally {
      clearInterval(sampler);
    }
    sample();
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(r.stdout)).toBeLessThanOrEqual(1024 * 1024);
    expect(Buffer.byteLength(r.stdout)).toBeGreaterThan(1000 * 1024);
    expect(r.stdout.startsWith("HEAD-MARK\nxxx")).toBe(true);
    expect(r.stdout.endsWith("xxx\nTAIL-MARK\n")).toBe(true);
    expect(r.stdout).toMatch(/\[\d+ bytes of output omitted\]/);
    expect(r.stderr).toBe("err-end\n");
    // 50 MiB kept as a string would be 50 MiB of heap at least; the cap is 1 MiB per stream.
    // Buffers in flight (ssh2 holds ~30 MiB of socket and window buffers, whatever the output
    // size: 200 MiB measured the same) count in `all`, not in `heap`.
    expect(peak.heap).toBeLessThan(8 * 1024 * 1024);
    expect(peak.all).toBeLessThan(48 * 1024 * 1024);
  });

  it("does not accumulate a streamed output: the callback sees all of it, the result only its end", async () => {
    let seen = 0;
    let last = "";
    const r = await shell().exec(["sh", "-c", 'head -c 5242880 /dev/zero | tr "\\0" y; echo END'], {
      onStdout: (s) => {
        seen += s.length;
        last = (last + s).slice(-10);
      },
    });
    expect(seen).toBe(5 * 1024 * 1024 + 4);
    expect(last.endsWith("yyyEND\n")).toBe(true);
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(r.stdout)).toBeLessThanOrEqual(16 * 1024);
    expect(r.stdout.endsWith("yEND\n")).toBe(true);
  });

  it("keeps multi-byte UTF-8 intact", async () => {
    const text = "größe ✓ 日本".repeat(2000);
    const r = await shell().exec(["cat"], { stdin: text });
    expect(r.stdout).toBe(text);
  });

  it("passes hostile arguments literally and never runs them", async () => {
    const canary = `/tmp/${uniqueName("canary")}`;
    const hostile = [
      `$(touch ${canary})`,
      `\`touch ${canary}\``,
      `a;touch ${canary}`,
      `a && touch ${canary}`,
      `| touch ${canary}`,
      "'",
      `'"'"'; touch ${canary}; '`,
      "line1\nline2",
      "$HOME ${HOME} * ? ~",
      "-n",
      " lead and trail ",
      "",
      "back\\slash",
    ];
    for (const arg of hostile) {
      const r = await shell().exec(["printf", "%s", arg]);
      expect(r.stdout).toBe(arg);
    }
    const all = await shell().exec(["sh", "-c", 'for a in "$@"; do printf "%s\\0" "$a"; done', "sh", ...hostile]);
    expect(all.stdout.split("\0").slice(0, -1)).toEqual(hostile);
    expect(existsSync(canary)).toBe(false);
  });

  it("runs in cwd, even a directory with a hostile name", async () => {
    const canary = `/tmp/${uniqueName("canary")}`;
    const dir = `${scratchDir()}/a b $(touch ${canary}) ';x`;
    await shell().writeFile(`${dir}/f.txt`, "x");
    const r = await shell().exec(["pwd"], { cwd: dir });
    expect(r.stdout).toBe(`${dir}\n`);
    expect(existsSync(canary)).toBe(false);
    const missing = await shell().exec(["pwd"], { cwd: `${scratchDir()}/does-not-exist` }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HostCommandError);
  });

  it("feeds stdin and closes it; a secret on stdin never shows in the process list", async () => {
    const secret = `s3cret-${uniqueName("x")}`;
    const file = `${scratchDir()}/${uniqueName("secret")}`;
    const running = shell().exec(["sh", "-c", 'IFS= read -r s; sleep 2; printf %s "$s" > "$1"', "sh", file], { stdin: `${secret}\n` });
    let ps = "";
    for (let i = 0; i < 50 && !ps.includes(file); i++) {
      await sleep(100);
      ps = await processList();
    }
    expect(ps).toContain(file); // the command itself was visible…
    expect(ps).not.toContain(secret); // …but not the secret
    await running;
    expect(await shell().readFile(file)).toBe(secret);
    const r = await shell().exec(["cat"]); // no stdin given: closed at once, cat ends
    expect(r.stdout).toBe("");
  });

  it("kills the command and its children on timeout", async () => {
    const mark = `30.${1000 + Math.floor(Math.random() * 9000)}`; // a unique `sleep` to look for
    const marker = `${scratchDir()}/${uniqueName("late")}`;
    const started = Date.now();
    const err = await shell()
      .exec(["sh", "-c", `sleep ${mark}; touch "$1"`, "sh", marker], { timeoutMs: 1000 })
      .catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(HostCommandError);
    expect((err as HostCommandError).code).toBe("timeout");
    expect((err as Error).message).toMatch(/timed out after 1000 ms/);
    expect(took).toBeLessThan(5000);
    const left = async (): Promise<string[]> => (await processList()).split("\n").filter((l) => l.includes(`sleep ${mark}`));
    for (let i = 0; i < 20 && (await left()).length > 0; i++) await sleep(100); // a loaded host may take a moment
    expect(await left()).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });

  it("writes files atomically with the given mode and reads them back", async () => {
    const dir = `${scratchDir()}/${uniqueName("wf")}/nested/deeper`;
    const path = `${dir}/.env`;
    await shell().writeFile(path, "A=1\nB=$x\n", 0o600);
    expect((await shell().exec(["stat", "-c", "%a", path])).stdout.trim()).toBe("600");
    expect(await shell().readFile(path)).toBe("A=1\nB=$x\n");
    await shell().writeFile(path, "replaced", 0o640);
    expect((await shell().exec(["stat", "-c", "%a", path])).stdout.trim()).toBe("640");
    expect(await shell().readFile(path)).toBe("replaced");
    expect((await shell().exec(["ls", "-A", dir])).stdout).toBe(".env\n"); // no temp files left
    const big = "x".repeat(300_000) + "end";
    await shell().writeFile(`${dir}/big`, big);
    expect(await shell().readFile(`${dir}/big`)).toBe(big);
  });

  it("refuses to read a file larger than the read limit", async () => {
    const path = `${scratchDir()}/${uniqueName("huge")}`;
    await shell().exec(["sh", "-c", 'head -c 17825792 /dev/zero > "$1"', "sh", path]); // 17 MiB > 16 MiB
    const err = await shell().readFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as Error).message).toMatch(/larger than the read limit of 16777216 bytes/);
    await shell().exec(["rm", "-f", "--", path]);
  });

  it("returns null for a missing file", async () => {
    expect(await shell().readFile(`${scratchDir()}/${uniqueName("missing")}`)).toBeNull();
  });
}
