// The TTL sweep over two preview hosts (two configured host names on the one test sshd, each with
// its own base_dir): every expired preview is cleaned, and one whose host lock is held by another
// process is left for the next sweep without holding up the others.
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import type { Reply } from "../../src/core/command.js";
import { createTtlCleanupJob, expiredPreviewsFrom } from "../../src/jobs/ttl-cleanup-job.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { getPreviewNames } from "../../src/ops/previews/preview-names.js";
import { env, forceClean, leftovers, makeDocker, makeRig, makeShell } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { plantExpired } from "./ttl-sweep-fixture.js";

const shellA = makeShell();
const shellB = createSshHostShell({ name: "preview2", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
const docker = makeDocker(shellA);
const dockerB = makeDocker(shellB);
const bases = [`${env.previewsDir}/${uniqueName("sweep-a")}`, `${env.previewsDir}/${uniqueName("sweep-b")}`, `${env.previewsDir}/${uniqueName("sweep-c")}`];
const deployed: string[] = [];

/** Another process (a human's script, a second bot) holds a lock file on the host until `end()`. */
async function holdElsewhere(lockFile: string): Promise<{ end(): Promise<void> }> {
  const holder = spawn("ssh", ["-i", env.sshKeyPath, "-p", String(env.sshPort), "-o", `UserKnownHostsFile=${env.knownHostsPath}`, "-o", "BatchMode=yes", `${env.sshUser}@${env.sshHost}`, `flock -n ${lockFile} sh -c 'echo held; read -r _'`], { stdio: ["pipe", "pipe", "ignore"] });
  await new Promise<void>((resolve) => holder.stdout.on("data", (d: Buffer) => d.toString().includes("held") && resolve()));
  return {
    async end() {
      holder.stdin.end();
      await new Promise((r) => holder.once("exit", r));
      await shellA.exec(["sh", "-c", `while ! flock -n ${lockFile} true; do sleep 0.1; done`]);
    },
  };
}

afterAll(async () => {
  await forceClean(shellA, docker, deployed, bases[2]!);
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

describe("ttl-cleanup batched sweep", () => {
  it("removes real previews' containers, networks, volumes, directories, lock files and DNS records in one batch; a held lock keeps its preview intact", async () => {
    // Every command the preview ops run on the host passes through here (and runs for real).
    const commands: string[][] = [];
    const counted = new Proxy(shellA, {
      get(target, key, recv) {
        const v = Reflect.get(target, key, recv) as unknown;
        if (key !== "exec" || typeof v !== "function") return v;
        return (argv: string[], ...rest: unknown[]) => (commands.push(argv), (v as (...a: unknown[]) => unknown).apply(target, [argv, ...rest]));
      },
    }) as SshHostShell;
    const c = await makeRig({ shell: counted, docker, baseDir: bases[2]! });
    const actor = { platform: "console" as const, id: "local", name: "t" };
    const stacks = ["sweep-real-a", "sweep-real-b"];
    deployed.push(...stacks);
    for (const branch of stacks) await c.ops.deploy({ branch, actor }, async () => {});
    const now = new Date();
    const light = await plantExpired(c.h.store, shellA, c.config, bases[2]!, ["sweep-light-0", "sweep-light-1", "sweep-light-2"], now);
    await c.h.store.update((s) => {
      for (const p of s.previews) p.expiresAt = new Date(now.getTime() - 1_000).toISOString();
    });
    const [kept, gone] = stacks.map((slug) => getPreviewNames(c.config, bases[2]!, slug)) as [ReturnType<typeof getPreviewNames>, ReturnType<typeof getPreviewNames>];
    expect(c.dns.records.has(gone.hostname)).toBe(true);
    const other = await holdElsewhere(kept.lockFile);
    const notified: string[] = [];
    const job = createTtlCleanupJob({
      previews: expiredPreviewsFrom(c.ops),
      host: shellA, docker, diskPath: bases[2]!, cron: "*/30 * * * *", thresholdPercent: 100, pruneOlderThanMs: 72 * 3_600_000,
      notifier: { notify: async (r: Reply) => void notified.push(r.title ?? "") },
      diskUsePercent: async () => 0,
    });
    commands.length = 0;
    const opsBefore = c.h.store.read().operations.length;
    try {
      const first = await job.run({ now, trigger: "test" }).then(() => "passed", (e: Error) => e.message);
      expect(first).toMatch(/could not destroy 1 expired preview/);
      // The locks through one holder (one SSH session), not one flock per preview: it takes the four
      // free ones and names the held one; no second attempt.
      const holders = commands.filter((argv) => argv[0] !== "rm" && argv.some((a) => a.endsWith(".lock"))).map((argv) => argv.filter((a) => a.endsWith(".lock")).sort());
      expect(holders).toEqual([[gone, kept, ...light].map((n) => n.lockFile).sort()]);
      expect(await leftovers(shellA, docker, gone.slug, gone.dir)).toEqual([]);
      for (const n of light) expect(await leftovers(shellA, docker, n.slug, n.dir)).toEqual([]);
      expect(c.dns.records.has(gone.hostname)).toBe(false);
      const lockFiles = await shellA.exec(["sh", "-c", 'for f in "$@"; do test -e "$f" && echo "$f"; done; true', "sh", gone.lockFile, ...light.map((n) => n.lockFile)]);
      expect(lockFiles.stdout).toBe("");
      // The held one is untouched: running, its record (failed, for the next sweep) and DNS record kept.
      expect((await leftovers(shellA, docker, kept.slug, kept.dir)).length).toBeGreaterThan(3);
      expect(c.dns.records.has(kept.hostname)).toBe(true);
      expect(c.h.store.read().previews.map((p) => [p.slug, p.status])).toEqual([[kept.slug, "failed"]]);
      // Each preview keeps its own journal entry and announcement.
      const ops = c.h.store.read().operations.slice(opsBefore).filter((o) => o.kind === "preview.destroy");
      expect(ops.map((o) => [o.target, o.status, o.actor]).sort()).toEqual([
        [gone.slug, "succeeded", "job:ttl-cleanup"], [kept.slug, "failed", "job:ttl-cleanup"], ...light.map((n) => [n.slug, "succeeded", "job:ttl-cleanup"]),
      ].sort());
      expect(ops.find((o) => o.target === gone.slug)?.summary).toMatch(/containers: .*networks: .*volumes: .*directory .*DNS record/);
      expect(notified.sort()).toEqual([gone, ...light].map((n) => `preview ${n.slug} expired and was destroyed`).sort());
    } finally {
      await other.end();
    }
    // The lock is free again: the next sweep takes it and removes the rest.
    await expect(job.run({ now: new Date(), trigger: "test" })).resolves.toMatchObject({ summary: expect.stringMatching(/destroyed 1 expired/) });
    expect(await leftovers(shellA, docker, kept.slug, kept.dir)).toEqual([]);
    expect(c.h.store.read().previews).toEqual([]);
  }, 180_000);
});
