import type { Reply } from "../../core/command.js";

const ICON: Record<Reply["status"], string> = {
  info: "ℹ",
  progress: "…",
  success: "✔",
  warning: "⚠",
  failure: "✖",
};

/** Plain-text rendering for the terminal; buttons become numbered choices. */
export function renderTextReply(reply: Reply, options: { buttonOffset?: number } = {}): string {
  const out: string[] = [`${ICON[reply.status]} ${reply.title}`];
  for (const line of reply.lines ?? []) out.push(`  ${line}`);
  const fields = reply.fields ?? [];
  const width = Math.max(0, ...fields.map((f) => f.label.length));
  for (const f of fields) out.push(`  ${f.label.padEnd(width)}  ${f.value}`);
  if (reply.code) {
    out.push("  ┌────");
    for (const line of reply.code.split("\n")) out.push(`  │ ${line}`);
    out.push("  └────");
  }
  if (reply.nextStep) out.push(`  → ${reply.nextStep}`);
  const offset = options.buttonOffset ?? 0;
  (reply.buttons ?? []).forEach((b, i) => out.push(`  [${offset + i + 1}] ${b.label}  (${b.command})`));
  return out.join("\n");
}
