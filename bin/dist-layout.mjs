// The layout of dist/, shared by bin/build-dist.mjs (writes it) and bin/opsdeck.mjs (reads it):
//
//   dist/builds/<id>/main.js, chunk-*.js …   one complete esbuild output per build, never changed after
//   dist/current                             the id of the build to start (replaced by a rename)
//   dist/main.js                             a fixed stub that imports builds/<current>/main.js
//                                            (what the Dockerfile and `node dist/main.js` run)
//
// Chunk file names carry a content hash, and a running bot imports lazy chunks (the app, the http
// server, chat adapters, prom-client, the Cloudflare wrapper…) long after it started. Its chunks are
// resolved relative to the build directory it started from, which a later build never touches, so a
// rebuild (`npm run build`, a second `npm start` after editing src/) cannot pull a chunk out from under
// it. A build is written completely into a unique temporary directory, renamed to builds/<id>, and
// only then made current, so two builds racing each other each produce a whole build and the last
// rename of `current` wins.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Builds kept besides the current one, whether or not a process still runs them. Older ones are
 * removed unless a live process marked itself as running them (markInUse): bin/opsdeck.mjs does, but
 * a bare `node dist/main.js` (the Docker image, where dist/ may be read-only) does not, and a marker
 * is only as good as the pid check, so that is best effort and the last few builds stay anyway. */
export const KEEP_PREVIOUS = 3;
/** A temporary build directory older than this was left by a build that died half-way. */
const ABANDONED_MS = 10 * 60_000;
const ID = /^\d{8}T\d{9}Z-\d+-[0-9a-f]{6}$/;

export const buildsDir = (dist) => join(dist, "builds");
export const pointerFile = (dist) => join(dist, "current");

/** A new build id: sortable by time, unique across processes. */
export function newBuildId(now = new Date()) {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/** The id in dist/current, or undefined when there is no (valid) build. */
export function currentBuildId(dist) {
  let id;
  try {
    id = readFileSync(pointerFile(dist), "utf8").trim();
  } catch {
    return undefined;
  }
  return ID.test(id) && existsSync(join(buildsDir(dist), id, "main.js")) ? id : undefined;
}

/** The current build's entry (dist/builds/<id>/main.js), or undefined when none was built yet. */
export function currentEntry(dist) {
  const id = currentBuildId(dist);
  return id === undefined ? undefined : join(buildsDir(dist), id, "main.js");
}

/** When the current build started (ms), or 0 when there is none. */
export function currentBuiltAt(dist) {
  return currentBuildId(dist) === undefined ? 0 : statSync(pointerFile(dist)).mtimeMs;
}

const STUB = `// Written by bin/build-dist.mjs: runs the build named in ./current (see bin/dist-layout.mjs).
import { readFileSync } from "node:fs";
const id = readFileSync(new URL("./current", import.meta.url), "utf8").trim();
if (!/^[0-9A-Za-z-]+$/.test(id)) throw new Error("dist/current does not name a build; run npm run build");
await import(new URL(\`./builds/\${id}/main.js\`, import.meta.url).href);
`;

/** Write `text` to `path` atomically (a temp file renamed over it), optionally dated `mtime`. */
function replaceFile(path, text, mtime) {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(3).toString("hex")}`;
  writeFileSync(temp, text);
  if (mtime !== undefined) utimesSync(temp, mtime, mtime);
  renameSync(temp, path);
}

/**
 * Make the complete build in `tempDir` the current one: rename it to builds/<id>, write the stub,
 * then switch dist/current. `startedAt` dates the build (so a source edited during the build counts
 * as newer than it). Returns the new entry file.
 */
export function publishBuild(dist, tempDir, id, startedAt) {
  const dir = join(buildsDir(dist), id);
  renameSync(tempDir, dir);
  if (!existsSync(join(dist, "main.js")) || readFileSync(join(dist, "main.js"), "utf8") !== STUB) replaceFile(join(dist, "main.js"), STUB);
  replaceFile(pointerFile(dist), `${id}\n`, startedAt);
  return join(dir, "main.js");
}

/**
 * Remove old builds: everything but the current one, `keepAlso` (the build this process runs, if
 * any), the KEEP_PREVIOUS newest others and those a live process marked; temporary directories
 * only once abandoned. Also the
 * flat files of the old layout (dist/chunk-*.js…). Failures are ignored: pruning is housekeeping.
 */
export function pruneBuilds(dist, keepAlso = []) {
  const current = currentBuildId(dist);
  const keep = new Set([current, ...keepAlso]);
  const dir = buildsDir(dist);
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  const older = entries.filter((e) => ID.test(e) && !keep.has(e)).sort().reverse();
  for (const id of older.slice(KEEP_PREVIOUS)) if (!inUse(dist, id)) rmSync(join(dir, id), { recursive: true, force: true });
  for (const e of entries.filter((n) => n.startsWith(".tmp-"))) {
    const p = join(dir, e);
    try {
      if (Date.now() - statSync(p).mtimeMs > ABANDONED_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // gone already (another build removed it)
    }
  }
  for (const f of existsSync(dist) ? readdirSync(dist) : []) {
    if (/-[A-Z0-9]{8}\.js(\.map)?$/.test(f) || f === "main.js.map") rmSync(join(dist, f), { force: true });
  }
}

const markers = (dist, id) => join(buildsDir(dist), id, ".in-use");

/** Note that this process runs build `id` (removed at exit; a marker of a dead pid is ignored). */
export function markInUse(dist, id) {
  const file = join(markers(dist, id), String(process.pid));
  try {
    mkdirSync(markers(dist, id), { recursive: true });
    writeFileSync(file, "");
    process.once("exit", () => rmSync(file, { force: true }));
  } catch {
    // a read-only dist/: the build is still kept while it is among the newest
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

function inUse(dist, id) {
  const dir = markers(dist, id);
  return existsSync(dir) && readdirSync(dir).some((p) => /^\d+$/.test(p) && Number(p) !== process.pid && isAlive(Number(p)));
}
