import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The node flags of a tree's `npm start` (`node <flags> bin/opsdeck.mjs` in its package.json), so a
 * bench runs that tree's bot exactly as `npm start` does (an older tree may have none).
 */
export function startFlagsOf(tree: string): string[] {
  const start = (JSON.parse(readFileSync(join(tree, "package.json"), "utf8")) as { scripts?: { start?: string } }).scripts?.start ?? "";
  const m = /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+bin\/opsdeck\.mjs\b/.exec(start);
  if (!m) throw new Error(`${tree}: npm start is not "node [flags] bin/opsdeck.mjs": ${start}`);
  return m[1]!.split(/\s+/).filter(Boolean);
}
