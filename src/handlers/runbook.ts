import type { RunbookStep, Runbooks } from "../config/seed-config.js";
import type { AuditLog } from "../core/audit-log.js";
import { actorKey, type Button, type Command, type ProgressFn, type Reply } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import type { Redactor } from "../core/redact.js";
import { escapeEcho } from "../core/validate.js";
import type { HostShell } from "../ops/adapters/host-shell.js";
import type { Store } from "../store/store.js";
import { resolveRunbook, resolveStep } from "../ops/runbooks/resolve-runbook.js";
import { runRunbookStep } from "../ops/runbooks/run-runbook-step.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { defineParsedHandler, type Handler } from "./handler.js";
import { ownValue } from "../core/own-value.js";

export interface RunbookHandlerOptions {
  runbooks: Runbooks;
  shellFor(host: string): HostShell;
  redact: Redactor;
  /** One extra record per step run (the router already records each command). */
  audit?: AuditLog;
  /** Each step run is an operations-journal entry. */
  store?: Store;
  clock?: () => Date;
  /** How often streamed output edits the message. */
  outputIntervalMs?: number;
}

const CONFIRMED = "--confirmed";
const name = z.string().optional();
export const runbookSpec = defineCommand({
  name: "runbook",
  summary: "list, show and run on-call runbooks step by step",
  section: "runbooks",
  variants: [
    variant({ sub: "list", schema: z.object({}).transform(() => ({ sub: "list" as const, confirmed: false })) }),
    variant({ sub: "show", positionals: [{ name: "name", lenient: true }], schema: z.object({ name }).transform((a) => ({ sub: "show" as const, name: a.name, confirmed: false })) }),
    variant({
      sub: "run",
      positionals: [{ name: "name", lenient: true }, { name: "step", optional: true }],
      // `--confirmed` is what a dangerous step's button sends.
      flags: [{ name: CONFIRMED.slice(2), shown: "hidden" }],
      schema: z.object({ name, step: z.string().optional(), confirmed: z.boolean() }).transform((a) => ({ sub: "run" as const, ...a })),
    }),
  ],
  messages: {
    unknownSub: (sub) => (sub ? `unknown /runbook sub-command "${escapeEcho(sub, 30)}"` : "/runbook needs a sub-command"),
    unknownFlag: (raw) => `unknown option "${escapeEcho(raw, 30)}"`,
    extra: (_w, ctx) => `too many arguments for /runbook ${ctx.variant?.sub ?? ""}`,
    nextStep: (): string => `Type ${runbookSpec.usage.join(", or ")}.`,
  },
});
type Parsed = ReturnType<typeof runbookSpec.args.parse>;

function commandText(step: RunbookStep): string {
  return step.command.join(" ");
}

/** `/runbook list | show <name> | run <name> [step]`: walk on-call procedures one step at a time. */
export function createRunbookHandler(options: RunbookHandlerOptions): Handler {
  const { runbooks, redact } = options;
  const clock = options.clock ?? (() => new Date());

  function list(): Reply {
    const names = Object.keys(runbooks);
    return {
      status: "info",
      title: names.length > 0 ? `${names.length} runbook(s)` : "no runbooks configured",
      lines: names.map((n) => `${n} — ${ownValue(runbooks, n)?.description || "(no description)"} (${ownValue(runbooks, n)?.steps.length ?? 0} steps)`),
      ...(names.length === 0 ? { nextStep: "Add runbooks under runbooks: in the config." } : {}),
    };
  }

  function show(raw: string | undefined): Reply {
    const { name, runbook } = resolveRunbook(runbooks, raw);
    return {
      status: "info",
      title: `runbook ${name}`,
      lines: [
        ...(runbook.description ? [runbook.description] : []),
        ...runbook.steps.map((s, i) => `${i + 1}. ${s.name} on ${s.host}${s.confirm ? " (needs confirmation)" : ""}${s.description ? ` — ${s.description}` : ""}\n   $ ${commandText(s)}`),
      ],
      buttons: [{ command: `/runbook run ${name}`, label: `Start ${name}`, style: "primary" }],
    };
  }

  async function run(command: Command, parsed: Extract<Parsed, { sub: "run" }>, progress: ProgressFn): Promise<Reply> {
    const { name, runbook } = resolveRunbook(runbooks, parsed.name);
    const { index, step } = resolveStep(name, runbook, parsed.step);
    const n = index + 1;
    const total = runbook.steps.length;
    const label = `${name} step ${n}/${total} ${step.name} on ${step.host}`;

    if (step.confirm && !parsed.confirmed) {
      return {
        status: "warning",
        title: `${label} needs confirmation`,
        lines: [...(step.description ? [step.description] : []), `$ ${commandText(step)}`, "Nothing has run yet."],
        buttons: [
          { command: `/runbook run ${name} ${n} ${CONFIRMED}`, label: `Run ${step.name}`, style: "danger", confirm: `Run ${step.name} on ${step.host}?` },
        ],
      };
    }

    const host = options.shellFor(step.host);
    await progress(`${label}: running…`);
    const started = clock();
    const result = await runRunbookStep(host, step, {
      redact,
      intervalMs: options.outputIntervalMs ?? 1000,
      ...(options.store ? { journal: { store: options.store, actor: actorKey(command.actor), target: `${name}/${step.name}`, clock } } : {}),
      onOutput: (tail) => progress(`${label}: running…\n${tail}`),
    });
    const seconds = (result.durationMs / 1000).toFixed(1);
    await options.audit
      ?.record({
        time: started.toISOString(),
        actor: actorKey(command.actor),
        actorName: command.actor.name,
        command: "runbook-step",
        args: [name, step.name, step.host],
        decision: "allowed",
        result: result.ok ? "success" : "failure",
        durationMs: result.durationMs,
        detail: result.error ?? `exit code ${result.code}`,
      })
      .catch(() => undefined);

    const next = runbook.steps[index + 1];
    const buttons: Button[] = [];
    if (result.ok && next) buttons.push({ command: `/runbook run ${name} ${n + 1}`, label: `Next: ${next.name}`, style: next.confirm ? "danger" : "primary" });
    if (!result.ok) buttons.push({ command: `/runbook run ${name} ${n}${step.confirm ? ` ${CONFIRMED}` : ""}`, label: `Retry ${step.name}`, style: "default", ...(step.confirm ? { confirm: `Run ${step.name} on ${step.host} again?` } : {}) });
    const output = result.output === "" ? "(no output)" : `${result.truncated ? "…\n" : ""}${result.output}`;
    return {
      status: result.ok ? "success" : "failure",
      title: result.ok ? `${label}: done in ${seconds} s` : `${label}: failed (${result.error ?? `exit code ${result.code}`})`,
      lines: [
        ...(step.description ? [step.description] : []),
        result.ok ? (next ? `Next: step ${n + 1} ${next.name}${next.confirm ? " (needs confirmation)" : ""}.` : `That was the last step of ${name}.`) : "",
      ].filter((l) => l !== ""),
      code: output,
      buttons,
      ...(result.ok ? {} : { nextStep: `Read the output, fix the cause, then retry with /runbook run ${name} ${n}.` }),
    };
  }

  return defineParsedHandler(runbookSpec, {
    check(parsed) {
      // Names are checked before authorisation so shell characters never get further.
      if (parsed.sub !== "list") {
        const { name, runbook } = resolveRunbook(runbooks, parsed.name);
        if (parsed.sub === "run") resolveStep(name, runbook, parsed.step);
      }
      return parsed;
    },
    permission: (parsed) => ({ key: `runbook ${parsed.sub}`, readOnly: parsed.sub !== "run" }),
    async run(command, progress, parsed) {
      if (parsed.sub === "list") return list();
      if (parsed.sub === "show") return show(parsed.name);
      return run(command, parsed, progress);
    },
  });
}
