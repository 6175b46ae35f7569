import type { RunbookStep } from "../../config/seed-config.js";
import { HostCommandError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { Store } from "../../store/store.js";
import type { HostShell } from "../adapters/host-shell.js";
import { createJournal } from "../journal/create-journal.js";
import { createOutputTail } from "./output-tail.js";

export interface StepRun {
  /** Exit code; null when the command timed out or could not run. */
  code: number | null;
  ok: boolean;
  /** Why it did not finish, when it did not (already free of secrets: our own messages). */
  error?: string;
  /** Redacted, truncated output (stdout and stderr interleaved as they arrived). */
  output: string;
  truncated: boolean;
  durationMs: number;
}

export interface RunStepOptions {
  redact: Redactor;
  /** Called with the redacted tail while the command runs, at most once per `intervalMs`. */
  onOutput?: (tail: string) => Promise<void>;
  intervalMs?: number;
  /** Journal the step (kind `runbook.step`, target `<runbook>/<step>`) in the operations journal. */
  journal?: { store: Store; actor: string; target: string; clock?: () => Date };
}

/** Run one runbook step on its host, streaming its redacted output. Never throws for a failing command. */
export async function runRunbookStep(host: HostShell, step: RunbookStep, options: RunStepOptions): Promise<StepRun> {
  const j = options.journal;
  if (!j) return runStep(host, step, options);
  const journal = createJournal({ store: j.store, redact: options.redact, ...(j.clock ? { clock: j.clock } : {}) });
  return journal.run("runbook.step", j.target, j.actor, () => runStep(host, step, options), {
    summary: `${step.name} on ${step.host}`,
    outcome: (r) => ({ status: r.ok ? "succeeded" : "failed", summary: `${step.name} on ${step.host}: ${r.error ?? `exit code ${r.code}`}` }),
  });
}

async function runStep(host: HostShell, step: RunbookStep, options: RunStepOptions): Promise<StepRun> {
  const tail = createOutputTail(options.redact);
  const intervalMs = options.intervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();
  const flush = (): void => {
    timer = undefined;
    const text = tail.text();
    sending = sending.then(() => options.onOutput?.(text)).catch(() => undefined);
  };
  const onChunk = (chunk: string): void => {
    tail.push(chunk);
    if (options.onOutput && !timer) timer = setTimeout(flush, intervalMs);
  };

  const started = performance.now();
  let code: number | null = null;
  let error: string | undefined;
  try {
    const r = await host.exec(step.command, { timeoutMs: step.timeout, allowFailure: true, onStdout: onChunk, onStderr: onChunk });
    code = r.code;
  } catch (err) {
    error = err instanceof HostCommandError ? err.message : `could not run: ${(err as Error).message}`;
  }
  if (timer) clearTimeout(timer);
  await sending;
  return {
    code,
    ok: code === 0,
    ...(error !== undefined ? { error: options.redact(error) } : {}),
    output: tail.text(),
    truncated: tail.truncated(),
    durationMs: Math.round(performance.now() - started),
  };
}
