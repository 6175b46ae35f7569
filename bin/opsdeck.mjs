#!/usr/bin/env node
// Runs the compiled bot (dist/main.js). When dist/ is missing or older than src/, it is built
// first with the project's TypeScript (one `tsc -p tsconfig.build.json`, a few seconds, once).
// Compiled JS starts faster and uses less memory than the tsx loader; `npm run dev` keeps tsx.
// Without TypeScript installed (e.g. `npm ci --omit=dev` and no dist/), it falls back to tsx.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// tsc rewrites every output on each build, so dist/main.js dates the last build.
const built = join(root, "dist", "main.js");

/** Newest modification time (ms) of the sources a build depends on. */
function newestSource() {
  let newest = Math.max(statSync(join(root, "tsconfig.json")).mtimeMs, statSync(join(root, "tsconfig.build.json")).mtimeMs);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, "src"));
  return newest;
}

function isStale() {
  if (!existsSync(join(root, "src"))) return false; // an image with only dist/
  if (!existsSync(built)) return true;
  return statSync(built).mtimeMs < newestSource();
}

function findTsc() {
  try {
    return createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
  } catch {
    return undefined;
  }
}

if (isStale()) {
  const tsc = findTsc();
  if (tsc === undefined) {
    process.stderr.write("opsdeck: dist/ is missing or stale and TypeScript is not installed; running the sources through tsx (slower start)\n");
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(join(root, "src", "main.ts")).href);
  } else {
    process.stderr.write("opsdeck: building dist/ (sources changed since the last build)…\n");
    const started = Date.now();
    const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) {
      process.stderr.write("opsdeck: the build failed (errors above); fix them or run `npm run dev` to start from the sources\n");
      process.exit(70);
    }
    process.stderr.write(`opsdeck: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    await import(pathToFileURL(built).href);
  }
} else {
  await import(pathToFileURL(built).href);
}
