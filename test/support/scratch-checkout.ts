// A scratch checkout for tests of the launcher and the dist/ build (bin/opsdeck.mjs, bin/build-dist.mjs):
// the launcher files and package.json copied, src/ linked (or copied, for a test that edits it),
// node_modules and any other paths linked, so the real dist/ is never touched. Removed after the file.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";

export const repo = resolve(new URL("../..", import.meta.url).pathname);
/** What bin/opsdeck.mjs needs beside src/ to build and start. */
const LAUNCHER_FILES = ["bin/opsdeck.mjs", "bin/build-dist.mjs", "bin/dist-layout.mjs", "package.json", "tsconfig.json"];

export function scratchCheckout(prefix: string, options: { copySrc?: boolean; link?: string[] } = {}): string {
  const scratch = mkdtempSync(join(tmpdir(), `${prefix}-`));
  mkdirSync(join(scratch, "bin"));
  for (const f of LAUNCHER_FILES) copyFileSync(join(repo, f), join(scratch, f));
  if (options.copySrc) cpSync(join(repo, "src"), join(scratch, "src"), { recursive: true });
  else symlinkSync(join(repo, "src"), join(scratch, "src"));
  for (const p of ["node_modules", ...(options.link ?? [])]) symlinkSync(join(repo, p), join(scratch, p));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  return scratch;
}

/** The shipped console config with its data dir in the scratch checkout and the HTTP server off. */
export function scratchConsoleConfig(scratch: string, dataDir = join(scratch, "data")): string {
  const config = join(scratch, "opsdeck.yaml");
  writeFileSync(config, readFileSync(join(repo, "config", "opsdeck.yaml"), "utf8").replace(/^data_dir: .*$/m, `data_dir: ${dataDir}`).replace(/^(http:\s*\n\s*enabled:) true/m, "$1 false"));
  return config;
}
