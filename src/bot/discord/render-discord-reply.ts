import {
  ButtonStyle,
  ComponentType,
  escapeMarkdown,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIEmbed,
  type APIEmbedField,
} from "discord.js";
import type { Button, Reply, ReplyStatus } from "../../core/command.js";
import { CUT_NOTE, STATUS_ICON, truncate } from "../render-common.js";

/** Discord's documented limits (embed object limits and component limits). */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  embedTotal: 6000,
  buttons: 25,
  buttonsPerRow: 5,
  buttonLabel: 80,
  customId: 100,
} as const;

export const STATUS_COLOR: Record<ReplyStatus, number> = {
  info: 0x5865f2,
  progress: 0x95a5a6,
  success: 0x57f287,
  warning: 0xfee75c,
  failure: 0xed4245,
};

export interface DiscordMessage {
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponentWithCustomId>[];
  /** Only the person who typed the command should see it. */
  ephemeral: boolean;
}

/** Escape Discord markdown and defuse mentions (`@everyone`, `<@id>`, `<#id>`), whatever allowed_mentions says. */
export function escapeDiscord(text: string): string {
  return escapeMarkdown(text, { codeBlockContent: true, inlineCodeContent: true, heading: true, bulletedList: true, numberedList: true, maskedLink: true })
    .replace(/@(everyone|here)/gi, "@\u200b$1")
    .replace(/<([@#:&!])/g, "<\u200b$1");
}

/** Escape, bounded: escaping only lengthens text, so cut first (escaping is slow on huge strings), then again. */
function esc(text: string, max: number): string {
  return truncate(escapeDiscord(truncate(text, max)), max);
}

/** A code block that keeps the end of the text (the end of a log is what explains a failure). */
function codeBlock(code: string, max: number): string {
  const safe = code.replace(/```/g, "`\u200b``");
  const frame = "```\n\n```".length;
  if (safe.length + frame <= max) return `\`\`\`\n${safe}\n\`\`\``;
  const note = CUT_NOTE;
  const keep = Math.max(0, max - frame - note.length);
  let tail = safe.slice(safe.length - keep);
  const nl = tail.indexOf("\n");
  if (nl >= 0 && nl < tail.length - 1) tail = tail.slice(nl + 1);
  return `\`\`\`\n${note}${tail}\n\`\`\``;
}

const STYLE: Record<NonNullable<Button["style"]>, ButtonStyle.Primary | ButtonStyle.Danger | ButtonStyle.Secondary> = {
  primary: ButtonStyle.Primary,
  danger: ButtonStyle.Danger,
  default: ButtonStyle.Secondary,
};

function buttonRows(buttons: Button[], customIds: readonly string[]): APIActionRowComponent<APIButtonComponentWithCustomId>[] {
  const shown = buttons.slice(0, DISCORD_LIMITS.buttons);
  const rows: APIActionRowComponent<APIButtonComponentWithCustomId>[] = [];
  shown.forEach((b, i) => {
    const customId = customIds[i];
    if (!customId || customId.length > DISCORD_LIMITS.customId) throw new Error(`button ${i} needs a custom_id of 1–${DISCORD_LIMITS.customId} characters`);
    if (i % DISCORD_LIMITS.buttonsPerRow === 0) rows.push({ type: ComponentType.ActionRow, components: [] });
    rows[rows.length - 1]?.components.push({
      type: ComponentType.Button,
      style: STYLE[b.style ?? "default"],
      label: truncate(b.label, DISCORD_LIMITS.buttonLabel),
      custom_id: customId,
    });
  });
  return rows;
}

/**
 * Reply → one embed (colour by status) plus button rows. Every string is escaped; every limit
 * is respected: the code block keeps its tail, fields beyond 25 are dropped with a note, and the
 * whole embed stays under 6000 characters. `customIds[i]` is the custom_id of `reply.buttons[i]`.
 */
export function renderDiscordReply(reply: Reply, customIds: readonly string[] = []): DiscordMessage {
  const title = esc(`${STATUS_ICON[reply.status]} ${reply.title}`, DISCORD_LIMITS.title);

  // Fields first (they carry the facts), each only while the embed stays under its total limit
  // with room left for a description.
  const reserve = 600;
  let used = title.length;
  const fields: APIEmbedField[] = [];
  const nextStep = reply.nextStep ? { name: "Next step", value: esc(reply.nextStep, DISCORD_LIMITS.fieldValue), inline: false } : null;
  if (nextStep) used += nextStep.name.length + nextStep.value.length;
  const allFields = reply.fields ?? [];
  for (const f of allFields) {
    const name = esc(f.label, DISCORD_LIMITS.fieldName) || "\u200b";
    const value = esc(f.value, DISCORD_LIMITS.fieldValue) || "\u200b";
    if (fields.length >= DISCORD_LIMITS.fields - (nextStep ? 1 : 0) || used + name.length + value.length > DISCORD_LIMITS.embedTotal - reserve) break;
    used += name.length + value.length;
    fields.push({ name, value, inline: f.value.length <= 40 });
  }
  const droppedFields = allFields.length - fields.length;
  if (nextStep) fields.push(nextStep);

  const budget = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.embedTotal - used);
  const lines = (reply.lines ?? []).map((l) => esc(l, budget));
  const note = droppedFields > 0 ? `\n_${droppedFields} more field(s) not shown_` : "";
  let text = truncate(lines.join("\n"), (reply.code ? Math.floor(budget / 2) : budget) - note.length) + note;
  if (reply.code) text = `${text}${text ? "\n" : ""}${codeBlock(reply.code, budget - text.length - 1)}`;
  text = text.replace(/^\n/, "");

  const embed: APIEmbed = { title, color: STATUS_COLOR[reply.status] };
  if (text) embed.description = text;
  if (fields.length > 0) embed.fields = fields;
  return {
    embeds: [embed],
    components: buttonRows(reply.buttons ?? [], customIds),
    ephemeral: reply.visibility === "actor",
  };
}
