import type { ExecResult, HostShell } from "./host-shell.js";

/**
 * Containers per host-side `docker rm -f -v` command. The host's docker CLI removes the ids of one
 * command up to 50 at once against its local socket: 100 containers over two hosts took 3.9-5.4 s
 * that way against 3.7-4.3 s for dockerd's floor (one `docker rm -f` of all), and 10 s through the
 * SSH-forwarded socket at 4 API calls per host (16 or 32 in flight: 72 s and 99 s; the forwarded
 * socket does not scale). 2-core test machine, bench/ttl-sweep.ts and a direct timing, 2026-12-01.
 */
export const CONTAINERS_PER_RM = 200;
const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

/**
 * Kill and remove containers (and their anonymous volumes) with ONE host-side `docker rm -f -v --
 * <ids>`: the host's own docker CLI, the daemon `docker compose` runs on (hosts.*.docker_socket must
 * be its socket). `onRemoved` gets each id as the CLI prints it (once removed). Refuses anything
 * but container ids, and more than CONTAINERS_PER_RM of them. Resolves with the command's exit code
 * and stderr (non-zero: some were not removed); throws when the command could not run.
 */
export async function removeContainersOnHost(host: HostShell, ids: readonly string[], onRemoved: (id: string) => void): Promise<ExecResult> {
  const bad = ids.find((id) => !CONTAINER_ID.test(id));
  if (bad !== undefined) throw new Error(`not a container id: ${JSON.stringify(bad.slice(0, 80))}`);
  if (ids.length > CONTAINERS_PER_RM) throw new Error(`at most ${CONTAINERS_PER_RM} containers per docker rm, not ${ids.length}`);
  let rest = "";
  const r = await host.exec(["docker", "rm", "-f", "-v", "--", ...ids], {
    allowFailure: true,
    timeoutMs: 300_000,
    onStdout: (out) => {
      const lines = (rest + out).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onRemoved(line.trim());
    },
  });
  if (rest.trim()) onRemoved(rest.trim());
  return r;
}
