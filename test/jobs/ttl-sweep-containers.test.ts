// The TTL sweep's container removal against the real sshd/dockerd: one host-side `docker rm -f -v`
// for all of a host's expired containers (not one Docker API call each through the forwarded
// socket), each preview's network removed as soon as the CLI reports its containers gone, and a
// container the removal leaves named on its own preview. Two cases run the CLI through a shim on
// PATH (the real docker, in two steps with a pause, or leaving one id), the rest is real.
import { describe, expect, it } from "vitest";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import type { ExecOptions } from "../../src/ops/adapters/host-shell.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { env, leftovers, makeRig } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { SYSTEM_PATH as PATH, sweepTestHost } from "./sweep-test-host.js";
import { plantExpired } from "./ttl-sweep-fixture.js";

const { shell, docker, cleanups, shimDir: makeShimDir } = sweepTestHost();
const actor = { platform: "job" as const, id: "ttl-cleanup", name: "ttl-cleanup" };
/** `docker rm -f -v -- ids…` as the real docker in two steps: the first id, a pause ($PAUSE s), the rest but $SKIP (then exit 1). */
const SHIM = `#!/bin/sh
real=; for d in /usr/local/bin /usr/bin /bin; do if [ -x "$d/docker" ]; then real=$d/docker; break; fi; done
[ "$1" = rm ] || exec "$real" "$@"
shift 4
first=$1; shift
[ "$first" = "\${SKIP:-}" ] || "$real" rm -f -v -- "$first" || exit 1
sleep "\${PAUSE:-0}"
rest=""; for id; do [ "$id" = "\${SKIP:-}" ] || rest="$rest $id"; done
[ -z "$rest" ] || "$real" rm -f -v -- $rest || exit 1
[ -z "\${SKIP:-}" ] || { echo "Error response from daemon: could not remove $SKIP" >&2; exit 1; }
`;

/** The real shell and Docker client, with each host command and Docker call's start and end recorded in order. */
function recorded(envVars?: string[]): { shell: SshHostShell; docker: DockerClient; events: string[] } {
  const events: string[] = [];
  const watch = <T extends object>(target: T, label: string, wrapArgv?: (argv: string[]) => string[]): T => new Proxy(target, {
    get(obj, key, recv) {
      const v = Reflect.get(obj, key, recv) as unknown;
      if (typeof v !== "function" || key === "close") return v;
      return async (...args: unknown[]) => {
        const what = `${label}.${String(key)} ${Array.isArray(args[0]) ? (args[0] as string[]).slice(0, 2).join(" ") : String(args[0])}`;
        events.push(`start ${what}`);
        try {
          const call = key === "exec" && wrapArgv ? [wrapArgv(args[0] as string[]), args[1] as ExecOptions] : args;
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(obj, call);
        } finally {
          events.push(`end ${what}`);
        }
      };
    },
  });
  const wrapped = envVars ? (argv: string[]) => ["env", ...envVars, ...argv] : undefined;
  return { shell: watch(shell, "host", wrapped), docker: watch(docker, "docker"), events };
}

/** Expired previews with one labelled container each (on its own network when `network`), their directories and records. */
async function plant(store: Parameters<typeof plantExpired>[0], config: Parameters<typeof plantExpired>[2], baseDir: string, slugs: string[], network: boolean) {
  const names = await plantExpired(store, shell, config, baseDir, slugs, new Date());
  const script = String.raw`img="$1"; net="$2"; shift 2; for slug in "$@"; do
  n=none; if [ "$net" = yes ]; then n="preview-$slug"_default; docker network create --label "opsdeck.preview=$slug" --label "com.docker.compose.project=preview-$slug" "$n" >/dev/null || exit 1; fi
  docker run -d --network "$n" --label "opsdeck.preview=$slug" --label "com.docker.compose.project=preview-$slug" --label com.docker.compose.service=app --name "preview-$slug"_app_1 "$img" >/dev/null || exit 1
done`;
  await shell.exec(["sh", "-c", script, "plant", env.images.busybox, network ? "yes" : "no", ...slugs], { timeoutMs: 120_000 });
  return names;
}

const shimDir = (): Promise<string> => makeShimDir("docker", SHIM);

describe("TTL sweep container removal", () => {
  it("removes every expired container of a host with one host-side docker rm -f -v and no Docker API removal", async () => {
    const baseDir = `${env.previewsDir}/${uniqueName("swc")}`;
    const slugs = Array.from({ length: 6 }, (_, i) => uniqueName(`swc${i}`));
    cleanups.push({ slugs, baseDir });
    const rec = recorded();
    const rig = await makeRig({ shell: rec.shell, docker: rec.docker, baseDir });
    const names = await plant(rig.h.store, rig.config, baseDir, slugs, false);
    rec.events.length = 0;
    const report = await rig.ops.sweepExpired?.(new Date(), actor);
    expect(report?.failed).toEqual([]);
    expect(report?.destroyed.map((d) => d.slug).sort()).toEqual([...slugs].sort());
    const rms = rec.events.filter((e) => e.startsWith("start host.exec docker rm"));
    expect(rms).toHaveLength(1);
    expect(rec.events.filter((e) => e.includes("docker.removeContainer"))).toEqual([]);
    for (const n of names) expect(await leftovers(shell, docker, n.slug, n.dir)).toEqual([]);
    expect(rig.h.store.read().previews).toEqual([]);
  }, 120_000);

  it("a preview's network goes as soon as the CLI reports its containers removed, while the others' still go", async () => {
    const baseDir = `${env.previewsDir}/${uniqueName("swn")}`;
    const slugs = [uniqueName("swn0"), uniqueName("swn1")];
    cleanups.push({ slugs, baseDir });
    const bin = await shimDir();
    const rec = recorded([`PATH=${bin}:${PATH}`, "PAUSE=3"]);
    const rig = await makeRig({ shell: rec.shell, docker: rec.docker, baseDir });
    const names = await plant(rig.h.store, rig.config, baseDir, slugs, true);
    rec.events.length = 0;
    const report = await rig.ops.sweepExpired?.(new Date(), actor);
    expect(report?.failed).toEqual([]);
    const ev = rec.events;
    // The shim removes the first preview's container, pauses 3 s, then the second's: the first
    // preview's network removal starts (and ends) inside that pause, before the command ends.
    const rmEnd = ev.indexOf("end host.exec docker rm");
    const firstNet = ev.findIndex((e) => e.startsWith("end docker.removeNetwork"));
    expect(rmEnd).toBeGreaterThan(0);
    expect(firstNet).toBeGreaterThan(0);
    expect(firstNet).toBeLessThan(rmEnd);
    expect(ev.filter((e) => e.startsWith("start docker.removeNetwork"))).toHaveLength(2);
    for (const n of names) expect(await leftovers(shell, docker, n.slug, n.dir)).toEqual([]);
  }, 120_000);

  it("a container the removal leaves is reported on its own preview, which stays for the next sweep; the others are destroyed", async () => {
    const baseDir = `${env.previewsDir}/${uniqueName("swl")}`;
    const slugs = [uniqueName("swl0"), uniqueName("swl1"), uniqueName("swl2")];
    cleanups.push({ slugs, baseDir });
    const bin = await shimDir();
    const vars = [`PATH=${bin}:${PATH}`];
    const rec = recorded(vars);
    const rig = await makeRig({ shell: rec.shell, docker: rec.docker, baseDir });
    const names = await plant(rig.h.store, rig.config, baseDir, slugs, false);
    const stuck = (await docker.listByLabel(`opsdeck.preview=${slugs[1]}`))[0];
    expect(stuck).toBeDefined();
    vars.push(`SKIP=${stuck?.id ?? ""}`);
    const report = await rig.ops.sweepExpired?.(new Date(), actor);
    expect(report?.destroyed.map((d) => d.slug).sort()).toEqual([slugs[0], slugs[2]].sort());
    expect(report?.failed).toHaveLength(1);
    expect(report?.failed[0]?.slug).toBe(slugs[1]);
    expect(report?.failed[0]?.error).toContain(`container ${stuck?.name}`);
    expect(rig.h.store.read().previews.map((p) => [p.slug, p.status])).toEqual([[slugs[1], "failed"]]);
    expect(await leftovers(shell, docker, slugs[1] as string, names[1]?.dir as string)).toContain(`container ${stuck?.name}`);
    for (const n of [names[0], names[2]]) expect(await leftovers(shell, docker, n?.slug as string, n?.dir as string)).toEqual([]);
  }, 120_000);
});
