import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { Button, Command, Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import { splitCommand } from "../../core/validate.js";
import { renderTextReply } from "./render-text-reply.js";

import type { DispatchFn } from "../../core/command.js";

export interface ConsoleOptions {
  dispatch: DispatchFn;
  user: string;
  input: Readable;
  output: Writable;
  /** Progress and diagnostics; defaults to `output`. */
  errorOutput?: Writable;
  /** Lines remembered for arrow-key history (interactive mode). */
  history?: string[];
}

function buildCommand(text: string, user: string, show: (r: Reply) => Promise<void>): Command {
  const { name, args } = splitCommand(text);
  return {
    name,
    args,
    text,
    actor: { platform: "console", id: user, name: user },
    channelId: "console",
    respond: show,
    update: show,
  };
}

function failureText(e: unknown): string {
  if (e instanceof OpsError) return renderTextReply({ status: "failure", title: e.message, nextStep: e.nextStep });
  throw e;
}

/**
 * One-shot mode (`opsdeck run "/preview list"`): progress goes to the error stream, the final
 * reply to the output stream; resolves with the exit code (1 when the reply is a failure,
 * 2 when the text is not a command at all).
 */
export async function runOnce(text: string, opts: ConsoleOptions): Promise<number> {
  const err = opts.errorOutput ?? opts.output;
  let command: Command;
  try {
    command = buildCommand(text, opts.user, async (r) => {
      if (r.status === "progress") err.write(`${renderTextReply(r)}\n`);
    });
  } catch (e) {
    opts.output.write(`${failureText(e)}\n`);
    return 2;
  }
  const reply = await opts.dispatch(command);
  opts.output.write(`${renderTextReply(reply)}\n`);
  return reply.status === "failure" ? 1 : 0;
}

/** `[/preview feature/x] `: what a line of a command's output belongs to, when commands overlap. */
function tagOf(text: string): string {
  return `[${text.length > 40 ? `${text.slice(0, 39)}…` : text}] `;
}

/**
 * Interactive prompt: history, `/help`, and numbered choices for the buttons of the last reply
 * (type the number; buttons with a confirmation ask for `y`). Resolves when input ends and every
 * command still running has finished.
 *
 * Commands run concurrently: a long `/preview` does not block what is typed meanwhile. Progress
 * lines always name the command they belong to (`[/preview x] … step`); a final reply does when
 * another command ran at the same time.
 */
export async function runInteractive(opts: ConsoleOptions): Promise<void> {
  const rl: Interface = createInterface({
    input: opts.input,
    output: opts.output,
    prompt: "opsdeck> ",
    history: opts.history ?? [],
    historySize: 500,
    terminal: (opts.output as { isTTY?: boolean }).isTTY === true,
  });
  const write = (s: string): void => {
    opts.output.write(`${s}\n`);
  };
  let choices: Button[] = [];
  let pendingConfirm: Button | null = null;
  write("opsdeck console — type /help for the commands, a number to pick a choice, /quit to leave.");
  rl.prompt();

  const running = new Set<{ overlapped: boolean }>();
  const execute = async (text: string): Promise<void> => {
    const me = { overlapped: running.size > 0 };
    for (const other of running) other.overlapped = true;
    running.add(me);
    const tag = tagOf(text);
    try {
      let command: Command;
      try {
        command = buildCommand(text, opts.user, async (r) => {
          // One line per step, each naming its command, so overlapping commands stay readable.
          if (r.status === "progress") write((r.lines?.length ? r.lines : [r.title]).map((l) => `${tag}… ${l}`).join("\n"));
        });
      } catch (e) {
        write(failureText(e));
        return;
      }
      const reply = await opts.dispatch(command);
      write(`${me.overlapped ? tag : ""}${renderTextReply(reply)}`);
      choices = reply.buttons ?? [];
    } finally {
      running.delete(me);
    }
  };
  const inFlight = new Set<Promise<void>>();
  /** Start a command without waiting for it; its output is written when it comes. */
  const run = async (text: string): Promise<void> => {
    const p = execute(text)
      .catch((e: unknown) => write(`✖ ${(e as Error).message}`))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  for await (const raw of rl) {
    const line = raw.trim();
    try {
      if (pendingConfirm) {
        const button = pendingConfirm;
        pendingConfirm = null;
        if (/^y(es)?$/i.test(line)) await run(button.command);
        else write("cancelled");
      } else if (line === "/quit" || line === "/exit") {
        break;
      } else if (/^\d+$/.test(line) && choices.length > 0) {
        const button = choices[Number(line) - 1];
        if (!button) write(`no choice ${line}; pick 1 to ${choices.length}`);
        else if (button.confirm) {
          pendingConfirm = button;
          write(`${button.confirm} Type y to confirm.`);
        } else await run(button.command);
      } else if (line.length > 0) {
        await run(line.startsWith("/") ? line : `/${line}`);
      }
    } catch (e) {
      write(`✖ ${(e as Error).message}`);
    }
    rl.prompt();
  }
  if (inFlight.size > 0) write(`waiting for ${inFlight.size} running command(s) to finish…`);
  await Promise.all([...inFlight]);
  rl.close();
}
