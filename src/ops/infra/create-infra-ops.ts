import { Mutex } from "async-mutex";
import type { ResolvedInfraEnv } from "../../config/infra-config.js";
import { OpsError } from "../../core/errors.js";
import { createJournal } from "../journal/create-journal.js";
import { requireInfraEnv, type InfraDeps, type InfraRun } from "./infra-deps.js";
import { describeDown, infraDown, type DownDescription, type DownResult } from "./infra-down.js";
import { infraStatus, type InfraStatus } from "./infra-status.js";
import { infraUp, type UpResult } from "./infra-up.js";
import { snapshotEnv, type SnapshotResult } from "./snapshot-env.js";

export interface InfraOps {
  /** Validate a typed env name against `hetzner.envs` (throws `bad_input`). */
  env(raw: string): ResolvedInfraEnv;
  status(): Promise<InfraStatus>;
  snapshot(env: string, run: InfraRun): Promise<SnapshotResult>;
  up(env: string, run: InfraRun): Promise<UpResult>;
  describeDown(env: string): Promise<DownDescription>;
  /** Needs `approved: true`; see `infraDown`. */
  down(env: string, run: InfraRun & { approved: boolean }): Promise<DownResult>;
}

/**
 * The `/infra` operations with one lock: `up`, `down` and `snapshot` change the same (single)
 * server, so a second one while the first runs is refused as busy rather than queued — a queued
 * `up` would only hit the single-server guard later, and a queued `down` might act on a server
 * that no longer matches what was approved. Each is journaled in `operations`.
 */
export function createInfraOps(deps: InfraDeps): InfraOps {
  const lock = new Mutex();
  const journal = createJournal({ store: deps.store, ...(deps.clock ? { clock: deps.clock } : {}) });

  async function exclusive<T>(kind: string, env: ResolvedInfraEnv, actor: string, fn: () => Promise<T>, summarize: (r: T) => string): Promise<T> {
    if (lock.isLocked()) {
      throw new OpsError("busy", "another /infra operation is running", "Wait for it to finish, then try again (see /infra status).");
    }
    return lock.runExclusive(() => journal.run(kind, env.env, actor, fn, { outcome: (r) => ({ status: "succeeded", summary: summarize(r) }) }));
  }

  return {
    env: (raw) => requireInfraEnv(deps.config, raw),
    status: () => infraStatus(deps),
    snapshot(raw, run) {
      const env = requireInfraEnv(deps.config, raw);
      return exclusive("infra.snapshot", env, run.actor, () => snapshotEnv(deps, env, run), (r) => `snapshot ${r.snapshot.id} of ${r.server.name}; pruned ${r.pruned.length}`);
    },
    up(raw, run) {
      const env = requireInfraEnv(deps.config, raw);
      return exclusive("infra.up", env, run.actor, () => infraUp(deps, env, run), (r) => `${r.server.name} (${r.server.id}) at ${r.server.ipv4 ?? "no IPv4"}; DNS ${r.dns.state}`);
    },
    describeDown: (raw) => describeDown(deps, requireInfraEnv(deps.config, raw)),
    down(raw, run) {
      const env = requireInfraEnv(deps.config, raw);
      if (run.approved !== true) return infraDown(deps, env, run); // throws the "needs approval" error
      return exclusive("infra.down", env, run.actor, () => infraDown(deps, env, run), (r) => `snapshot ${r.snapshot.snapshot.id} kept; ${r.server.name} deleted; DNS ${r.dns.state}`);
    },
  };
}
