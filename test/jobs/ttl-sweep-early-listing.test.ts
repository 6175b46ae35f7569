// The TTL sweep lists Docker beside taking the locks (not after), and lists again once they are
// held: a container that another process (holding a preview's lock) created before letting go is
// reported on that preview, never hidden, and the next sweep removes it. The lock holder runs
// through a `perl` shim on PATH that first waits (and, in the second case, plays that other process
// by creating the container), then runs the real perl; sshd, dockerd and flock are real.
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
/** The holder's perl, late by 1 s; with $SLUG set, first a container of that preview appears (as another process would make it). */
const SHIM = `#!/bin/sh
sleep 1
if [ -n "\${SLUG:-}" ]; then docker run -d --network none --label "opsdeck.preview=$SLUG" --label "com.docker.compose.project=preview-$SLUG" --name "preview-$SLUG"_late_1 "$IMG" >/dev/null || exit 1; fi
real=; for d in /usr/local/bin /usr/bin /bin; do if [ -x "$d/perl" ]; then real=$d/perl; break; fi; done
exec "$real" "$@"
`;

/** The real shell and Docker client with calls recorded in order; `held` when the lock holder reports its locks held. */
function recorded(envVars: string[]): { shell: SshHostShell; docker: DockerClient; events: string[] } {
  const events: string[] = [];
  const docked = new Proxy(docker, {
    get(obj, key, recv) {
      const v = Reflect.get(obj, key, recv) as unknown;
      if (typeof v !== "function" || !String(key).startsWith("list")) return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } finally {
          events.push(`end docker.${String(key)}`);
        }
      };
    },
  });
  const shelled = new Proxy(shell, {
    get(obj, key, recv) {
      const v = Reflect.get(obj, key, recv) as unknown;
      if (key !== "exec" || typeof v !== "function") return v;
      return (argv: string[], options: ExecOptions = {}) => {
        const onStdout = options.onStdout;
        const watched = onStdout ? { ...options, onStdout: (c: string) => (c.includes("opsdeck-locks-held") && events.push("held"), onStdout(c)) } : options;
        return (v as SshHostShell["exec"]).apply(obj, [["env", ...envVars, ...argv], watched]);
      };
    },
  }) as SshHostShell;
  return { shell: shelled, docker: docked, events };
}

const shimDir = (): Promise<string> => makeShimDir("perl", SHIM);

describe("TTL sweep listing beside the locks", () => {
  it("the Docker listing is done before the lock holder reports its locks held", async () => {
    const baseDir = `${env.previewsDir}/${uniqueName("sel")}`;
    const slugs = [uniqueName("sel0"), uniqueName("sel1")];
    cleanups.push({ slugs, baseDir });
    const rec = recorded([`PATH=${await shimDir()}:${PATH}`]);
    const rig = await makeRig({ shell: rec.shell, docker: rec.docker, baseDir });
    await plantExpired(rig.h.store, shell, rig.config, baseDir, slugs, new Date());
    const report = await rig.ops.sweepExpired?.(new Date(), actor);
    expect(report?.failed).toEqual([]);
    const held = rec.events.indexOf("held");
    expect(held).toBeGreaterThan(0);
    // Six listing calls before the locks, six after (the check for anything the first missed).
    expect(rec.events.slice(0, held).filter((e) => e.startsWith("end docker.list"))).toHaveLength(6);
    expect(rec.events.slice(held).filter((e) => e.startsWith("end docker.list"))).toHaveLength(6);
  }, 60_000);

  it("a container created before the locks were taken is reported on its preview, kept for the next sweep, which removes it", async () => {
    const baseDir = `${env.previewsDir}/${uniqueName("ser")}`;
    const slugs = [uniqueName("ser0"), uniqueName("ser1")];
    cleanups.push({ slugs, baseDir });
    const late = slugs[1] as string;
    const rec = recorded([`PATH=${await shimDir()}:${PATH}`, `SLUG=${late}`, `IMG=${env.images.busybox}`]);
    const rig = await makeRig({ shell: rec.shell, docker: rec.docker, baseDir });
    const names = await plantExpired(rig.h.store, shell, rig.config, baseDir, slugs, new Date());
    const report = await rig.ops.sweepExpired?.(new Date(), actor);
    expect(report?.destroyed.map((d) => d.slug)).toEqual([slugs[0]]);
    expect(report?.failed.map((f) => f.slug)).toEqual([late]);
    expect(report?.failed[0]?.error).toContain(`container preview-${late}_late_1`);
    expect(rig.h.store.read().previews.map((p) => [p.slug, p.status])).toEqual([[late, "failed"]]);
    // The next sweep (without the other process) finds and removes it.
    const clean = await makeRig({ shell, docker, baseDir });
    await clean.h.store.update((s) => void s.previews.push(...rig.h.store.read().previews));
    const again = await clean.ops.sweepExpired?.(new Date(), actor);
    expect(again?.failed).toEqual([]);
    expect(again?.destroyed.map((d) => d.slug)).toEqual([late]);
    expect(await leftovers(shell, docker, late, names[1]?.dir as string)).toEqual([]);
  }, 60_000);
});
