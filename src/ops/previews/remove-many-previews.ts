import { Semaphore } from "async-mutex";
import type { ContainerSummary } from "../adapters/docker-client.js";
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

/** Run `fn` over `items`, at most `limit` at once. */
async function bounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const slots = new Semaphore(limit);
  return Promise.all(items.map((item) => slots.runExclusive(() => fn(item))));
}

/**
 * Remove many previews of one host in one batch (the TTL sweep; the caller holds their locks):
 * the same resources as `removePreviewResources`, found with one listing per resource kind and
 * label for all of them, containers killed and removed at once (`rm -f -v`, no graceful stop: the
 * previews expired and their data is deleted), then networks and volumes, one `rm -rf` for every
 * directory and lock file, DNS records and proxy routes, each kind with a bound. A preview with
 * something left is reported with it; the others are clean.
 */
export async function removeManyPreviews(deps: RemoveDeps, all: readonly PreviewNames[]): Promise<Map<string, RemovedPreview>> {
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

  /** Whose is it: the preview label's slug, else the compose project's preview. */
  const owner = (labels: Record<string, string> | undefined, name: string): string | undefined => {
    const slug = labels?.[PREVIEW_LABEL];
    if (slug !== undefined && bySlug.has(slug)) return slug;
    const project = labels?.[PROJECT_LABEL];
    if (project !== undefined) return byProject.get(project);
    return byProject.get(name.split("_")[0] ?? "");
  };
  const listAll = async (): Promise<{ containers: Array<Owned<ContainerSummary>>; networks: Array<Owned<string>>; volumes: Array<Owned<string>> }> => {
    // One call per kind and label key for every preview at once; names carry the project prefix.
    const [c1, c2, n1, n2, v1, v2] = await Promise.all([
      docker.listByLabel(PREVIEW_LABEL), docker.listByLabel(PROJECT_LABEL),
      docker.listNetworks(PREVIEW_LABEL), docker.listNetworks(PROJECT_LABEL),
      docker.listVolumes(PREVIEW_LABEL), docker.listVolumes(PROJECT_LABEL),
    ]);
    const containers = [...new Map([...c1, ...c2].map((c) => [c.id, c])).values()].flatMap((c) => {
      const slug = owner(c.labels, c.name);
      return slug ? [{ slug, item: c }] : [];
    });
    // Network and volume listings give names only: a preview's carry its project name as prefix
    // (compose) or are named after the preview's network (`network:` in the template).
    const named = (names: string[]): Array<Owned<string>> => [...new Set(names)].flatMap((name) => {
      const slug = byProject.get(name) ?? byProject.get(name.replace(/_[^_]*$/, ""));
      return slug ? [{ slug, item: name }] : [];
    });
    return { containers, networks: named([...n1, ...n2]), volumes: named([...v1, ...v2]) };
  };

  const [dirList, before] = await Promise.all([host.exec(["sh", "-c", 'for d in "$@"; do test -d "$d" && echo "$d"; done; true', "opsdeck-dirs", ...all.map((n) => n.dir)]), listAll()]);
  const dirs = new Set(dirList.stdout.split("\n").filter((d) => d !== ""));

  const failures = new Map<string, string[]>();
  const dnsNotes = new Map<string, string>();
  const fail = (slug: string, what: string, err: unknown): void => {
    failures.set(slug, [...(failures.get(slug) ?? []), `${what}: ${(err as Error).message}`]);
  };
  // Expired previews are deleted anyway: `rm -f` kills at once instead of waiting for a stop.
  await bounded(before.containers.filter((c) => CONTAINER_ID.test(c.item.id)), REMOVE_CONCURRENCY, (c) => docker.removeContainer(c.item.id).catch((e: unknown) => fail(c.slug, `container ${c.item.name}`, e)));
  await Promise.all([
    bounded(before.networks.filter((n) => DOCKER_NAME.test(n.item)), REMOVE_CONCURRENCY, (n) => docker.removeNetwork(n.item).catch((e: unknown) => fail(n.slug, `network ${n.item}`, e))),
    bounded(before.volumes.filter((v) => DOCKER_NAME.test(v.item)), REMOVE_CONCURRENCY, (v) => docker.removeVolume(v.item).catch((e: unknown) => fail(v.slug, `volume ${v.item}`, e))),
    // Every directory and lock file in one command (the locks are held; a later flock makes a fresh file).
    host.exec(["rm", "-rf", "--", ...all.flatMap((n) => [n.dir, n.lockFile])]),
    bounded(all, REMOVE_CONCURRENCY, async (n) => {
      try {
        const outcome = await dns.remove(n.hostname);
        if (outcome?.queued) dnsNotes.set(n.slug, `DNS record ${n.hostname}: not removed yet (${outcome.error}); queued, the next clean-up sweep removes it`);
        else if (dns.kind !== "none") dnsNotes.set(n.slug, `DNS record ${n.hostname}`);
      } catch (err) {
        fail(n.slug, `DNS record ${n.hostname}`, err);
      }
    }),
  ]);

  for (const n of all) {
    const mine = <T>(xs: Array<Owned<T>>): T[] => xs.filter((x) => x.slug === n.slug).map((x) => x.item);
    const containers = mine(before.containers);
    if (containers.length > 0) note(n.slug, `containers: ${containers.map((c) => c.name).join(", ")}`);
    if (mine(before.networks).length > 0) note(n.slug, `networks: ${mine(before.networks).join(", ")}`);
    if (mine(before.volumes).length > 0) note(n.slug, `volumes: ${mine(before.volumes).join(", ")}`);
    if (dirs.has(n.dir)) note(n.slug, `directory ${n.dir}`);
    const dnsLine = dnsNotes.get(n.slug);
    if (dnsLine) note(n.slug, dnsLine);
  }

  // Nothing of theirs was on Docker (their locks are held, so nothing new came): nothing to look for again.
  const found = before.containers.length + before.networks.length + before.volumes.length > 0;
  const left = found ? await listAll() : { containers: [], networks: [], volumes: [] };
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
