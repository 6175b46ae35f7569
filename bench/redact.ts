/**
 * Redactor bench: N registered secrets (preview-style base64url credentials), one 2 KB log-like
 * text, median time per `redact()` call. "before" is the redactor at git HEAD~ (or $REDACT_BASE),
 * loaded from git in the same run; before and after are measured in interleaved rounds.
 *
 *   npx tsx bench/redact.ts            # 5,000 and 10,000 secrets
 *   REDACT_BASE=<commit> npx tsx bench/redact.ts
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRedactor } from "../src/core/redact.js";

type RedactFn = ((text: string) => string) & { add(secret: string): void };

const root = resolve(import.meta.dirname, "..");
const base = process.env.REDACT_BASE ?? "0903f87";
const ROUNDS = 7;
const CALLS = 200;

async function loadOld(): Promise<(initial: string[]) => RedactFn> {
  const source = execFileSync("git", ["show", `${base}:src/core/redact.ts`], { cwd: root, encoding: "utf8" });
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-bench-redact-"));
  const file = join(dir, "old-redact.ts");
  writeFileSync(file, source.replace('"./secret.js"', JSON.stringify(pathToFileURL(join(root, "src/core/secret.ts")).href)));
  try {
    const mod = (await import(pathToFileURL(file).href)) as { createRedactor: (initial: string[]) => RedactFn };
    return mod.createRedactor;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function text2k(planted: string): string {
  const words = "deploy preview feature-x sha-abc1234 pulled image ghcr.io/acme/web healthy container started took ms".split(" ");
  let t = "";
  for (let i = 0; t.length < 2048 - planted.length - 2; i++) t += `${words[(i * 7) % words.length]}${i % 13 === 0 ? "\n" : " "}`;
  return `${t.slice(0, 1000)} ${planted} ${t.slice(1000)}`.slice(0, 2048);
}

function medianMs(fn: (t: string) => string, text: string): number {
  const times: number[] = [];
  for (let k = 0; k < CALLS; k++) {
    const t0 = performance.now();
    fn(text);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const createOld = await loadOld();
  for (const n of [5_000, 10_000]) {
    const secrets = Array.from({ length: n }, () => randomBytes(24).toString("base64url"));
    const t0 = performance.now();
    const old = createOld(secrets);
    const oldFill = performance.now() - t0;
    const t1 = performance.now();
    const now = createRedactor(secrets);
    const newFill = performance.now() - t1;
    const text = text2k(`token=${secrets[n >> 1]!.slice(0, 20)} leaked ${secrets[7]!}`);
    if (now(text).includes(secrets[7]!) || old(text).includes(secrets[7]!)) throw new Error("a planted secret was not redacted");
    for (let w = 0; w < 50; w++) { old(text); now(text); }
    const before: number[] = [];
    const after: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      before.push(medianMs(old, text));
      after.push(medianMs(now, text));
    }
    const b = median(before);
    const a = median(after);
    console.log(`${n} secrets, ${text.length} B text: before ${b.toFixed(3)} ms/call, after ${a.toFixed(4)} ms/call (${(b / a).toFixed(0)}x); registering all: before ${oldFill.toFixed(0)} ms, after ${newFill.toFixed(0)} ms`);
    console.log(`  rounds before: ${before.map((x) => x.toFixed(3)).join(" ")}`);
    console.log(`  rounds after:  ${after.map((x) => x.toFixed(4)).join(" ")}`);
  }
}

await main();
