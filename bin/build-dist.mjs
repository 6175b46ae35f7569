#!/usr/bin/env node
// Builds dist/ from src/ with esbuild: one ESM entry (dist/builds/<id>/main.js) plus shared chunks, the lazily
// imported parts (app, chat adapters, SDK wrappers…) in chunks of their own. Loading a handful of
// files instead of ~600 (our ~250 compiled files plus zod's, yaml's, prom-client's…) is what makes a
// one-shot `opsdeck run "/help"` fast; see the README's benchmark table. No type check here:
// `npm run typecheck` (and the Dockerfile) run tsc for that.
// The pure-JS libraries every start loads are bundled in (see BUNDLED); everything else — the chat
// SDKs, dockerode, node-ssh, Bree, Cloudflare, Octokit — stays a plain import from node_modules, so a
// new dependency is external unless listed here. pino is bundled because we log through
// pino.destination only: a pino *transport* starts a worker from a file path next to pino's sources,
// so adding one means taking "pino" out of BUNDLED.
// Usage: node bin/build-dist.mjs [outdir=dist]   (also `npm run build`; bin/opsdeck.mjs calls it)
// Each build goes into a directory of its own under dist/builds/ and is then made current; a bot
// still running an older build keeps importing its chunks from there (see bin/dist-layout.mjs).
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildsDir, newBuildId, pruneBuilds, publishBuild } from "./dist-layout.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Packages bundled into dist/ (with whatever they import); every other package stays external. */
export const BUNDLED = new Set([
  "zod", "yaml", "luxon", "ms", "fastest-levenshtein", "prom-client", "rate-limiter-flexible",
  "lowdb", "steno", "p-retry", "retry", "is-network-error", "async-mutex", "shell-quote", "proper-lockfile",
  "pino",
]);

const packageName = (spec) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

/** Bare imports from our sources are external unless their package is in BUNDLED; imports from inside a bundled package are bundled too. */
const externals = {
  name: "opsdeck-externals",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:")) return { path: args.path, external: true };
      if (args.importer.includes("/node_modules/")) return undefined;
      return BUNDLED.has(packageName(args.path)) ? undefined : { path: args.path, external: true };
    });
  },
};

/** Build into a fresh directory under `outdir`/builds, then make it current; returns its main.js. */
export async function buildDist(outdir = join(root, "dist")) {
  const { build } = await import("esbuild");
  const target = resolve(outdir);
  const startedAt = new Date();
  const id = newBuildId(startedAt);
  const fresh = join(buildsDir(target), `.tmp-${id}`);
  mkdirSync(fresh, { recursive: true });
  let entry;
  try {
    await build({
      absWorkingDir: root,
      entryPoints: [join(root, "src", "main.ts")],
      outdir: fresh,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: true,
      logLevel: "warning",
      plugins: [externals],
      // CommonJS libraries bundled into ESM still call require() for Node's built-ins.
      banner: { js: 'import { createRequire as __opsdeckRequire } from "node:module"; const require = __opsdeckRequire(import.meta.url);' },
    });
    entry = publishBuild(target, fresh, id, startedAt);
  } catch (err) {
    rmSync(fresh, { recursive: true, force: true });
    throw err;
  }
  pruneBuilds(target, [id]);
  return entry;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const out = await buildDist(process.argv[2] ?? undefined);
  process.stderr.write(`opsdeck: built ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
