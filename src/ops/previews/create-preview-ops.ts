import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIPv4, isIPv6 } from "node:net";
import { Mutex, Semaphore } from "async-mutex";
import ms from "ms";
import { actorKey, type Actor, type ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { PreviewRecord } from "../../store/state.js";
import type { ContainerSummary } from "../adapters/docker-client.js";
import { getHostResources } from "../adapters/get-host-resources.js";
import { createJournal } from "../journal/create-journal.js";
import { buildPreviewEnv, previewSecretScope } from "./build-preview-env.js";
import { describeHealthFailure } from "./describe-health-failure.js";
import { describeStartFailure } from "./describe-start-failure.js";
import { acquireHostLock, type HostLock } from "./host-lock.js";
import { pullImages } from "./pull-images.js";
import { getPreviewNames, type PreviewNames } from "./preview-names.js";
import type { DeployRequest, ExtendedPreview, ListedPreview, OrphanPreview, PreviewListing, PreviewOps, PreviewOpsOptions, ReconcileReport, StartedPreview, StoppedPreview } from "./preview-types.js";
import { noSuchPreview, previewExistsOnHost } from "./preview-exists.js";
import { removePreviewResources } from "./remove-preview-resources.js";
import { BASIC_AUTH_PASSWORD_ENV, publishPreviewRoute, reconcilePreviewRoutes } from "./preview-route.js";
import { listRouteDrift } from "./route-drift.js";
import { addTraefikLabels } from "./traefik-labels.js";
import { PREVIEW_LABEL, checkRenderedCompose, renderTemplate } from "./render-template.js";
import { MAX_SLUG_LENGTH, MIN_TTL_MS, toSlug, validateBranch, validateSha } from "./slug.js";
import { waitForEntry } from "./wait-for-entry.js";
import { waitForHealth } from "./wait-for-health.js";

export type { DeployRequest, PreviewListing, PreviewOps, PreviewOpsOptions, ReconcileReport, StartedPreview, StoppedPreview } from "./preview-types.js";

const LONG_SLUG = /^[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}$/;
const MAX_HOST_LOCKS = 3;

/**
 * Preview environments on one host: deploy, destroy, extend, list, reconcile.
 *
 * Locking: a per-slug guard in this process (a second request for the same slug is refused
 * at once, not queued), a process-wide mutex around quota check + reservation (so two different
 * branches cannot both take the last slot), and `flock -n` on the host held by a small holder
 * process for the whole remote critical section (see host-lock.ts), against a second bot or a
 * human racing on the same preview. At most 3 host locks are held at once per process (each
 * holder keeps an SSH session); further deploys/destroys of other slugs wait for a slot.
 *
 * State: an operation record (`running`) and the preview record (`deploying`) are written before
 * anything happens on the host, so a crash leaves a record that `reconcile` turns into
 * `interrupted` / `failed` and that `list` shows and `destroy` removes.
 */
export function createPreviewOps(options: PreviewOpsOptions): PreviewOps {
  const { config, host, compose, docker, dns, store, redact, templatePath, log } = options;
  const clock = options.clock ?? (() => new Date());
  const generateSecret = options.generateSecret ?? (() => randomBytes(32).toString("base64url"));
  const getResources = options.getResources ?? getHostResources;
  const dnsFailOnError = options.dnsFailOnError ?? true;
  const quotaLock = options.pool?.quotaLock ?? new Mutex();
  // In a pool every host's ops share one store: each lists and reconciles only its own records.
  const mine = (p: PreviewRecord): boolean => !options.pool || p.host === host.name;
  // Each held host lock keeps one SSH session open (its holder process). Capping how many are
  // held at once keeps sessions free for the commands those operations run, so many parallel
  // deploys/destroys (e.g. the TTL clean-up) queue here instead of starving each other.
  const hostSlots = new Semaphore(MAX_HOST_LOCKS);
  const active = new Set<string>();
  const hostLockSeconds = Math.ceil(config.health_timeout / 1000) + 15 * 60;
  const proxy = options.proxy;
  const removeDeps = { host, compose, docker, dns, log, stopTimeoutMs: config.stop_timeout, ...(proxy ? { proxy } : {}) };

  // `~/previews` (a config value for an SSH host) is resolved against the remote $HOME once.
  let baseDir = options.baseDir;
  let resolvingBase: Promise<string> | undefined;
  const resolveBase = async (): Promise<string> => {
    if (!baseDir.startsWith("~/")) return baseDir;
    resolvingBase ??= host.exec(["sh", "-c", 'printf %s "$HOME"']).then((r) => {
      if (!r.stdout.startsWith("/")) throw new OpsError("config", `the home directory of the user on host ${host.name} is not an absolute path`, "Set previews.base_dir to an absolute path.");
      baseDir = `${r.stdout.replace(/\/+$/, "")}/${baseDir.slice(2)}`;
      return baseDir;
    });
    return resolvingBase;
  };
  const names = async (slug: string): Promise<PreviewNames> => getPreviewNames(config, await resolveBase(), slug);
  const say = async (progress: ProgressFn, step: string): Promise<void> => {
    try {
      await progress(step);
    } catch (err) {
      log.warn({ err }, "could not post progress");
    }
  };

  async function lockOnHost(n: PreviewNames, progress: ProgressFn): Promise<HostLock> {
    if (hostSlots.isLocked()) await say(progress, `Preview ${n.slug}: waiting for other preview operations on ${host.name} to finish…`);
    const [, releaseSlot] = await hostSlots.acquire();
    try {
      const lock = await acquireHostLock(host, n.lockFile, hostLockSeconds, `preview ${n.slug}`);
      return {
        async release() {
          try {
            await lock.release();
          } finally {
            releaseSlot();
          }
        },
      };
    } catch (err) {
      releaseSlot();
      throw err;
    }
  }

  function guard(slug: string, doing: string): () => void {
    if (active.has(slug)) {
      throw new OpsError("busy", `preview ${slug}: another operation on it is already in progress`, `Wait for it to finish, then ${doing} again.`);
    }
    active.add(slug);
    return () => active.delete(slug);
  }

  const journal = createJournal({ store, redact, clock });

  async function startOperation(kind: string, target: string, actor: Actor): Promise<string> {
    return journal.begin(kind, target, actorKey(actor));
  }

  async function finishOperation(id: string, status: "succeeded" | "failed", summary: string): Promise<void> {
    await journal.finish(id, status, summary);
  }

  function findRecord(slugOrBranch: string): PreviewRecord | undefined {
    const previews = store.read().previews;
    return previews.find((p) => p.slug === slugOrBranch) ?? previews.find((p) => p.branch === slugOrBranch);
  }

  /**
   * A state record's slug or branch; else a slug as typed (a long slug such as an orphan's
   * `<46 chars>-<8 hex>` must not be hashed again); else the slug of a branch name.
   */
  function resolveSlug(slugOrBranch: string): string {
    const known = findRecord(slugOrBranch)?.slug;
    if (known) return known;
    if (slugOrBranch.length <= MAX_SLUG_LENGTH && LONG_SLUG.test(slugOrBranch)) return slugOrBranch;
    return toSlug(validateBranch(slugOrBranch));
  }

  /** Running previews on the host (distinct label values) plus reservations in state. */
  async function countInUse(exceptSlug: string): Promise<Map<string, string>> {
    const inUse = new Map<string, string>();
    const elsewhere = new Set(store.read().previews.filter((p) => !mine(p)).map((p) => p.slug));
    for (const c of await docker.listByLabel(PREVIEW_LABEL, { runningOnly: true })) {
      const slug = c.labels[PREVIEW_LABEL];
      if (slug && slug !== exceptSlug && !elsewhere.has(slug)) inUse.set(slug, "running");
    }
    for (const p of store.read().previews) {
      if (mine(p) && p.status === "deploying" && p.slug !== exceptSlug && !inUse.has(p.slug)) inUse.set(p.slug, "deploying");
    }
    return inUse;
  }

  async function checkResources(progress: ProgressFn): Promise<void> {
    await say(progress, `Checking free disk and memory on ${host.name}…`);
    const r = await getResources(host, baseDir);
    if (r.freeDiskMb < config.min_free_disk_mb) {
      throw new OpsError("resources", `host ${host.name} has ${r.freeDiskMb} MB of free disk under ${baseDir}; a preview needs at least ${config.min_free_disk_mb} MB`, "Free disk space (destroy old previews: /preview list), or lower previews.min_free_disk_mb.");
    }
    if (r.availableMemoryMb < config.min_free_memory_mb) {
      throw new OpsError("resources", `host ${host.name} has ${r.availableMemoryMb} MB of memory available; a preview needs at least ${config.min_free_memory_mb} MB`, "Destroy a preview you no longer need (/preview list), or lower previews.min_free_memory_mb.");
    }
  }

  /** Upsert the preview's record; a failure fails the deploy, or is a warning when `dnsFailOnError` is false. */
  async function publishDns(n: PreviewNames, warnings: string[]): Promise<void> {
    const target = config.dns_target;
    if (!target) return;
    const type = isIPv4(target) ? "A" : isIPv6(target) ? "AAAA" : "CNAME";
    try {
      await dns.upsert({ name: n.hostname, type, content: target });
    } catch (err) {
      const reason = redact(err instanceof Error ? err.message : String(err));
      if (dnsFailOnError) {
        const next = err instanceof OpsError ? `${err.nextStep} ` : "";
        throw new OpsError(err instanceof OpsError ? err.code : "external_api", `preview ${n.slug}: publishing DNS record ${n.hostname} failed: ${reason}`, `${next}To keep previews up when DNS fails, set dns.fail_on_error: false.`, { cause: err });
      }
      log.warn({ err: reason, slug: n.slug, hostname: n.hostname }, "DNS record not published; preview kept (dns.fail_on_error is false)");
      warnings.push(`DNS record ${n.hostname} could not be published (${reason}); the preview is up but its name does not resolve until DNS is fixed and it is deployed again`);
    }
  }

  async function deploy(req: DeployRequest, progress: ProgressFn): Promise<StartedPreview> {
    const branch = validateBranch(req.branch);
    const slug = toSlug(branch);
    const ref = req.ref !== undefined ? validateSha(req.ref) : config.default_ref;
    const ttlMs = req.ttlMs ?? config.default_ttl;
    if (!(ttlMs >= MIN_TTL_MS) || ttlMs > config.max_ttl) {
      throw new OpsError("bad_input", `the time to live must be from ${ms(MIN_TTL_MS)} to ${ms(config.max_ttl)}`, `Use --ttl from ${ms(MIN_TTL_MS)} to ${ms(config.max_ttl)}, e.g. --ttl 3d.`);
    }
    const n = await names(slug);
    const image = config.image.replaceAll("{ref}", ref);
    // Render first: a broken template fails before anything is reserved or touched.
    const rendered = addTraefikLabels(renderTemplate(await readFile(templatePath, "utf8"), {
      slug, project: n.project, network: n.network, image, hostname: n.hostname, url: n.url, ref, vars: config.vars,
      ...(config.entry ? { entry_port: String(config.entry.port) } : {}),
    }), config, n);
    const shape = checkRenderedCompose(rendered, slug, n.network);

    const release = guard(slug, `run /preview ${slug}`);
    try {
      await say(progress, `Preview ${slug}: checking the quota…`);
      const { opId, previous } = await quotaLock.runExclusive(async () => {
        const inUse = await countInUse(slug);
        if (inUse.size >= config.quota) {
          const list = [...inUse].map(([s, st]) => (st === "running" ? s : `${s} (${st})`)).join(", ");
          throw new OpsError("quota", `the preview quota ${options.pool ? `of host ${host.name} ` : ""}is reached: ${inUse.size} of ${config.quota} in use (${list})`, "Destroy one you no longer need with /preview destroy <slug>, or wait for one to expire.");
        }
        await options.pool?.checkQuota(slug);
        const now = clock();
        const id = await startOperation("preview.deploy", slug, req.actor);
        const prev = await store.update((s) => {
          const old = s.previews.find((p) => p.slug === slug);
          const record: PreviewRecord = {
            slug, branch, ref, host: host.name, project: n.project, hostname: n.hostname, url: n.url,
            requestedBy: actorKey(req.actor), requestedByName: req.actor.name,
            createdAt: old?.createdAt ?? now.toISOString(), updatedAt: now.toISOString(),
            expiresAt: new Date(now.getTime() + ttlMs).toISOString(), status: "deploying",
          };
          s.previews = [...s.previews.filter((p) => p.slug !== slug), record];
          return old ? { ...old } : undefined;
        });
        return { opId: id, previous: prev };
      });

      let hostLock: HostLock | undefined;
      try {
        await Promise.all([host.exec(["mkdir", "-p", "--", baseDir]), checkResources(progress)]);
        hostLock = await lockOnHost(n, progress);
      } catch (err) {
        // Nothing was made on the host: put the state back as it was.
        await store.update((s) => {
          s.previews = s.previews.filter((p) => p.slug !== slug);
          if (previous) s.previews.push(previous);
        });
        await finishOperation(opId, "failed", (err as Error).message);
        throw err;
      }

      const warnings: string[] = [];
      try {
        return await deployLocked({ n, branch, ref, ttlMs, shape, rendered, opId, redeployed: previous !== undefined, warnings, progress });
      } catch (err) {
        await say(progress, `Preview ${slug} failed; removing everything it created…`);
        let cleanup = "";
        try {
          await removePreviewResources(removeDeps, n);
          await removeLockFile(n);
        } catch (cleanupErr) {
          cleanup = ` Cleaning up also failed: ${(cleanupErr as Error).message}`;
          log.error({ err: cleanupErr, slug }, "cleanup after a failed deploy failed");
        }
        await store.update((s) => {
          const rec = s.previews.find((p) => p.slug === slug);
          if (cleanup && rec) Object.assign(rec, { status: "failed", updatedAt: clock().toISOString() });
          else s.previews = s.previews.filter((p) => p.slug !== slug);
        });
        await finishOperation(opId, "failed", `${(err as Error).message}${cleanup}`);
        if (cleanup && err instanceof OpsError) {
          throw new OpsError(err.code, `${err.message}.${cleanup}`, `Run /preview destroy ${slug} to retry the clean-up.`, { cause: err, details: err.details });
        }
        throw err;
      } finally {
        await hostLock.release();
      }
    } finally {
      release();
    }
  }

  async function deployLocked(a: {
    n: PreviewNames; branch: string; ref: string; ttlMs: number; shape: ReturnType<typeof checkRenderedCompose>; rendered: string;
    opId: string; redeployed: boolean; warnings: string[]; progress: ProgressFn;
  }): Promise<StartedPreview> {
    const { n, progress } = a;
    const project = { name: n.project, dir: n.dir };
    const credentials = config.proxy?.driver === "caddy" && config.proxy.basic_auth ? [...config.credentials, BASIC_AUTH_PASSWORD_ENV] : config.credentials;
    // No separate `compose config` pass: `up` validates the same file and interpolation (a compose v1
    // start is about a second), and its failure is reported with compose's own message. The two files,
    // the DNS record and the image check are independent, so they run at once on the one connection;
    // all settle before a failure is thrown, so the clean-up never races a pull still running.
    await say(progress, `Preview ${n.slug}: writing credentials and the compose file, publishing ${n.hostname} and ${config.pull === "never" ? "checking" : "pulling"} images (previews.pull: ${config.pull})…`);
    const steps = await Promise.allSettled([
      buildPreviewEnv({ host, redact, credentials, generateSecret }, n, a.ref).then((envText) => host.writeFile(n.envFile, envText, 0o600)),
      host.writeFile(n.composeFile, a.rendered, 0o644),
      publishDns(n, a.warnings),
      pullImages({ docker, hostName: host.name }, redact, a.shape.images, a.warnings, config.pull),
    ]);
    for (const step of steps) if (step.status === "rejected") throw step.reason;
    await say(progress, `Preview ${n.slug}: starting ${a.shape.services.join(", ")}…`);
    try {
      await compose.up(project, { timeoutMs: 10 * 60_000 });
    } catch (err) {
      throw await describeStartFailure({ docker, redact, tailLines: config.log_tail_lines }, n, err);
    }
    await say(progress, `Preview ${n.slug}: waiting for ${a.shape.services.join(", ")} to become healthy (at most ${ms(config.health_timeout)})…`);
    const healthStarted = Date.now();
    const outcome = await waitForHealth(docker, n.label, config.health_timeout);
    if (!outcome.ok) throw await describeHealthFailure({ docker, compose, redact, logTailLines: config.log_tail_lines, healthTimeoutMs: config.health_timeout }, n, outcome);
    const entry = await waitForEntry(host, docker, n, outcome.containers, config.entry, Math.max(1_000, config.health_timeout - (Date.now() - healthStarted)));
    if (entry.silent) {
      const entryContainers = outcome.containers.filter((c) => c.labels["com.docker.compose.service"] === entry.silent?.service);
      const failure = await describeHealthFailure({ docker, compose, redact, logTailLines: config.log_tail_lines, healthTimeoutMs: config.health_timeout }, n, { ok: false, reason: "timeout", failing: entryContainers, containers: outcome.containers });
      throw new OpsError("timeout", `preview ${n.slug} failed: service ${entry.silent.service} has no healthcheck and did not answer on port ${entry.silent.port} within ${ms(config.health_timeout, { long: true })}; everything it created was removed`, `Check that ${entry.silent.service} listens on ${entry.silent.port} (previews.entry), or give it a healthcheck; read its log tail below.`, { details: failure.details });
    }

    if (proxy) {
      await say(progress, `Preview ${n.slug}: routing ${n.hostname} through ${proxy.driver}…`);
      await publishPreviewRoute({ proxy, docker, host, config }, n);
    }

    const now = clock();
    const expiresAt = new Date(now.getTime() + a.ttlMs);
    const record = await store.update((s) => {
      const rec = s.previews.find((p) => p.slug === n.slug);
      if (rec) Object.assign(rec, { status: "running", updatedAt: now.toISOString(), expiresAt: expiresAt.toISOString() });
      return rec ? { ...rec } : undefined;
    });
    await finishOperation(a.opId, "succeeded", `preview ${n.slug} is up at ${n.url}`);
    log.info({ slug: n.slug, branch: a.branch, ref: a.ref, url: n.url }, "preview deployed");
    return {
      slug: n.slug, branch: a.branch, ref: a.ref, host: host.name, project: n.project, hostname: n.hostname, url: n.url,
      dir: n.dir, envFile: n.envFile, services: a.shape.services, serviceStates: entry.states,
      createdAt: new Date(record?.createdAt ?? now.toISOString()), expiresAt, redeployed: a.redeployed, warnings: a.warnings,
    };
  }

  async function destroy(slugOrBranch: string, actor: Actor, progress: ProgressFn): Promise<StoppedPreview> {
    const slug = resolveSlug(slugOrBranch);
    const n = await names(slug);
    const release = guard(slug, `run /preview destroy ${slug}`);
    try {
      const record = store.read().previews.find((p) => p.slug === slug);
      // Before any lock: a name that never existed gets no lock file and no operation record.
      if (!record && !(await previewExistsOnHost(host, docker, n))) throw noSuchPreview(slugOrBranch);
      const opId = await startOperation("preview.destroy", slug, actor);
      await store.update((s) => {
        const rec = s.previews.find((p) => p.slug === slug);
        if (rec) Object.assign(rec, { status: "destroying", updatedAt: clock().toISOString() });
      });
      try {
        await host.exec(["mkdir", "-p", "--", baseDir]);
        const hostLock = await lockOnHost(n, progress);
        try {
          await say(progress, `Preview ${slug}: removing containers, networks, volumes, DNS record and directory…`);
          const removed = await removePreviewResources(removeDeps, n);
          await removeLockFile(n);
          await store.update((s) => void (s.previews = s.previews.filter((p) => p.slug !== slug)));
          await finishOperation(opId, "succeeded", removed.length > 0 ? `removed ${removed.join("; ")}` : "nothing to remove");
          // Its credentials are gone from the host: stop looking for them in every line.
          redact.unregister(previewSecretScope(slug));
          log.info({ slug, removed }, "preview destroyed");
          return { slug, ...(record ? { branch: record.branch } : {}), host: host.name, removed: record && removed.length === 0 ? ["state record"] : removed };
        } finally {
          await hostLock.release();
        }
      } catch (err) {
        await store.update((s) => {
          const rec = s.previews.find((p) => p.slug === slug);
          if (rec) Object.assign(rec, { status: "failed", updatedAt: clock().toISOString() });
        });
        await finishOperation(opId, "failed", (err as Error).message);
        throw err;
      }
    } finally {
      release();
    }
  }

  /**
   * The lock file goes with the preview, removed while the lock is still held: a second process
   * that opened it before is refused (`flock -n`), one that comes after makes a fresh one.
   */
  async function removeLockFile(n: PreviewNames): Promise<void> {
    await host.exec(["rm", "-f", "--", n.lockFile]);
  }

  /** A state record, or anything with its label (or its directory) on the host. */
  async function exists(slugOrBranch: string): Promise<boolean> {
    const slug = resolveSlug(slugOrBranch);
    if (store.read().previews.some((p) => p.slug === slug)) return true;
    return previewExistsOnHost(host, docker, await names(slug));
  }

  async function extend(slugOrBranch: string, ttlMs: number, actor: Actor): Promise<ExtendedPreview> {
    if (!(ttlMs > 0)) throw new OpsError("bad_input", "the extension must be a positive duration", "Use e.g. /preview extend <branch> 1d.");
    const slugGuess = resolveSlug(slugOrBranch);
    const found = store.read().previews.find((p) => p.slug === slugGuess);
    if (!found) {
      throw noSuchPreview(slugOrBranch);
    }
    const slug = found.slug;
    const release = guard(slug, `run /preview extend ${slug}`);
    try {
      return await store.update((s) => {
        const rec = s.previews.find((p) => p.slug === slug);
        if (!rec) throw new OpsError("not_found", `preview ${slug} was just removed`, "See /preview list.");
        const now = clock().getTime();
        const previous = new Date(rec.expiresAt);
        const wanted = Math.max(now, previous.getTime()) + ttlMs;
        const cap = now + config.max_ttl;
        const next = Math.min(wanted, cap);
        Object.assign(rec, { expiresAt: new Date(next).toISOString(), updatedAt: new Date(now).toISOString() });
        log.info({ slug, by: actorKey(actor), expiresAt: rec.expiresAt }, "preview extended");
        return { preview: { ...rec }, previousExpiresAt: previous, capped: wanted > cap };
      });
    } finally {
      release();
    }
  }

  async function list(): Promise<PreviewListing> {
    const records = store.read().previews.filter(mine).map((p) => ({ ...p }));
    let containers: ContainerSummary[] = [];
    let hostError: string | undefined;
    try {
      containers = await docker.listByLabel(PREVIEW_LABEL);
    } catch (err) {
      hostError = `could not list containers on ${host.name}: ${redact((err as Error).message)}`;
    }
    const bySlug = new Map<string, ContainerSummary[]>();
    for (const c of containers) {
      const slug = c.labels[PREVIEW_LABEL];
      if (slug) bySlug.set(slug, [...(bySlug.get(slug) ?? []), c]);
    }
    const previews: ListedPreview[] = records.map((p) => {
      const running = (bySlug.get(p.slug) ?? []).filter((c) => c.state === "running").length;
      const drift = !hostError && p.status === "running" && running === 0 ? "missing on host" : undefined;
      return { ...p, runningContainers: running, ...(drift ? { drift } : {}) };
    });
    const known = new Set(records.map((p) => p.slug));
    const orphans: OrphanPreview[] = [...bySlug]
      .filter(([slug]) => !known.has(slug))
      .map(([slug, cs]) => ({ slug, containers: cs.map((c) => c.name), running: cs.filter((c) => c.state === "running").length }));
    const routes = proxy ? await listRouteDrift(proxy, previews, redact) : {};
    return { host: host.name, previews, orphans, ...routes, ...(hostError ? { hostError } : {}) };
  }

  async function reconcile(): Promise<ReconcileReport> {
    const now = clock().toISOString();
    const interrupted = await journal.reconcileAtStart((o) => o.kind.startsWith("preview.") && !active.has(o.target));
    const { failedPreviews } = await store.update((s) => {
      const half = s.previews.filter((p) => (p.status === "deploying" || p.status === "destroying") && !active.has(p.slug));
      for (const p of half) Object.assign(p, { status: "failed", updatedAt: now });
      return { failedPreviews: half.map((p) => ({ ...p })) };
    });
    if (interrupted.length > 0) log.warn({ operations: interrupted.map((o) => `${o.kind} ${o.target}`) }, "preview operations were interrupted");
    if (!proxy) return { interrupted, failedPreviews };
    // Caddy keeps no routes across a restart (its config file has none of ours): put them back.
    const running = store.read().previews.filter((p) => mine(p) && p.status === "running" && !active.has(p.slug));
    const routes = await reconcilePreviewRoutes({ proxy, docker, host, config, log }, await Promise.all(running.map((p) => names(p.slug)))).catch((err: unknown) => {
      log.error({ err: redact((err as Error).message) }, "could not reconcile preview routes");
      return { restored: [], removed: [], failed: [`all routes: ${redact((err as Error).message)}`] };
    });
    return { interrupted, failedPreviews, routes };
  }

  return { deploy, destroy, exists, extend, list, reconcile, resolveSlug };
}
