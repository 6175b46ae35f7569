import { afterAll, describe, expect, it } from "vitest";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { CONTAINERS_PER_RM, removeContainersOnHost } from "../../src/ops/adapters/host-docker-rm.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";

// The real dockerd through the host's own docker CLI (a local host shell).
const env = loadTestEnv();
const host = createLocalHostShell({ name: "local", commandTimeoutMs: 60_000 });
const made: string[] = [];

afterAll(async () => {
  if (made.length > 0) await host.exec(["docker", "rm", "-f", ...made], { allowFailure: true });
});

describe("removeContainersOnHost (one host-side docker rm -f -v)", () => {
  it("removes running containers and reports each id as the CLI prints it", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await host.exec(["docker", "run", "-d", "--network", "none", "--name", uniqueName("hostrm"), env.images.busybox, "sleep", "300"]);
      ids.push(r.stdout.trim());
    }
    made.push(...ids);
    const seen: string[] = [];
    const r = await removeContainersOnHost(host, ids, (id) => seen.push(id));
    expect(r.code).toBe(0);
    expect(seen.sort()).toEqual([...ids].sort());
    const left = await host.exec(["docker", "ps", "-aq", "--no-trunc", ...ids.flatMap((id) => ["--filter", `id=${id}`])]);
    expect(left.stdout.trim()).toBe("");
  });

  it("does not name an id that is not there (docker 20.10's rm -f exits 0 and says so on stderr)", async () => {
    const seen: string[] = [];
    const r = await removeContainersOnHost(host, ["0123456789ab0123456789ab"], (id) => seen.push(id));
    expect(r.stderr).toMatch(/No such container/);
    expect(seen).toEqual([]);
  });

  it("refuses anything but container ids, and too many at once, before running a command", async () => {
    const ran: string[][] = [];
    const spy = { ...host, exec: (argv: string[], o?: Parameters<typeof host.exec>[1]) => (ran.push(argv), host.exec(argv, o)) };
    await expect(removeContainersOnHost(spy, ["abc123abc123", "$(touch /tmp/x)"], () => {})).rejects.toThrow(/not a container id/);
    await expect(removeContainersOnHost(spy, ["--help0000000"], () => {})).rejects.toThrow(/not a container id/);
    await expect(removeContainersOnHost(spy, Array.from({ length: CONTAINERS_PER_RM + 1 }, (_, i) => i.toString(16).padStart(12, "0")), () => {})).rejects.toThrow(/at most/);
    expect(ran).toEqual([]);
  });
});
