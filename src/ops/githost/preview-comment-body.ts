/** Marks opsdeck's comment, so people (and a later clean-up) can tell it apart. */
export const COMMENT_MARKER = "<!-- opsdeck:preview -->";

export type PreviewCommentState =
  | { kind: "up"; branch: string; sha: string; url: string; expiresAt: Date }
  | { kind: "destroyed"; branch: string; reason: string }
  /** No error text: a PR comment may be public, and errors name hosts and paths. */
  | { kind: "failed"; branch: string; sha: string };

const code = (s: string): string => `\`${s.replaceAll("`", "'")}\``;

/** The Markdown body of the preview comment (GitHub and GitLab both render it). */
export function previewCommentBody(state: PreviewCommentState): string {
  const lines = [COMMENT_MARKER];
  if (state.kind === "up") {
    lines.push(`**Preview** of ${code(state.branch)} at ${code(state.sha.slice(0, 12))}: ${state.url}`, "", `Expires ${state.expiresAt.toISOString()}. Updated on every push; removed when this is closed or merged.`);
  } else if (state.kind === "destroyed") {
    lines.push(`**Preview** of ${code(state.branch)} was removed (${state.reason}).`);
  } else {
    lines.push(`**Preview** of ${code(state.branch)} at ${code(state.sha.slice(0, 12))} failed; the team's alert channel has the details.`);
  }
  return lines.join("\n");
}
