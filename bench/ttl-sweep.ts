// Benchmark: the TTL sweep (the real ttl-cleanup job over two preview hosts) against one destroy.
// Each round plants 100 expired previews split over two preview hosts (two SSH connections to the
// test sshd, each with its own host name, base dir and store) plus one more, each with one container
// of the test busybox image carrying the labels compose and opsdeck put on it (no own network:
// dockerd removes networks one at a time, ~0.2 s each here), its directory, state record and DNS
// record. It times one `destroy` of the extra preview, then one run of the job, checks everything
// is gone and prints sweep / destroy; medians over the rounds. With `--base <dir>` a second opsdeck
// tree (e.g. a worktree of the commit before a change) runs in the same rounds. `--light` plants no
// containers (directories, records and DNS records only). `--health-interval D` (default 1s, the test
// image's own) sets the planted containers' healthcheck interval: at 1 s, 100 containers are 100
// health execs a second, which keeps dockerd (and a 2-core machine) busy on their own; the shipped
// template checks every 2 s, Docker's default is 30 s.
// With containers, each round also measures dockerd's own floor: as many containers planted the
// same way and removed by ONE host-side `docker rm -f -v` of all ids; sweep / floor says how close
// the sweep comes to what dockerd itself needs.
// `--steps` prints each sweep's timeline: every host command, Docker API call and state write of
// both hosts, start → end in ms from the sweep's start (as bench/destroy-steps.ts does for one destroy).
// Needs `bash scripts/test-setup.sh` first. Usage: npx tsx bench/ttl-sweep.ts [rounds=3] [count=100] [--light] [--health-interval 1s] [--steps] [--base DIR]
import { pathToFileURL } from "node:url";
import type { Previews } from "../src/config/schema.js";
import type { Store } from "../src/store/store.js";
import type { SshHostShell } from "../src/ops/adapters/ssh-host-shell.js";
import { uniqueName } from "../test/support/test-env.js";
import { benchDocker, benchShell, env } from "./preview-ops-rig.js";
import { createStepTimer } from "./step-timer.js";

const argv = process.argv.slice(2);
const baseIdx = argv.indexOf("--base");
const baseTree = baseIdx >= 0 ? argv[baseIdx + 1] : undefined;
const nums = argv.filter((a, i) => /^\d+$/.test(a) && argv[i - 1] !== "--base").map(Number);
const hiIdx = argv.indexOf("--health-interval");
const healthInterval = hiIdx >= 0 ? (argv[hiIdx + 1] ?? "") : "1s";
if (!/^\d+(ms|s|m)$/.test(healthInterval)) throw new Error(`--health-interval wants a Docker duration such as 30s, not "${healthInterval}"`);
const rounds = nums[0] ?? 3;
const count = nums[1] ?? 100;
/** `--light`: no containers, only directories, records and DNS records (what test/jobs/ttl-sweep.test.ts plants). */
const light = argv.includes("--light");
/** `--steps`: time every host command, Docker call and state write of the sweep and print the timeline. */
const steps = argv.includes("--steps");
const timer = createStepTimer();
/** With --steps, a timing proxy (each call between timer.start and timer.stop is recorded). */
const timed = <T extends object>(target: T, label: string): T => (steps ? timer.timed(target, label) : target);
/** With --steps, a store's writes are timed in place (the ops hold the store object itself). */
const timeStore = (store: Store, label: string): void => {
  if (steps) timer.timeStore(store, `${label}.state.update`);
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const actor = { platform: "job" as const, id: "ttl-cleanup", name: "ttl-cleanup" };

/** Each tree's own modules (its ops and job), so `--base` measures that commit's code. */
async function load(tree: string) {
  const url = (p: string): string => pathToFileURL(`${tree.replace(/\/$/, "")}/${p}`).href;
  const rig = (await import(url("bench/preview-ops-rig.ts"))) as typeof import("./preview-ops-rig.js");
  const job = (await import(url("src/jobs/ttl-cleanup-job.ts"))) as typeof import("../src/jobs/ttl-cleanup-job.js");
  return { rig, job };
}

const shell = benchShell("preview1");
const docker = benchDocker(shell);

/** One container per preview (the test image's own command, which exits on SIGTERM), its dir, record and DNS record. */
async function plant(shell: SshHostShell, store: Store, config: Previews, baseDir: string, slugs: string[], dns: Set<string>): Promise<void> {
  const past = new Date(Date.now() - 60_000).toISOString();
  const script = String.raw`img="$1"; base="$2"; mode="$3"; hi="$4"; shift 4; mkdir -p "$base"
for slug in "$@"; do echo "$slug"; done | xargs -P 6 -I{} sh -c 'mkdir -p "$2/$1" && echo x > "$2/$1/docker-compose.yml" && { [ "$3" = light ] || docker run -d --network none --health-interval "$4" --label "opsdeck.preview=$1" --label "com.docker.compose.project=preview-$1" --label com.docker.compose.service=app --name "preview-$1_app_1" "$0" >/dev/null; }' "$img" {} "$base" "$mode" "$hi"`;
  await shell.exec(["sh", "-c", script, "plant", env.images.busybox, baseDir, light ? "light" : "containers", healthInterval, ...slugs], { timeoutMs: 600_000 });
  await store.update((st) => {
    for (const slug of slugs) {
      const hostname = `preview-${slug}.${config.domain}`;
      dns.add(hostname);
      st.previews.push({ slug, branch: slug, ref: "latest", host: config.host, project: `preview-${slug}`, hostname, url: `http://${hostname}:8080`, requestedBy: "console:local", requestedByName: "t", createdAt: past, updatedAt: past, expiresAt: past, status: "running" });
    }
  });
}

const trees = [{ name: "opsdeck", tree: new URL("..", import.meta.url).pathname }, ...(baseTree ? [{ name: "before", tree: baseTree }] : [])];
const results: Record<string, { one: number[]; sweep: number[]; floor: number[] }> = Object.fromEntries(trees.map((t) => [t.name, { one: [], sweep: [], floor: [] }]));

/** dockerd's floor: `n` containers like the planted ones, removed by one host-side `docker rm -f -v` of all ids. */
async function floorMs(tag: string, n: number): Promise<number> {
  const script = String.raw`img="$1"; hi="$2"; tag="$3"; shift 3; for i in "$@"; do echo "$i"; done | xargs -P 6 -I{} docker run -d --network none --health-interval "$hi" --label "opsdeck.preview=floor-$tag-{}" --name "floor-$tag-{}" "$img"`;
  const planted = await shell.exec(["sh", "-c", script, "plant", env.images.busybox, healthInterval, tag, ...Array.from({ length: n }, (_, i) => String(i))], { timeoutMs: 600_000 });
  const ids = planted.stdout.split("\n").map((x) => x.trim()).filter((x) => /^[0-9a-f]{64}$/.test(x));
  const t0 = performance.now();
  await shell.exec(["docker", "rm", "-f", "-v", "--", ...ids], { timeoutMs: 600_000 });
  return performance.now() - t0;
}
const baseDirs: string[] = [];
try {
  console.log(`rounds: ${rounds}, ${count} expired previews over two preview hosts (two SSH connections to ${env.sshHost}:${env.sshPort}, one dockerd), ${light ? "no containers (--light)" : `one container each (healthcheck every ${healthInterval})`}`);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? trees : [...trees].reverse();
    for (const t of order) {
      const { rig, job } = await load(t.tree);
      const tag = `${t.name.slice(0, 2)}${process.pid}r${r}`;
      // Each host its own SSH connection, Docker client, base dir and store, built by that tree's code.
      const rigs = await Promise.all([0, 1].map(async (i) => {
        const host = `preview${i + 1}`;
        const hostShell = rig.benchShell(host);
        const hostDocker = rig.benchDocker(hostShell);
        const baseDir = `${env.previewsDir}/${uniqueName(`ttlb-${i}`)}`;
        baseDirs.push(baseDir);
        const built = await rig.benchRig({ shell: timed(hostShell, `h${i + 1}`), docker: timed(hostDocker, `d${i + 1}`), baseDir, host });
        timeStore(built.store, `h${i + 1}`);
        return { shell: hostShell, docker: hostDocker, baseDir, ...built };
      }));
      const half = Math.ceil(count / 2);
      const slugsFor = (i: number): string[] => Array.from({ length: i === 0 ? half : count - half }, (_, k) => `ttl-${tag}-${i}-${k}`);
      await Promise.all(rigs.map((x, i) => plant(x.shell, x.store, x.config, x.baseDir, [...slugsFor(i), ...(i === 0 ? [`ttl-${tag}-one`] : [])], x.dns.records)));
      // One destroy of one such expired preview, as the job's actor would.
      const t0 = performance.now();
      await rigs[0]!.ops.destroy(`ttl-${tag}-one`, actor, async () => {});
      const one = performance.now() - t0;
      const cleanup = job.createTtlCleanupJob({
        previews: rigs.map((x) => job.expiredPreviewsFrom(x.ops)),
        host: rigs[0]!.shell, docker: rigs[0]!.docker, diskPath: rigs[0]!.baseDir, cron: "*/30 * * * *", thresholdPercent: 100, pruneOlderThanMs: 72 * 3_600_000,
        notifier: { notify: async () => {} } as unknown as Parameters<typeof job.createTtlCleanupJob>[0]["notifier"], // announcements are not timed here
        diskUsePercent: async () => 0,
      });
      const t1 = performance.now();
      timer.start(t1);
      // A failed sweep (e.g. a lock that did not answer in time under load) is reported, not fatal.
      const summary = await cleanup.run({ now: new Date(), trigger: "bench" }).then((r) => r.summary, (e: Error) => e.message);
      const sweep = timer.stop();
      const left = (await docker.listByLabel("opsdeck.preview")).filter((c) => c.labels["opsdeck.preview"]?.startsWith(`ttl-${tag}-`));
      const records = rigs.reduce((n, x) => n + x.store.read().previews.length + x.dns.records.size, 0);
      const dirs = await shell.exec(["sh", "-c", 'find "$@" -mindepth 1 | wc -l', "left", ...rigs.map((x) => x.baseDir)]);
      const clean = left.length === 0 && records === 0 && dirs.stdout.trim() === "0" && summary.startsWith(`destroyed ${count} expired`);
      const note = clean ? "" : ` — NOT CLEAN: ${left.length} containers, ${records} records/DNS, ${dirs.stdout.trim()} files left; ${summary.split(";")[0]}`;
      const floor = light ? undefined : await floorMs(tag, count);
      if (clean) {
        results[t.name]!.one.push(one);
        results[t.name]!.sweep.push(sweep);
        if (floor !== undefined) results[t.name]!.floor.push(floor);
      }
      const vsFloor = floor === undefined ? "" : `; dockerd floor (one docker rm -f of ${count}) ${s(floor)}, sweep/floor ${(sweep / floor).toFixed(2)}`;
      console.log(`round ${r + 1} ${t.name}: one destroy ${s(one)}, sweep of ${count} ${s(sweep)} = ${(sweep / one).toFixed(2)}× one destroy${vsFloor}${note}`);
      if (steps) timer.print();
      for (const x of rigs) {
        x.dispose();
        await x.docker.close();
        await x.shell.close();
      }
    }
  }
  for (const t of trees) {
    const { one, sweep, floor } = results[t.name]!;
    const vsFloor = floor.length > 0 ? `; dockerd floor ${s(median(floor))}, sweep/floor ${(median(sweep) / median(floor)).toFixed(2)}` : "";
    console.log(`median ${t.name} (${sweep.length} clean rounds): one destroy ${s(median(one))}, sweep ${s(median(sweep))} = ${(median(sweep) / median(one)).toFixed(2)}× (goal < 3)${vsFloor}`);
  }
} finally {
  const ids = (await docker.listByLabel("opsdeck.preview").catch(() => [])).filter((c) => /^(ttl|floor)-/.test(c.labels["opsdeck.preview"] ?? "") && c.name.includes(`${process.pid}r`)).map((c) => c.id);
  for (const id of ids) await docker.removeContainer(id).catch(() => undefined);
  if (baseDirs.length > 0) await shell.exec(["rm", "-rf", "--", ...baseDirs], { allowFailure: true });
  await docker.close();
  await shell.close();
}
