import { EventEmitter } from "node:events";
import type { Worker } from "node:worker_threads";
import Bree from "bree";
import type { Logger } from "../core/logger.js";

/** What Bree should do when a job's timer fires: runs in this process, never throws. */
export type InProcessRunFn = (name: string) => Promise<void>;

export interface InProcessBreeJob {
  name: string;
  cron?: string;
  /** Milliseconds between runs. */
  interval?: number;
  /** Milliseconds until the first run (0: at start). */
  timeout?: number;
}

/**
 * Stands in for a `worker_threads.Worker`: emits what Bree listens for (`online`, then `exit`
 * with code 0 when the in-process run settles). Bree's `stop()` posts `cancel`; the run cannot be
 * cut short, so we let it finish and exit then (Bree waits for that).
 */
class InProcessWorker extends EventEmitter {
  readonly isMainThread = true;
  readonly threadId = 0;
  readonly resourceLimits = {};
  #exited = false;

  constructor(run: Promise<void>) {
    super();
    setImmediate(() => this.emit("online"));
    void run.finally(() => this.#exit());
  }

  postMessage(): void {}

  terminate(): Promise<number> {
    this.#exit();
    return Promise.resolve(0);
  }

  #exit(): void {
    if (this.#exited) return;
    this.#exited = true;
    setImmediate(() => this.emit("exit", 0));
  }
}

/** A marker body for Bree's validator; it is never evaluated because `createWorker` is replaced. */
function opsdeckInProcessJob(): void {}

/**
 * Bree, with jobs run in this process instead of worker threads. Worker threads cannot share
 * the store, the SSH connections or the notifier (and Bree cannot load `.ts` job files in a worker
 * on Node 20), so Bree keeps doing what it is good at — cron/interval timers, one run per job at a
 * time (`run` refuses a job whose worker is still alive) — and `createWorker` is replaced by an
 * in-process stand-in that calls `runJob(name)`.
 */
export function createInProcessBree(options: { jobs: InProcessBreeJob[]; timeZone: string; runJob: InProcessRunFn; log: Logger }): Bree {
  const { log } = options;
  const bree = new Bree({
    root: false,
    doRootCheck: false,
    timezone: options.timeZone,
    logger: {
      info: (msg: unknown) => log.debug({ scheduler: "bree" }, String(msg)),
      warn: (msg: unknown) => log.warn({ scheduler: "bree" }, String(msg instanceof Error ? msg.message : msg)),
      error: (msg: unknown) => log.error({ scheduler: "bree" }, String(msg instanceof Error ? msg.message : msg)),
    },
    jobs: options.jobs.map((j) => ({
      name: j.name,
      path: opsdeckInProcessJob,
      ...(j.cron !== undefined ? { cron: j.cron } : {}),
      ...(j.interval !== undefined ? { interval: j.interval } : {}),
      ...(j.timeout !== undefined ? { timeout: j.timeout } : {}),
    })),
  });
  // Bree declares `createWorker` as a replaceable property (plugins do the same).
  bree.createWorker = (_filename, workerOptions) => {
    const data = workerOptions.workerData as { job?: { name?: unknown } } | undefined;
    const name = typeof data?.job?.name === "string" ? data.job.name : "";
    // A Worker look-alike: Bree only uses the EventEmitter side, postMessage and terminate.
    return new InProcessWorker(options.runJob(name)) as unknown as Worker;
  };
  return bree;
}
