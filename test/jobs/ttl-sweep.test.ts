// The TTL sweep over two preview hosts (two configured host names on the one test sshd, each with
// its own base_dir): every expired preview is cleaned, and one whose host lock is held by another
// process is left for the next sweep without holding up the others.
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import type { Reply } from "../../src/core/command.js";
import { createTtlCleanupJob, expiredPreviewsFrom } from "../../src/jobs/ttl-cleanup-job.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { env, makeDocker, makeRig, makeShell } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { plantExpired } from "./ttl-sweep-fixture.js";

const shellA = makeShell();
const shellB = createSshHostShell({ name: "preview2", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
const docker = makeDocker(shellA);
const dockerB = makeDocker(shellB);
const bases = [`${env.previewsDir}/${uniqueName("sweep-a")}`, `${env.previewsDir}/${uniqueName("sweep-b")}`];

afterAll(async () => {
  await shellA.exec(["rm", "-rf", "--", ...bases], { allowFailure: true });
  await docker.close();
  await dockerB.close();
  await shellA.close();
  await shellB.close();
});

describe("ttl-cleanup sweep over two preview hosts", () => {
  it("cleans every expired preview on both hosts; a held lock leaves that one for the next sweep", async () => {
    const a = await makeRig({ shell: shellA, docker, baseDir: bases[0] });
    const b = await makeRig({ shell: shellB, docker: dockerB, baseDir: bases[1], config: { host: "preview2" } });
    const now = new Date();
    const namesA = await plantExpired(a.h.store, shellA, a.config, bases[0]!, Array.from({ length: 8 }, (_, i) => `sweep-a-${i}`), now);
    const namesB = await plantExpired(b.h.store, shellB, b.config, bases[1]!, Array.from({ length: 8 }, (_, i) => `sweep-b-${i}`), now);
    const locked = namesB[3]!;
    // Another process (a human's script, a second bot) holds the preview's lock on the host.
    const holder = spawn("ssh", ["-i", env.sshKeyPath, "-p", String(env.sshPort), "-o", `UserKnownHostsFile=${env.knownHostsPath}`, "-o", "BatchMode=yes", `${env.sshUser}@${env.sshHost}`, `flock -n ${locked.lockFile} sh -c 'echo held; read -r _'`], { stdio: ["pipe", "pipe", "ignore"] });
    await new Promise<void>((resolve) => holder.stdout.on("data", (d: Buffer) => d.toString().includes("held") && resolve()));
    const notified: string[] = [];
    const job = createTtlCleanupJob({
      previews: [expiredPreviewsFrom(a.ops), expiredPreviewsFrom(b.ops)],
      host: shellA, docker, diskPath: bases[0]!, cron: "*/30 * * * *", thresholdPercent: 100, pruneOlderThanMs: 72 * 3_600_000,
      notifier: { notify: async (r: Reply) => void notified.push(r.title ?? "") },
      diskUsePercent: async () => 0,
    });
    try {
      const first = await job.run({ now, trigger: "test" }).then(() => "passed", (e: Error) => e.message);
      expect(first).toMatch(/could not destroy 1 expired preview/);
      expect(a.h.store.read().previews).toEqual([]);
      expect(b.h.store.read().previews.map((p) => p.slug)).toEqual([locked.slug]);
      const dirs = await shellA.exec(["sh", "-c", 'for d in "$@"; do test -d "$d" && echo "$d"; done; true', "sh", ...namesA.map((n) => n.dir), ...namesB.map((n) => n.dir)]);
      expect(dirs.stdout.trim()).toBe(locked.dir);
      expect(notified).toHaveLength(15);
    } finally {
      holder.stdin.end(); // the remote `read` returns and the holder lets go of the lock
      await new Promise((r) => holder.once("exit", r));
    }
    // The lock is free again: the next sweep takes it.
    await shellA.exec(["sh", "-c", `while ! flock -n ${locked.lockFile} true; do sleep 0.1; done`]);
    await expect(job.run({ now: new Date(), trigger: "test" })).resolves.toMatchObject({ summary: expect.stringMatching(/destroyed 1 expired/) });
    expect(b.h.store.read().previews).toEqual([]);
  }, 120_000);
});
