// The TTL sweep's own overhead on a host: how many SSH commands one sweep runs, and the lock holder
// that takes every lock, creates the base directory and checks the directories in one session (with
// perl on the host; the flock chain without it). Real sshd, real flock on the host.
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import type { ExecOptions } from "../../src/ops/adapters/host-shell.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { getPreviewNames } from "../../src/ops/previews/preview-names.js";
import { holdLocks } from "../../src/ops/previews/sweep-locks.js";
import { env, makeDocker, makeRig, makeShell } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { plantExpired } from "./ttl-sweep-fixture.js";

const shell = makeShell();
const docker = makeDocker(shell);
const bases: string[] = [];
const base = (prefix: string): string => {
  const b = `${env.previewsDir}/${uniqueName(prefix)}`;
  bases.push(b);
  return b;
};

/** The real shell, with every command it runs recorded (and optionally run with another PATH). */
function recording(path?: string): { shell: SshHostShell; commands: string[][] } {
  const commands: string[][] = [];
  const wrapped = new Proxy(shell, {
    get(target, key, recv) {
      const v = Reflect.get(target, key, recv) as unknown;
      if (key !== "exec" || typeof v !== "function") return v;
      return (argv: string[], options?: ExecOptions) => {
        commands.push(argv);
        return (v as SshHostShell["exec"]).apply(target, [path ? ["env", `PATH=${path}`, ...argv] : argv, options]);
      };
    },
  }) as SshHostShell;
  return { shell: wrapped, commands };
}

/** Whether another process (a `/preview destroy`) could take the lock right now: `flock -n` over its own SSH session. */
function freeElsewhere(lockFile: string): boolean {
  const r = spawnSync("ssh", ["-i", env.sshKeyPath, "-p", String(env.sshPort), "-o", `UserKnownHostsFile=${env.knownHostsPath}`, "-o", "BatchMode=yes", `${env.sshUser}@${env.sshHost}`, `flock -n ${lockFile} true`]);
  return r.status === 0;
}

afterAll(async () => {
  if (bases.length > 0) await shell.exec(["rm", "-rf", "--", ...bases], { allowFailure: true });
  await docker.close();
  await shell.close();
});

describe("TTL sweep round trips", () => {
  it("a sweep of expired previews with nothing on Docker runs three host commands: the lock holder, one rm -rf, the release", async () => {
    const dir = base("rt");
    const { shell: counted, commands } = recording();
    const rig = await makeRig({ shell: counted, docker, baseDir: dir });
    const now = new Date();
    const names = await plantExpired(rig.h.store, shell, rig.config, dir, ["rt-a", "rt-b", "rt-c"], now);
    commands.length = 0;
    const report = await rig.ops.sweepExpired?.(now, { platform: "job", id: "ttl-cleanup", name: "ttl-cleanup" });
    expect(report?.failed).toEqual([]);
    expect(report?.destroyed.map((d) => d.slug).sort()).toEqual(names.map((n) => n.slug));
    // The directory check came from the holder: each preview's directory is still reported removed.
    for (const d of report?.destroyed ?? []) expect(d.removed).toContain(`directory ${dir}/${d.slug}`);
    await expect.poll(() => commands.length).toBe(3);
    expect(commands.map((argv) => argv[0])).toEqual(["sh", "rm", "kill"]);
    expect(commands[0]?.filter((a) => a.endsWith(".lock")).sort()).toEqual(names.map((n) => n.lockFile).sort());
    const left = await shell.exec(["sh", "-c", 'for f in "$@"; do test -e "$f" && echo "$f"; done; true', "sh", ...names.flatMap((n) => [n.dir, n.lockFile])]);
    expect(left.stdout).toBe("");
    expect(rig.h.store.read().previews).toEqual([]);
  }, 60_000);

  it("the holder creates the base directory, holds every free lock against another process's flock -n, names the busy one, and lets go on release", async () => {
    const dir = `${base("hl")}/nested`;
    const config = { ...(await makeRig({ shell, docker, baseDir: dir })).config };
    const [a, b, c] = ["hl-a", "hl-b", "hl-c"].map((slug) => getPreviewNames(config, dir, slug)) as [ReturnType<typeof getPreviewNames>, ReturnType<typeof getPreviewNames>, ReturnType<typeof getPreviewNames>];
    const { shell: counted, commands } = recording();
    // Nothing exists yet: the first sweep of a fresh host makes the base directory itself.
    const first = await holdLocks(counted, dir, [a, b].map((n) => ({ lockFile: n.lockFile, dir: n.dir })), 60);
    expect(commands).toHaveLength(1);
    expect(first.busy).toEqual([]);
    expect(first.dirs).toEqual(new Set());
    await shell.exec(["mkdir", "-p", "--", c.dir]);
    // b is held; a second holder over c (directory present) and b finds b busy.
    const second = await holdLocks(counted, dir, [c, b].map((n) => ({ lockFile: n.lockFile, dir: n.dir })), 60);
    expect(second.held).toEqual([c.lockFile]);
    expect(second.busy).toEqual([b.lockFile]);
    expect(second.dirs).toEqual(new Set([c.dir]));
    expect([a, b, c].map((n) => freeElsewhere(n.lockFile))).toEqual([false, false, false]);
    await first.release();
    expect([a, b, c].map((n) => freeElsewhere(n.lockFile))).toEqual([true, true, false]);
    await second.release();
    expect(freeElsewhere(c.lockFile)).toBe(true);
  }, 60_000);

  it("on a host without perl the flock chain holds the locks and a command of its own checks the directories", async () => {
    const dir = base("np");
    const bin = `${dir}-bin`;
    bases.push(bin);
    // A PATH with the tools the chain needs and no perl.
    await shell.exec(["sh", "-c", 'mkdir -p "$1" && for t in sh mkdir flock sleep kill rm; do for d in /usr/local/bin /usr/bin /bin; do if [ -x "$d/$t" ]; then ln -s "$d/$t" "$1/$t"; break; fi; done; done', "sh", bin]);
    const { shell: noPerl, commands } = recording(bin);
    const rig = await makeRig({ shell, docker, baseDir: dir });
    const [a, b] = ["np-a", "np-b"].map((slug) => getPreviewNames(rig.config, dir, slug)) as [ReturnType<typeof getPreviewNames>, ReturnType<typeof getPreviewNames>];
    await shell.exec(["mkdir", "-p", "--", a.dir]);
    const held = await holdLocks(noPerl, dir, [a, b].map((n) => ({ lockFile: n.lockFile, dir: n.dir })), 60);
    expect(held.held.sort()).toEqual([a.lockFile, b.lockFile].sort());
    expect(held.dirs).toEqual(new Set([a.dir]));
    expect(commands.map((argv) => argv[0])).toEqual(["sh", "flock", "sh"]);
    expect([a, b].map((n) => freeElsewhere(n.lockFile))).toEqual([false, false]);
    await held.release();
    expect([a, b].map((n) => freeElsewhere(n.lockFile))).toEqual([true, true]);
  }, 60_000);
});
