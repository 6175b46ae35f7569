import { open } from "node:fs/promises";
import { rotatedPath, type AuditEntry } from "./audit-log.js";

export interface ReadAuditOptions {
  /** How many entries are wanted (the newest). */
  limit: number;
  /** Keep only entries this accepts. */
  filter?: (entry: AuditEntry) => boolean;
  /** Bytes read at most over all files (default 4 MiB): the newest entries are at the ends. */
  maxBytes?: number;
  /** Rotated files looked at, at most (default 100). */
  maxFiles?: number;
}

/** The last `maxBytes` of a file, cut at the first full line; `undefined` when the file does not exist. */
export async function readTail(path: string, maxBytes: number): Promise<{ text: string; whole: boolean } | undefined> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const text = buf.toString("utf8");
    return start > 0 ? { text: text.slice(text.indexOf("\n") + 1), whole: false } : { text, whole: true };
  } finally {
    await fh.close();
  }
}

function parseLines(text: string): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    try {
      entries.push(JSON.parse(raw) as AuditEntry);
    } catch {
      // A torn last line (written while we read) is skipped.
    }
  }
  return entries;
}

/**
 * The newest `limit` audit entries, oldest first, read across the rotated files
 * (`audit.jsonl`, then `audit.jsonl.1`, `.2`, … until one is missing), newest file first, within
 * a total byte budget so a huge history never makes one `/audit` slow.
 */
export async function readAuditEntries(path: string, options: ReadAuditOptions): Promise<AuditEntry[]> {
  let budget = options.maxBytes ?? 4 * 1024 * 1024;
  const maxFiles = options.maxFiles ?? 100;
  let picked: AuditEntry[] = [];
  for (let i = 0; i <= maxFiles && budget > 0 && picked.length < options.limit; i++) {
    const tail = await readTail(rotatedPath(path, i), budget);
    if (!tail) {
      if (i === 0) continue; // no current file yet (just rotated, or nothing written)
      break;
    }
    budget -= Buffer.byteLength(tail.text);
    const entries = parseLines(tail.text);
    picked = [...(options.filter ? entries.filter(options.filter) : entries), ...picked];
    if (!tail.whole) break;
  }
  return picked.slice(-options.limit);
}
