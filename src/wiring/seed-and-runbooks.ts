import type { Config } from "../config/schema.js";
import type { AuditLog } from "../core/audit-log.js";
import type { Redactor } from "../core/redact.js";
import type { Secret } from "../core/secret.js";
import type { Handler } from "../handlers/handler.js";
import { createRunbookHandler } from "../handlers/runbook.js";
import { createSeedHandler } from "../handlers/seed.js";
import type { EnvLocks } from "../ops/env-locks.js";
import { createSeedOps } from "../ops/seed/create-seed-ops.js";
import type { Store } from "../store/store.js";
import type { HostRegistry } from "./host-registry.js";

export interface SeedAndRunbooksOptions {
  config: Config;
  hosts: HostRegistry;
  store: Store;
  audit: AuditLog;
  redact: Redactor;
  envLocks: EnvLocks;
  readSecret(name: string): Secret | undefined;
}

/** `/seed` and `/runbook`, each only when its section has entries. */
export function wireSeedAndRunbooks(options: SeedAndRunbooksOptions): Handler[] {
  const { config, hosts, store, audit, redact, envLocks, readSecret } = options;
  const { shellFor, composeFor } = hosts;
  const handlers: Handler[] = [];
  if (Object.keys(config.seed).length > 0) {
    handlers.push(
      createSeedHandler({
        ops: createSeedOps({ seeds: config.seed, environments: config.environments, shellFor, composeFor, store, locks: envLocks, readSecret, redact }),
      }),
    );
  }
  if (Object.keys(config.runbooks).length > 0) handlers.push(createRunbookHandler({ runbooks: config.runbooks, shellFor, redact, audit, store }));
  return handlers;
}
