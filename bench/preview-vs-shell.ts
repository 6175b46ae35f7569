// Benchmark: `/preview` → healthy and `destroy` → clean through the RUNNING bot (a long-lived console
// bot process driven over its stdin/stdout, as a person types), against seed 001's shell pipeline
// (one bash script over ssh, 2 s health polling) and the local floor (one `docker-compose up -d` plus
// the first passing healthcheck, seen in `docker events`). Interleaved pairs; prints each pair's
// ratios and the medians. With `--base <dir>` a second opsdeck tree (e.g. a worktree of the commit
// before a change) runs in the same rounds, for before/after figures from one run.
// The destroy floor is the floor preview's own teardown, timed: dockerd's work alone for the same
// two containers, network and volume (list, stop both at once, remove them, then the network and the
// volume at once) through the Engine API on the local socket, with no SSH, CLI, lock or state write.
// A destroy goal below floor/shell cannot be met on this dockerd by any tool.
// `--steps` runs the bots at log_level debug and prints each deploy's timing marks ("preview step").
// `--served` runs each bot as `npm start` does (that tree's node flags, bin/opsdeck.mjs, the compiled
// build, built before the rounds) instead of the sources under tsx.
// Needs `bash scripts/test-setup.sh` first. Usage: npx tsx bench/preview-vs-shell.ts [runs=5] [--base DIR] [--steps] [--served]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { loadTestEnv, repoRoot } from "../test/support/test-env.js";
import { startFlagsOf } from "./start-flags.js";

const argv = process.argv.slice(2);
const baseIdx = argv.indexOf("--base");
const baseTree = baseIdx >= 0 ? argv[baseIdx + 1] : undefined;
const runs = Number(argv.find((a, i) => /^\d+$/.test(a) && argv[i - 1] !== "--base") ?? 5);
const steps = argv.includes("--steps");
const served = argv.includes("--served");
const env = loadTestEnv();
const template = `${repoRoot}test/fixtures/preview-templates/healthy.yml`;
const tag = `${process.pid}`;
const remoteRoot = `${env.previewsDir}/pvs-${tag}`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const sshArgs = ["-i", env.sshKeyPath, "-p", String(env.sshPort), "-o", `UserKnownHostsFile=${env.knownHostsPath}`, "-o", "BatchMode=yes", `${env.sshUser}@${env.sshHost}`];

function ssh(script: string, input?: string): void {
  const r = spawnSync("ssh", [...sshArgs, script], { input: input ?? "", encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh failed (${r.status}): ${r.stderr}`);
}

function rendered(slug: string): string {
  return readFileSync(template, "utf8")
    .replaceAll("{{image}}", env.images.busybox)
    .replaceAll("{{url}}", `https://preview-${slug}.preview.test`)
    .replaceAll("{{slug}}", slug)
    .replaceAll("{{network}}", `preview-${slug}`);
}

/**
 * Seed 001's deploy.sh (§6.3), step by step, run on the host: global lock, quota from running
 * containers, disk and memory checks, per-preview lock, credentials, compose file, `config`,
 * state.json, `pull --quiet`, `up -d`, health by `docker inspect` every 2 s. Left out: the Cloudflare
 * calls (opsdeck runs here without DNS too). The pull runs as in the seed, but no registry is
 * reachable here, so it costs compose's start and a failed lookup (`|| true`), and never a transfer.
 */
const SHELL_DEPLOY = String.raw`set -eu
SLUG="$1"; DIR="$2"; mkdir -p "$DIR"
exec 200>"$DIR.global.lock"; flock -w 30 200
CURRENT=$(docker ps --filter 'label=opsdeck.preview' --format '{{.ID}}' | wc -l)
[ "$((CURRENT / 7))" -lt 100 ] || exit 1
FREE_GB=$(df -BG "$DIR" | awk 'NR==2 {print $4}' | tr -d 'G'); [ "$FREE_GB" -ge 1 ] || exit 1
FREE_MEM_MB=$(free -m | awk '/^Mem:/ {print $7}'); [ "$FREE_MEM_MB" -ge 256 ] || exit 1
flock -u 200
exec 201>"$DIR.lock"; flock -w 60 201
printf 'DB_PASSWORD=%s\n' "$(head -c 24 /dev/urandom | base64)" > "$DIR/.env"; chmod 600 "$DIR/.env"
cat > "$DIR/docker-compose.yml"; cd "$DIR"
docker-compose -p "preview-$SLUG" config > /dev/null
printf '{"branch_slug":"%s","updated_at":"%s"}\n' "$SLUG" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > state.json
docker-compose -p "preview-$SLUG" pull --quiet 2>/dev/null || true
docker-compose -p "preview-$SLUG" up -d --force-recreate --remove-orphans 2>/dev/null
for i in $(seq 1 60); do
  H=$(docker inspect --format='{{.State.Health.Status}}' "preview-$SLUG"_app_1 2>/dev/null || echo starting)
  [ "$H" = healthy ] && exit 0; sleep 2
done; exit 1`;
const SHELL_DESTROY = String.raw`set -eu
SLUG="$1"; DIR="$2"; flock -n "$DIR.lock" true 2>/dev/null || true; cd "$DIR"
docker-compose -p "preview-$SLUG" down -v --remove-orphans 2>/dev/null || true
cd /; rm -rf "$DIR" "$DIR.lock" "$DIR.global.lock"`;

function shellRun(script: string, slug: string, input?: string): number {
  const t0 = performance.now();
  ssh(`bash -c '${script.replaceAll("'", `'"'"'`)}' sh ${slug} ${remoteRoot}/shell/${slug}`, input);
  return performance.now() - t0;
}

/** Floor: the files are already on the host; time one `up -d` until Docker reports the app healthy. */
async function floor(slug: string): Promise<{ upMs: number; downMs: number }> {
  const dir = `${remoteRoot}/floor/${slug}`;
  ssh(`mkdir -p ${dir} && printf 'DB_PASSWORD=x\\n' > ${dir}/.env && cat > ${dir}/docker-compose.yml`, rendered(slug));
  const events = spawn("docker", ["events", "--filter", `label=opsdeck.preview=${slug}`, "--filter", "event=health_status", "--format", "{{.Status}}"], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise((r) => setTimeout(r, 150)); // the subscription is open before `up`
  const healthy = new Promise<number>((resolve) => events.stdout.on("data", (d: Buffer) => d.toString().includes("healthy") && !d.toString().includes("unhealthy") && resolve(performance.now())));
  const t0 = performance.now();
  ssh(`cd ${dir} && docker-compose -p preview-${slug} up -d 2>/dev/null`);
  const t1 = await healthy;
  events.kill();
  const downMs = await destroyFloor(`preview-${slug}`).catch((err: unknown) => {
    ssh(`cd ${dir} && docker-compose -p preview-${slug} down -v -t 0 2>/dev/null; rm -rf ${dir}`);
    throw err;
  });
  ssh(`rm -rf ${dir}`);
  return { upMs: t1 - t0, downMs };
}

const engine = new Docker({ socketPath: env.dockerSocket });
/** dockerd's own time to remove one compose project's containers, networks and volumes (see the header). */
async function destroyFloor(project: string): Promise<number> {
  const filters = JSON.stringify({ label: [`com.docker.compose.project=${project}`] });
  const t0 = performance.now();
  const [containers, networks, volumes] = await Promise.all([engine.listContainers({ all: true, filters }), engine.listNetworks({ filters }), engine.listVolumes({ filters })]);
  await Promise.all(containers.map((c) => engine.getContainer(c.Id).stop({ t: 2 })));
  await Promise.all(containers.map((c) => engine.getContainer(c.Id).remove({ v: true })));
  await Promise.all([...networks.map((n) => engine.getNetwork(n.Id).remove()), ...(volumes.Volumes ?? []).map((v) => engine.getVolume(v.Name).remove())]);
  const ms = performance.now() - t0;
  if (containers.length !== 2 || networks.length !== 1 || (volumes.Volumes ?? []).length !== 1) throw new Error(`destroy floor: expected 2 containers, 1 network, 1 volume of ${project}; found ${containers.length}, ${networks.length}, ${(volumes.Volumes ?? []).length}`);
  return ms;
}

interface Bot { name: string; child: ChildProcess; out: string; dataDir: string }

function startBot(name: string, tree: string): Bot {
  const dataDir = mkdtempSync(join(tmpdir(), `opsdeck-pvs-${name}-`));
  const cfg = join(dataDir, "opsdeck.yaml");
  writeFileSync(cfg, `data_dir: ${dataDir}/data
log_level: ${steps ? "debug" : "error"}
commands_per_minute: 0
http: { enabled: false }
hosts:
  preview1: { type: ssh, address: ${env.sshHost}, port: ${env.sshPort}, user: ${env.sshUser}, key_path: ${env.sshKeyPath}, command_timeout: 60s, docker_socket: ${env.dockerSocket} }
previews:
  host: preview1
  base_dir: ${remoteRoot}/${name}
  domain: preview.test
  template: ${template}
  image: "${env.images.busybox}"
  quota: 50
  min_free_disk_mb: 0
  min_free_memory_mb: 0
  health_timeout: 60s
dns: { provider: none }
access: { roles: { admin: ["console:local"] } }
`);
  const args = served ? [...startFlagsOf(tree), join(tree, "bin", "opsdeck.mjs"), "--config", cfg] : ["--import", "tsx", "src/main.ts", "--config", cfg];
  const child = spawn(process.execPath, args, { cwd: tree, stdio: ["pipe", "pipe", "pipe"] });
  const bot: Bot = { name, child, out: "", dataDir };
  child.stdout?.on("data", (d: Buffer) => (bot.out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (bot.out += d.toString()));
  return bot;
}

/** The "preview step" marks a bot logged for `slug`, as `step +ms` (ms since the deploy began). */
function stepMarks(bot: Bot, slug: string): string {
  const marks: string[] = [];
  for (const line of bot.out.split("\n")) {
    if (!line.includes('"preview step"') || !line.includes(`"${slug}"`)) continue;
    try {
      const e = JSON.parse(line) as { slug?: string; step?: string; ms?: number };
      if (e.slug === slug) marks.push(`${e.step} ${e.ms}`);
    } catch {
      // not a JSON log line
    }
  }
  return marks.join(", ");
}

/** Type a command; resolve with the time until a final reply matching `done` (✖ fails the bench). */
async function type(bot: Bot, text: string, done: RegExp): Promise<number> {
  const from = bot.out.length;
  const t0 = performance.now();
  bot.child.stdin?.write(`${text}\n`);
  for (;;) {
    const seen = bot.out.slice(from);
    if (done.test(seen)) return performance.now() - t0;
    if (/^✖/m.test(seen)) throw new Error(`${bot.name}: ${text} failed:\n${seen}`);
    if (bot.child.exitCode !== null) throw new Error(`${bot.name} exited:\n${bot.out}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

if (served) {
  for (const tree of [repoRoot, ...(baseTree ? [baseTree] : [])]) {
    // Build each tree's dist/ now (bin/opsdeck.mjs builds when stale), so no round times a build.
    const r = spawnSync(process.execPath, [join(tree, "bin", "opsdeck.mjs"), "--help"], { cwd: tree, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${tree}: bin/opsdeck.mjs --help exited ${r.status}: ${r.stderr}`);
  }
}
const bots = [startBot("opsdeck", repoRoot), ...(baseTree ? [startBot("before", baseTree)] : [])];
const names = ["floor", "shell", ...bots.map((b) => b.name)];
const up: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const down: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
try {
  // Warm-up: connect and pin the host key, so round 1 does not carry the first SSH connection.
  for (const b of bots) await type(b, "/preview list", /Previews|No previews|preview/i);
  console.log(`runs: ${runs}, loopback SSH host ${env.sshHost}:${env.sshPort}, compose v1, busybox with a 1 s healthcheck (${template.replace(repoRoot, "")})`);
  console.log(`opsdeck: long-lived console bot (${served ? "npm start's compiled build" : "tsx"}) driven over stdin; shell: seed 001 deploy/destroy steps as one bash script over ssh, 2 s polling${baseTree ? `; before: ${baseTree}` : ""}`);
  for (let i = 0; i < runs; i++) {
    const slug = (n: string): string => `pvs-${n.slice(0, 2)}-${tag}-${i}`;
    const order = i % 2 === 0 ? bots : [...bots].reverse();
    const fl = await floor(slug("fl"));
    up.floor!.push(fl.upMs);
    down.floor!.push(fl.downMs);
    const shellFirst = i % 2 === 0;
    if (shellFirst) up.shell!.push(shellRun(SHELL_DEPLOY, slug("sh"), rendered(slug("sh"))));
    for (const b of order) up[b.name]!.push(await type(b, `/preview ${slug(b.name)}`, /^✔ Preview .* is up/m));
    if (!shellFirst) up.shell!.push(shellRun(SHELL_DEPLOY, slug("sh"), rendered(slug("sh"))));
    if (shellFirst) down.shell!.push(shellRun(SHELL_DESTROY, slug("sh")));
    for (const b of order) down[b.name]!.push(await type(b, `/preview destroy ${slug(b.name)} --yes`, /^✔ Preview .* destroyed/m));
    if (!shellFirst) down.shell!.push(shellRun(SHELL_DESTROY, slug("sh")));
    const line = bots.map((b) => `${b.name} up ${s(up[b.name]![i]!)} (${(up[b.name]![i]! / up.shell![i]!).toFixed(2)}× shell, ${(up[b.name]![i]! / up.floor![i]!).toFixed(2)}× floor), destroy ${s(down[b.name]![i]!)} (${(down[b.name]![i]! / down.shell![i]!).toFixed(2)}× shell)`).join("; ");
    if (steps) for (const b of bots) console.log(`  ${b.name} steps (ms since the deploy began): ${stepMarks(b, slug(b.name)) || "(none logged)"}`);
    console.log(`pair ${i + 1}: floor up ${s(up.floor![i]!)} destroy ${s(down.floor![i]!)}, shell up ${s(up.shell![i]!)} destroy ${s(down.shell![i]!)}; ${line}`);
  }
  const m = (r: Record<string, number[]>, n: string): number => median(r[n]!);
  console.log(`medians: floor up ${s(m(up, "floor"))}, destroy ${s(m(down, "floor"))} (= ${(m(down, "floor") / m(down, "shell")).toFixed(2)}× shell: dockerd alone); shell up ${s(m(up, "shell"))}, destroy ${s(m(down, "shell"))}`);
  for (const b of bots) {
    console.log(`  ${b.name}: /preview → healthy ${s(m(up, b.name))} = ${(m(up, b.name) / m(up, "shell")).toFixed(2)}× shell (goal ≤ 0.50), ${(m(up, b.name) / m(up, "floor")).toFixed(2)}× floor (goal ≤ 1.40); destroy → clean ${s(m(down, b.name))} = ${(m(down, b.name) / m(down, "shell")).toFixed(2)}× shell (goal ≤ 0.30), ${(m(down, b.name) / m(down, "floor")).toFixed(2)}× destroy floor`);
  }
} finally {
  for (const b of bots) b.child.kill();
  ssh(`rm -rf ${remoteRoot}`);
  // Each bot's own data dir (state, audit, config) once it has exited.
  await Promise.all(bots.map((b) => (b.child.exitCode === null && b.child.signalCode === null ? once(b.child, "exit") : undefined)));
  for (const b of bots) rmSync(b.dataDir, { recursive: true, force: true });
}
