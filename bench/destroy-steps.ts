// Benchmark: where one preview destroy spends its time. Deploys a preview (the real ops against the
// test sshd/dockerd), then destroys it with every host command, Docker API call, DNS call and state
// write timed, and prints the timeline (start → end in ms from the destroy's start). Several rounds,
// median of the total. Needs `bash scripts/test-setup.sh` first.
// Usage: npx tsx bench/destroy-steps.ts [rounds=3] [--stop-timeout D]  (D: previews.stop_timeout, e.g. 0s; default the config's)
import type { DockerClient } from "../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../src/ops/adapters/ssh-host-shell.js";
import { uniqueName } from "../test/support/test-env.js";
import { benchDocker, benchRig, benchShell, env } from "./preview-ops-rig.js";
import { createStepTimer } from "./step-timer.js";

const argv = process.argv.slice(2);
const stopIdx = argv.indexOf("--stop-timeout");
const stopTimeout = stopIdx >= 0 ? argv[stopIdx + 1] : undefined;
const rounds = Number(argv.find((a, i) => /^\d+$/.test(a) && (stopIdx < 0 || i !== stopIdx + 1)) ?? 3);
const timer = createStepTimer();

const rawShell = benchShell();
const rawDocker = benchDocker(rawShell);
const shell = timer.timed(rawShell, "host") as SshHostShell;
const docker = timer.timed(rawDocker, "docker") as DockerClient;
const baseDir = `${env.previewsDir}/${uniqueName("dsteps")}`;
const totals: number[] = [];
const slugs: string[] = [];
let dispose: (() => void) | undefined;
try {
  const rig = await benchRig({ shell, docker, baseDir, ...(stopTimeout ? { config: { stop_timeout: stopTimeout } } : {}) });
  dispose = rig.dispose;
  timer.timeStore(rig.store, "state.update");
  for (let i = 0; i < rounds; i++) {
    const slug = `dsteps-${process.pid}-${i}`;
    slugs.push(slug);
    await rig.ops.deploy({ branch: slug, actor: { platform: "console", id: "local", name: "t" } }, async () => {});
    timer.start();
    await rig.ops.destroy(slug, { platform: "console", id: "local", name: "t" }, async () => {});
    const total = timer.stop();
    totals.push(total);
    console.log(`round ${i + 1}: destroy ${total.toFixed(0)} ms`);
    timer.print();
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
