// Temp directories (and things living in them) that a test file leaves behind are removed when the
// file ends: a file-level `afterAll`, registered by importing this module, closes what was handed to
// `atFileEnd` (newest first), then deletes every directory `tempDir` made.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

/** A fresh directory under the OS temp dir (`<prefix>XXXXXX`), removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Run `close` when the test file ends, before the temp dirs are removed (errors are ignored). */
export function atFileEnd(close: () => Promise<void>): void {
  closers.push(close);
}

try {
  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
} catch {
  // Imported outside a vitest file (a child process a test spawns, e.g. the killed bot in
  // preview-concurrency): there is no file to end; the parent test owns and removes the dirs.
}
