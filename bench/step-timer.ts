import type { Store } from "../src/store/store.js";

/** One timed call: start and end in ms from the timer's origin. */
export interface StepMark { what: string; t0: number; t1: number }

/**
 * The benches' step timeline: `timed` wraps an object (a host shell, a Docker client) so each
 * promise-returning method call made between `start()` and `stop()` is recorded; `timeStore` does
 * the same for a store's writes, in place (the ops hold the store object itself). `print` lists the
 * marks by start time.
 */
export function createStepTimer() {
  const marks: StepMark[] = [];
  let origin = 0;
  const record = <R>(what: string, r: Promise<R>): Promise<R> => {
    const t0 = performance.now() - origin;
    return r.finally(() => marks.push({ what, t0, t1: performance.now() - origin }));
  };
  return {
    marks,
    timed<T extends object>(target: T, label: string): T {
      return new Proxy(target, {
        get(obj, key, recv) {
          const v = Reflect.get(obj, key, recv) as unknown;
          if (typeof v !== "function") return v;
          return (...args: unknown[]) => {
            const r = (v as (...a: unknown[]) => unknown).apply(obj, args);
            if (!origin || !(r instanceof Promise)) return r;
            return record(`${label}.${String(key)}${key === "exec" ? ` ${(args[0] as string[]).slice(0, 3).join(" ").slice(0, 40)}` : ""}`, r);
          };
        },
      });
    },
    timeStore(store: Store, what: string): void {
      const update = store.update.bind(store);
      store.update = ((fn: never) => (origin ? record(what, update(fn)) : update(fn))) as typeof store.update;
    },
    /** Clear the marks and start timing from `at` (default now). */
    start(at = performance.now()): void {
      marks.length = 0;
      origin = at;
    },
    /** Stop timing; returns the ms since `start`. */
    stop(): number {
      const total = performance.now() - origin;
      origin = 0;
      return total;
    },
    print(): void {
      for (const m of [...marks].sort((a, b) => a.t0 - b.t0)) console.log(`  ${m.t0.toFixed(0).padStart(5)} → ${m.t1.toFixed(0).padStart(5)}  ${m.what}`);
    },
  };
}
