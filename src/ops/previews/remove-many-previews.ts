import { Semaphore } from "async-mutex";
import type { Logger } from "../../core/logger.js";
import type { ContainerSummary, DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import { CONTAINERS_PER_RM, removeContainersOnHost } from "../adapters/host-docker-rm.js";
import { listLabelled, type LabelledResources } from "./labelled-resources.js";
import { existingDirs } from "./preview-exists.js";
import { removePreviewRoute } from "./preview-route.js";
import type { PreviewNames } from "./preview-names.js";
import { PREVIEW_LABEL } from "./render-template.js";
import type { RemoveDeps } from "./remove-preview-resources.js";

/** Docker calls (and DNS/proxy calls) in flight at once per host during a batched removal. */
export const REMOVE_CONCURRENCY = 4;
const PROJECT_LABEL = "com.docker.compose.project";
const CONTAINER_ID = /^[0-9a-f]{12,64}$/;
const DOCKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** What a batched removal did for one preview: what was removed, or why it is not clean. */
export interface RemovedPreview {
  removed: string[];
  error?: string;
}

interface Owned<T> { slug: string; item: T }

/** Every preview resource on a host (the preview label's and the compose project label's key, any value). */
export function listPreviewResources(docker: DockerClient): Promise<LabelledResources> {
  return listLabelled(docker, [PREVIEW_LABEL, PROJECT_LABEL]);
}

/**
 * Remove every group's containers with the host's own `docker rm -f -v -- <ids>` (validated ids,
 * CONTAINERS_PER_RM per command; the same docker the preview's `docker compose` runs on), and
 * settle each group's promise as soon as the CLI has printed all of its ids (it prints each id once
 * removed, in argument order), so a preview's networks can go while the others' containers still
 * do. A container it could not remove is left to the caller's final listing, which names it per
 * preview; a command that could not run at all fails every group still waiting in it.
 */
function removeGroupsOnHost(host: HostShell, log: Logger, groups: Array<{ slug: string; ids: string[] }>, fail: (slug: string, err: unknown) => void): Array<Promise<void>> {
  const groupOf = new Map<string, number>();
  const left = groups.map((g) => g.ids.length);
  const settle: Array<() => void> = [];
  const done = groups.map(() => new Promise<void>((resolve) => void settle.push(resolve)));
  groups.forEach((g, i) => {
    for (const id of g.ids) groupOf.set(id, i);
    if (g.ids.length === 0) settle[i]?.();
  });
  const gone = (id: string): void => {
    const i = groupOf.get(id);
    if (i === undefined) return;
    groupOf.delete(id);
    if (--(left[i] as number) === 0) settle[i]?.();
  };
  const ids = [...groupOf.keys()];
  void (async () => {
    for (let k = 0; k < ids.length; k += CONTAINERS_PER_RM) {
      const chunk = ids.slice(k, k + CONTAINERS_PER_RM);
      try {
        const r = await removeContainersOnHost(host, chunk, gone);
        if (r.code !== 0) log.warn({ host: host.name, stderr: r.stderr.slice(0, 1000) }, "docker rm on the host did not remove every container; the final listing names what is left");
      } catch (err) {
        for (const slug of new Set(chunk.flatMap((id) => { const i = groupOf.get(id); return i === undefined ? [] : [(groups[i] as { slug: string }).slug]; }))) fail(slug, err);
      }
    }
    for (const s of settle) s();
  })();
  return done;
}

/** Run `fn` over `items`, at most `limit` at once. */
async function bounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const slots = new Semaphore(limit);
  return Promise.all(items.map((item) => slots.runExclusive(() => fn(item))));
}

/**
 * Remove many previews of one host in one batch (the TTL sweep; the caller holds their locks):
 * the same resources as `removePreviewResources`, found with one listing per resource kind and
 * label for all of them. Proxy routes first; DNS records from then on beside the rest; containers
 * killed and removed by the host's own `docker rm -f -v` (removeGroupsOnHost), each preview's
 * networks and volumes as soon as its own containers are gone, one `rm -rf` for every directory and
 * lock file once all containers are gone; then one listing again for anything left. A preview with
 * something left is reported with it; the others are clean.
 */
export async function removeManyPreviews(deps: RemoveDeps, all: readonly PreviewNames[], known: { dirs?: ReadonlySet<string>; listed?: Promise<LabelledResources> } = {}): Promise<Map<string, RemovedPreview>> {
  const { host, docker, dns, log } = deps;
  const out = new Map(all.map((n) => [n.slug, { removed: [] as string[] } as RemovedPreview]));
  const bySlug = new Map(all.map((n) => [n.slug, n]));
  const byProject = new Map(all.map((n) => [n.project, n.slug]));
  const note = (slug: string, line: string): void => void out.get(slug)?.removed.push(line);
  if (all.length === 0) return out;

  if (deps.proxy) {
    const proxy = deps.proxy;
    await bounded(all, REMOVE_CONCURRENCY, async (n) => {
      try {
        if (await removePreviewRoute(proxy, n)) note(n.slug, `route ${n.hostname}`);
      } catch (err) {
        log.warn({ err, slug: n.slug }, "could not remove the preview's proxy route");
        note(n.slug, `route ${n.hostname}: not removed (${(err as Error).message}); the next start-up reconcile removes it`);
      }
    });
  }

  const failures = new Map<string, string[]>();
  const dnsNotes = new Map<string, string>();
  const fail = (slug: string, what: string, err: unknown): void => {
    failures.set(slug, [...(failures.get(slug) ?? []), `${what}: ${(err as Error).message}`]);
  };
  const mine = <T>(xs: Array<Owned<T>>, slug: string): T[] => xs.filter((x) => x.slug === slug).map((x) => x.item);
  // DNS records need nothing on the host: their API calls run beside all the Docker work.
  const dnsRemovals = bounded(all, REMOVE_CONCURRENCY, async (n) => {
    try {
      const outcome = await dns.remove(n.hostname);
      if (outcome?.queued) dnsNotes.set(n.slug, `DNS record ${n.hostname}: not removed yet (${outcome.error}); queued, the next clean-up sweep removes it`);
      else if (dns.kind !== "none") dnsNotes.set(n.slug, `DNS record ${n.hostname}`);
    } catch (err) {
      fail(n.slug, `DNS record ${n.hostname}`, err);
    }
  });

  /** Whose is it: the preview label's slug, else the compose project's preview. */
  const owner = (labels: Record<string, string> | undefined, name: string): string | undefined => {
    const slug = labels?.[PREVIEW_LABEL];
    if (slug !== undefined && bySlug.has(slug)) return slug;
    const project = labels?.[PROJECT_LABEL];
    if (project !== undefined) return byProject.get(project);
    return byProject.get(name.split("_")[0] ?? "");
  };
  /** The previews' own resources in a listing (names carry the project prefix). */
  const ours = (listed: LabelledResources): { containers: Array<Owned<ContainerSummary>>; networks: Array<Owned<string>>; volumes: Array<Owned<string>> } => {
    const containers = listed.containers.flatMap((c) => {
      const slug = owner(c.labels, c.name);
      return slug ? [{ slug, item: c }] : [];
    });
    // Network and volume listings give names only: a preview's carry its project name as prefix
    // (compose) or are named after the preview's network (`network:` in the template).
    const named = (names: string[]): Array<Owned<string>> => [...new Set(names)].flatMap((name) => {
      const slug = byProject.get(name) ?? byProject.get(name.replace(/_[^_]*$/, ""));
      return slug ? [{ slug, item: name }] : [];
    });
    return { containers, networks: named(listed.networks), volumes: named(listed.volumes) };
  };
  const listAll = async (): Promise<ReturnType<typeof ours>> => ours(await listPreviewResources(docker));

  // The directories that exist: as the lock holder saw them (`known.dirs`, no command of its own), else looked up here.
  const [dirs, before] = await Promise.all([
    known.dirs ?? existingDirs(host, all.map((n) => n.dir)),
    known.listed ? known.listed.then(ours) : listAll(),
  ]);

  /**
   * Per preview: its containers (killed and removed with `rm -f -v`, no graceful stop: the previews
   * expired and their data is deleted), then its networks and volumes, which need them gone. dockerd
   * removes networks one at a time (iptables), so they start while other previews' containers go.
   */
  const slots = new Semaphore(REMOVE_CONCURRENCY);
  const containersOf = removeGroupsOnHost(host, log, all.map((n) => ({ slug: n.slug, ids: mine(before.containers, n.slug).map((c) => c.id).filter((id) => CONTAINER_ID.test(id)) })), (slug, e) => fail(slug, "containers", e));
  // Every removal ends before this returns (the caller then lets go of the locks); a failed `rm -rf` or listing is then thrown.
  const settled = await Promise.allSettled([
    // Every directory and lock file in one command once the containers are gone (bind mounts); the
    // locks are held, and a later flock makes a fresh file.
    Promise.all(containersOf).then(() => host.exec(["rm", "-rf", "--", ...all.flatMap((n) => [n.dir, n.lockFile])])),
    dnsRemovals,
    Promise.all(all.map((n, i) => (containersOf[i] as Promise<unknown>).then(() => Promise.all([
      ...mine(before.networks, n.slug).filter((x) => DOCKER_NAME.test(x)).map((x) => slots.runExclusive(() => docker.removeNetwork(x).catch((e: unknown) => fail(n.slug, `network ${x}`, e)))),
      ...mine(before.volumes, n.slug).filter((x) => DOCKER_NAME.test(x)).map((x) => slots.runExclusive(() => docker.removeVolume(x).catch((e: unknown) => fail(n.slug, `volume ${x}`, e)))),
    ])))).then(() => (
      // Nothing of theirs was on Docker when listed under their locks (nothing new came): nothing to look
      // for again. A listing taken beside the locks (`known.listed`) may have missed what a process
      // holding one created before letting go: always looked at again, so it is reported, never hidden.
      known.listed || before.containers.length + before.networks.length + before.volumes.length > 0 ? listAll() : { containers: [], networks: [], volumes: [] }
    )),
  ] as const);
  const failure = settled.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  const left = (settled[2] as PromiseFulfilledResult<Awaited<ReturnType<typeof listAll>>>).value;

  for (const n of all) {
    const containers = mine(before.containers, n.slug);
    if (containers.length > 0) note(n.slug, `containers: ${containers.map((c) => c.name).join(", ")}`);
    if (mine(before.networks, n.slug).length > 0) note(n.slug, `networks: ${mine(before.networks, n.slug).join(", ")}`);
    if (mine(before.volumes, n.slug).length > 0) note(n.slug, `volumes: ${mine(before.volumes, n.slug).join(", ")}`);
    if (dirs.has(n.dir)) note(n.slug, `directory ${n.dir}`);
    const dnsLine = dnsNotes.get(n.slug);
    if (dnsLine) note(n.slug, dnsLine);
  }

  for (const n of all) {
    const rest = [
      ...left.containers.filter((c) => c.slug === n.slug).map((c) => `container ${c.item.name}`),
      ...left.networks.filter((x) => x.slug === n.slug).map((x) => `network ${x.item}`),
      ...left.volumes.filter((x) => x.slug === n.slug).map((x) => `volume ${x.item}`),
    ];
    const errors = failures.get(n.slug) ?? [];
    if (rest.length > 0 || errors.length > 0) {
      const entry = out.get(n.slug) as RemovedPreview;
      entry.error = `preview ${n.slug} could not be removed completely; left on host ${host.name}: ${[...rest, ...errors].join(", ") || "see the log"}. Remove them by hand (docker rm -f / docker network rm / docker volume rm), then run /preview destroy ${n.slug}.`;
    }
  }
  return out;
}
