import { OpsError } from "../core/errors.js";

export interface EnvLockHolder {
  /** What holds it, for the refusal message: `seed by console:alice`. */
  what: string;
  since: Date;
}

/**
 * One seed or deploy per environment at a time, inside this process. Share one instance between
 * the seed and deploy handlers. It does not wait: a second operation is refused at once with
 * what holds the lock, so nobody's command hangs behind a long restore. Other processes (a second
 * bot, a human) are kept out by the `flock` on the host (see `acquireHostLock`).
 */
export interface EnvLocks {
  /** Take the lock or throw `OpsError("busy")`. Call the returned function exactly once to release. */
  acquire(env: string, what: string): () => void;
  /** Run `fn` holding the lock; released however `fn` ends. */
  run<T>(env: string, what: string, fn: () => Promise<T>): Promise<T>;
  heldBy(env: string): EnvLockHolder | undefined;
}

export function createEnvLocks(clock: () => Date = () => new Date()): EnvLocks {
  const held = new Map<string, EnvLockHolder & { token: symbol }>();

  function acquire(env: string, what: string): () => void {
    const current = held.get(env);
    if (current) {
      throw new OpsError(
        "busy",
        `${env} is busy: ${current.what} has been running since ${current.since.toISOString()}`,
        "Wait for it to finish (its message shows the progress), then try again.",
      );
    }
    const token = Symbol(env);
    held.set(env, { what, since: clock(), token });
    return () => {
      if (held.get(env)?.token === token) held.delete(env);
    };
  }

  return {
    acquire,
    async run(env, what, fn) {
      const release = acquire(env, what);
      try {
        return await fn();
      } finally {
        release();
      }
    },
    heldBy(env) {
      const h = held.get(env);
      return h ? { what: h.what, since: h.since } : undefined;
    },
  };
}
