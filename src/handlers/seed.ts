import ms from "ms";
import { actorKey, type Command, type ProgressFn, type Reply } from "../core/command.js";
import type { SeedOps, SeedReport } from "../ops/seed/create-seed-ops.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { defineParsedHandler, type Handler } from "./handler.js";

export interface SeedHandlerOptions {
  ops: SeedOps;
}

export const seedSpec = defineCommand({
  name: "seed",
  summary: "restore a test environment from the latest anonymised production dumps",
  section: "seed",
  // A missing environment is named by the resolve below, with the environments that can be seeded.
  variants: [variant({ positionals: [{ name: "env", lenient: true }], schema: z.object({ env: z.string().optional() }), hint: "Type /seed <env>, e.g. /seed preprod." })],
  messages: { extra: () => "/seed takes one environment name" },
});

function describeRule(rule: SeedReport["databases"][number]["rules"][number]): string {
  const r = rule.rule;
  const what = r.rule === "prefix" ? `prefix "${r.value ?? "test-"}"` : r.rule === "replace" ? "replace" : r.rule;
  return `  ${r.table}.${r.column} (${what}): ${rule.rows} row${rule.rows === 1 ? "" : "s"}`;
}

export function seedReply(report: SeedReport): Reply {
  const lines: string[] = [];
  for (const db of report.databases) {
    lines.push(`${db.name}: data from ${db.dump.mtime.toISOString().replace(/\.\d{3}Z$/, "Z")} (${ms(Math.max(0, db.ageMs))} old, ${db.dump.bytes} bytes)`);
    if (db.rules.length === 0) lines.push("  no anonymisation rules configured");
    lines.push(...db.rules.map(describeRule));
  }
  for (const s of report.smoke) {
    lines.push(`smoke ${s.ok ? "ok" : "FAILED"}: ${s.url} → ${s.status ?? s.error ?? "no answer"}${s.ok ? "" : ` (expected ${s.expected})`}`);
  }
  const failed = report.smoke.filter((s) => !s.ok);
  return {
    status: failed.length > 0 ? "warning" : "success",
    title: `${report.env} seeded from ${report.sourceEnv} in ${ms(report.durationMs)}`,
    lines,
    ...(failed.length > 0 ? { nextStep: `The data is in place but ${failed.length} smoke check(s) failed: look at ${report.env}'s logs.` } : {}),
  };
}

/** `/seed <env>`: replace a non-protected environment's databases with anonymised copies of its source's latest dumps. */
export function createSeedHandler(options: SeedHandlerOptions): Handler {
  const { ops } = options;
  return defineParsedHandler(seedSpec, {
    // Resolving here refuses protected, unknown and malformed names before authorisation runs anything.
    check: (args) => ops.resolve(args.env).env,
    permission: (env) => ({ key: "seed", readOnly: false, env }),
    async run(command: Command, progress: ProgressFn, env): Promise<Reply> {
      const report = await ops.run(env, actorKey(command.actor), progress);
      return seedReply(report);
    },
  });
}
