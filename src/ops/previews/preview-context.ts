import { randomBytes } from "node:crypto";
import { Mutex, Semaphore } from "async-mutex";
import { actorKey, type Actor, type ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { PreviewRecord } from "../../store/state.js";
import { getHostResources } from "../adapters/get-host-resources.js";
import { createJournal } from "../journal/create-journal.js";
import { acquireHostLock, type HostLock } from "../host-lock.js";
import { getPreviewNames, type PreviewNames } from "./preview-names.js";
import type { PreviewOpsOptions } from "./preview-types.js";
import type { removePreviewResources } from "./remove-preview-resources.js";
import { MAX_SLUG_LENGTH, toSlug, validateBranch } from "./slug.js";

const LONG_SLUG = /^[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}$/;
const MAX_HOST_LOCKS = 3;

/** What every preview operation of one host shares: its options, locks, journal and helpers. */
export interface PreviewContext extends Omit<PreviewOpsOptions, "baseDir" | "clock" | "generateSecret" | "getResources" | "dnsFailOnError"> {
  clock: () => Date;
  generateSecret: () => string;
  getResources: NonNullable<PreviewOpsOptions["getResources"]>;
  dnsFailOnError: boolean;
  quotaLock: Mutex;
  /** Slugs with an operation in progress in this process. */
  active: Set<string>;
  removeDeps: Parameters<typeof removePreviewResources>[0];
  /** In a pool every host's ops share one store: each lists and reconciles only its own records. */
  mine(p: PreviewRecord): boolean;
  /** The base directory as resolved so far (absolute once `names` has run). */
  baseDir(): string;
  names(slug: string): Promise<PreviewNames>;
  say(progress: ProgressFn, step: string): Promise<void>;
  lockOnHost(n: PreviewNames, progress: ProgressFn): Promise<HostLock>;
  guard(slug: string, doing: string): () => void;
  journal: ReturnType<typeof createJournal>;
  startOperation(kind: string, target: string, actor: Actor): Promise<string>;
  finishOperation(id: string, status: "succeeded" | "failed", summary: string): Promise<void>;
  resolveSlug(slugOrBranch: string): string;
  removeLockFile(n: PreviewNames): Promise<void>;
}

export function createPreviewContext(options: PreviewOpsOptions): PreviewContext {
  const { config, host, docker, compose, dns, store, redact, log } = options;
  const clock = options.clock ?? (() => new Date());
  // Each held host lock keeps one SSH session open (its holder process). Capping how many are
  // held at once keeps sessions free for the commands those operations run, so many parallel
  // deploys/destroys (e.g. the TTL clean-up) queue here instead of starving each other.
  const hostSlots = new Semaphore(MAX_HOST_LOCKS);
  const active = new Set<string>();
  const hostLockSeconds = Math.ceil(config.health_timeout / 1000) + 15 * 60;
  const proxy = options.proxy;

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
      const what = `preview ${n.slug}`;
      const busy = { message: `${what} is locked on host ${host.name} by another process (${n.lockFile})`, nextStep: "Another opsdeck or a script is working on it; try again in a minute." };
      const lock = await acquireHostLock(host, n.lockFile, { leaseMs: hostLockSeconds * 1000, startTimeoutMs: 20_000, what, busy });
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

  return {
    ...options,
    clock,
    generateSecret: options.generateSecret ?? (() => randomBytes(32).toString("base64url")),
    getResources: options.getResources ?? getHostResources,
    dnsFailOnError: options.dnsFailOnError ?? true,
    quotaLock: options.pool?.quotaLock ?? new Mutex(),
    active,
    removeDeps: { host, compose, docker, dns, log, stopTimeoutMs: config.stop_timeout, ...(proxy ? { proxy } : {}) },
    mine: (p) => !options.pool || p.host === host.name,
    baseDir: () => baseDir,
    names: async (slug) => getPreviewNames(config, await resolveBase(), slug),
    say,
    lockOnHost,
    guard,
    journal,
    startOperation: async (kind, target, actor) => journal.begin(kind, target, actorKey(actor)),
    finishOperation: async (id, status, summary) => {
      await journal.finish(id, status, summary);
    },
    resolveSlug,
    /**
     * The lock file goes with the preview, removed while the lock is still held: a second process
     * that opened it before is refused (`flock -n`), one that comes after makes a fresh one.
     */
    removeLockFile: async (n) => {
      await host.exec(["rm", "-f", "--", n.lockFile]);
    },
  };
}
