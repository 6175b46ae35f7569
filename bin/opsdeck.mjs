#!/usr/bin/env node
// Runs the compiled bot (the current build in dist/, see bin/dist-layout.mjs). When dist/ is missing or older than src/ (or the build script,
// package.json or the installed packages, some of which are bundled in), it is built first with
// bin/build-dist.mjs (esbuild, a second or two; the same build as `npm run build` and the Dockerfile).
// Compiled JS starts faster and uses less memory than the tsx loader; `npm run dev` keeps tsx.
// Without esbuild installed and no fresh dist/, it falls back to running the sources through tsx.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { currentBuildId, currentBuiltAt, currentEntry, markInUse } from "./dist-layout.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

/** Newest modification time (ms) of what a build depends on. */
function newestSource() {
  const inputs = ["tsconfig.json", "package.json", join("bin", "build-dist.mjs"), join("bin", "dist-layout.mjs"), join("node_modules", ".package-lock.json")];
  let newest = 0;
  for (const f of inputs) if (existsSync(join(root, f))) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
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
  const builtAt = currentBuiltAt(dist); // 0: no build yet
  return builtAt === 0 || builtAt < newestSource();
}

function hasEsbuild() {
  try {
    createRequire(join(root, "package.json")).resolve("esbuild");
    return true;
  } catch {
    return false;
  }
}

/** Start the current build. The bot imports its lazy chunks from that build's directory for as long
 * as it runs, so later builds (which only add directories and switch dist/current) never affect it. */
async function startCurrentBuild() {
  const id = currentBuildId(dist);
  const entry = currentEntry(dist);
  if (id === undefined || entry === undefined) {
    process.stderr.write("opsdeck: dist/ has no complete build; run `npm run build`\n");
    process.exit(70);
  }
  markInUse(dist, id);
  await import(pathToFileURL(entry).href);
}

if (isStale()) {
  if (!hasEsbuild()) {
    process.stderr.write("opsdeck: dist/ is missing or stale and esbuild is not installed; running the sources through tsx (slower start)\n");
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(join(root, "src", "main.ts")).href);
  } else {
    process.stderr.write("opsdeck: building dist/ (sources changed since the last build)…\n");
    // A child process, so esbuild's service and memory stay out of the bot's process.
    const r = spawnSync(process.execPath, [join(root, "bin", "build-dist.mjs")], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) {
      process.stderr.write("opsdeck: the build failed (errors above); fix them or run `npm run dev` to start from the sources\n");
      process.exit(70);
    }
    await startCurrentBuild();
  }
} else {
  await startCurrentBuild();
}
