// Benchmark: where one preview destroy spends its time. Deploys a preview (the real ops against the
// test sshd/dockerd), then destroys it with every host command, Docker API call, DNS call and state
// write timed, and prints the timeline (start → end in ms from the destroy's start). Several rounds,
// median of the total. Needs `bash scripts/test-setup.sh` first.
// Usage: npx tsx bench/destroy-steps.ts [rounds=3] [--stop-timeout D]  (D: previews.stop_timeout, e.g. 0s; default the config's)
import type { DockerClient } from "../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../src/ops/adapters/ssh-host-shell.js";
import { uniqueName } from "../test/support/test-env.js";
import { benchDocker, benchRig, benchShell, env } from "./preview-ops-rig.js";

const argv = process.argv.slice(2);
const stopIdx = argv.indexOf("--stop-timeout");
const stopTimeout = stopIdx >= 0 ? argv[stopIdx + 1] : undefined;
const rounds = Number(argv.find((a, i) => /^\d+$/.test(a) && (stopIdx < 0 || i !== stopIdx + 1)) ?? 3);
const marks: Array<{ what: string; t0: number; t1: number }> = [];
let origin = 0;

function timed<T extends object>(target: T, label: string): T {
  return new Proxy(target, {
    get(obj, key, recv) {
      const v = Reflect.get(obj, key, recv) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(obj, args);
        if (!origin || !(r instanceof Promise)) return r;
        const t0 = performance.now() - origin;
        const what = `${label}.${String(key)}${key === "exec" ? ` ${(args[0] as string[]).slice(0, 3).join(" ")}` : ""}`;
        return r.finally(() => marks.push({ what, t0, t1: performance.now() - origin }));
      };
    },
  });
}

const rawShell = benchShell();
const rawDocker = benchDocker(rawShell);
const shell = timed(rawShell, "host") as SshHostShell;
const docker = timed(rawDocker, "docker") as DockerClient;
const baseDir = `${env.previewsDir}/${uniqueName("dsteps")}`;
const totals: number[] = [];
const slugs: string[] = [];
let dispose: (() => void) | undefined;
try {
  const rig = await benchRig({ shell, docker, baseDir, ...(stopTimeout ? { config: { stop_timeout: stopTimeout } } : {}) });
  dispose = rig.dispose;
  // The ops hold the store object itself: time its writes in place.
  const update = rig.store.update.bind(rig.store);
  rig.store.update = ((fn: never) => {
    if (!origin) return update(fn);
    const t0 = performance.now() - origin;
    return update(fn).finally(() => marks.push({ what: "state.update", t0, t1: performance.now() - origin }));
  }) as typeof rig.store.update;
  for (let i = 0; i < rounds; i++) {
    const slug = `dsteps-${process.pid}-${i}`;
    slugs.push(slug);
    await rig.ops.deploy({ branch: slug, actor: { platform: "console", id: "local", name: "t" } }, async () => {});
    marks.length = 0;
    origin = performance.now();
    await rig.ops.destroy(slug, { platform: "console", id: "local", name: "t" }, async () => {});
    const total = performance.now() - origin;
    origin = 0;
    totals.push(total);
    console.log(`round ${i + 1}: destroy ${total.toFixed(0)} ms`);
    for (const m of marks.sort((a, b) => a.t0 - b.t0)) console.log(`  ${m.t0.toFixed(0).padStart(5)} → ${m.t1.toFixed(0).padStart(5)}  ${m.what}`);
  }
  const sorted = [...totals].sort((a, b) => a - b);
  console.log(`median destroy ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms over ${rounds} rounds`);
} finally {
  // Best effort: anything a failed round left behind (by label), then the base directory.
  for (const slug of slugs) {
    const ids = (await rawDocker.listByLabel(`opsdeck.preview=${slug}`).catch(() => [])).map((c) => c.id);
    for (const id of ids) await rawDocker.removeContainer(id).catch(() => undefined);
    for (const n of await rawDocker.listNetworks(`opsdeck.preview=${slug}`).catch(() => [])) await rawDocker.removeNetwork(n).catch(() => undefined);
    for (const v of await rawDocker.listVolumes(`opsdeck.preview=${slug}`).catch(() => [])) await rawDocker.removeVolume(v).catch(() => undefined);
  }
  await rawShell.exec(["rm", "-rf", "--", baseDir], { allowFailure: true });
  dispose?.(); // the rig's local data dir (state, audit)
  await rawDocker.close();
  await rawShell.close();
}
