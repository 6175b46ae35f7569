import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createRouter, type Router } from "../../src/bot/router.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";
import { OpsError } from "../../src/core/errors.js";
import { splitCommand } from "../../src/core/validate.js";
import { createLogger, type Logger } from "../../src/core/logger.js";
import { createMetrics, type Metrics } from "../../src/core/metrics.js";
import { createRedactor, type Redactor } from "../../src/core/redact.js";
import type { Access } from "../../src/config/schema.js";
import type { Handler } from "../../src/handlers/handler.js";
import { openStore, type Store } from "../../src/store/store.js";
import { tempDir } from "./temp-dir.js";
import type { TestApp } from "./test-app.js";

export interface Harness {
  router: Router;
  store: Store;
  redact: Redactor;
  metrics: Metrics;
  log: Logger;
  dataDir: string;
  auditPath: string;
  /** Everything the logger wrote. */
  logText(): string;
  auditText(): string;
  /** Dispatch typed text as `actor`; returns every message sent (respond/update) and the final reply. */
  send(text: string, actor?: Actor): Promise<{ final: Reply; messages: Reply[] }>;
}

export const consoleActor: Actor = { platform: "console", id: "local", name: "local" };

/** A real router over a real store, audit log, metrics and redactor in a temp data dir (removed when the test file ends). */
export async function createHarness(options: { handlers: Handler[]; access?: Access; dataDir?: string; redact?: Redactor; commandsPerMinute?: number }): Promise<Harness> {
  const dataDir = options.dataDir ?? tempDir("opsdeck-h-");
  const redact = options.redact ?? createRedactor();
  let logged = "";
  const log = createLogger({
    level: "debug",
    redact,
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    }) as unknown as import("pino").DestinationStream, // a Writable is a valid pino destination
  });
  const store = await openStore(dataDir);
  const auditPath = join(dataDir, "audit.jsonl");
  const metrics = createMetrics();
  const access: Access = options.access ?? { roles: { admin: ["console:local"] }, rules: {} };
  const router = createRouter({ handlers: options.handlers, authorize: createAuthorize(access), audit: createAuditLog(auditPath, redact), log, metrics, redact, store, commandsPerMinute: options.commandsPerMinute ?? 0 });
  return harnessOver({ router, store, redact, metrics, log, dataDir, auditPath, logText: () => logged });
}

/** A harness over an app built by `createApp` (test/support/test-app.ts): its router, store and log. */
export function harnessFromApp(t: TestApp): Harness {
  const { app } = t;
  return harnessOver({ router: app.router, store: app.store, redact: app.redact, metrics: app.metrics, log: app.log, dataDir: t.dataDir, auditPath: join(t.dataDir, "audit.jsonl"), logText: t.logText });
}

function harnessOver(parts: Pick<Harness, "router" | "store" | "redact" | "metrics" | "log" | "dataDir" | "auditPath" | "logText">): Harness {
  const { router, auditPath } = parts;
  return {
    ...parts,
    auditText: () => {
      try {
        return readFileSync(auditPath, "utf8");
      } catch {
        return "";
      }
    },
    async send(text, actor = consoleActor) {
      const messages: Reply[] = [];
      // As every chat adapter does: text that cannot be split (a refused character) is a failure reply.
      let split: { name: string; args: string[] };
      try {
        split = splitCommand(text);
      } catch (err) {
        if (!(err instanceof OpsError)) throw err;
        return { final: { status: "failure", title: err.message, nextStep: err.nextStep, visibility: "actor" }, messages };
      }
      const { name, args } = split;
      const command: Command = {
        name,
        args,
        text,
        actor,
        channelId: "test",
        respond: async (r) => {
          messages.push(r);
        },
        update: async (r) => {
          messages.push(r);
        },
      };
      const final = await router.dispatch(command);
      return { final, messages };
    },
  };
}
