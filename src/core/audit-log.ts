import { appendFile, mkdir, rename, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { Redactor } from "./redact.js";

export interface AuditEntry {
  time: string;
  actor: string;
  actorName: string;
  command: string;
  args: string[];
  decision: "allowed" | "denied" | "invalid";
  result: "success" | "failure" | "info" | "warning" | "denied" | "error";
  durationMs: number;
  detail?: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

export interface AuditLogOptions {
  /** Rotate when the file would grow past this many bytes (default 10 MiB). */
  maxBytes?: number;
  /** Rotated files kept: `audit.jsonl.1` (newest) … `audit.jsonl.<keep>` (default 5). */
  keep?: number;
}

export const AUDIT_DEFAULTS = { maxBytes: 10 * 1024 * 1024, keep: 5 } as const;

/** `path.1` is the newest rotated file. */
export function rotatedPath(path: string, n: number): string {
  return n === 0 ? path : `${path}.${n}`;
}

/**
 * Append-only JSON lines; every entry passes through the redactor first. Size-based rotation
 * keeps at most `keep + 1` files. Nothing is read at start: the current size is learnt with one
 * `stat` at the first write and tracked in memory after that. Writes are group-committed: entries
 * recorded while a write is under way go out together in the next single append (a burst of 50
 * commands costs two appends, not 50 open/write/close rounds), and lines never interleave with a
 * rotation, which is still decided line by line.
 */
export function createAuditLog(path: string, redact: Redactor, options: AuditLogOptions = {}): AuditLog {
  const maxBytes = options.maxBytes ?? AUDIT_DEFAULTS.maxBytes;
  const keep = options.keep ?? AUDIT_DEFAULTS.keep;
  let size: number | undefined;
  let pending: Array<{ text: string; resolve: () => void; reject: (err: unknown) => void }> = [];
  let writing = false;

  async function rotate(): Promise<void> {
    await unlink(rotatedPath(path, keep)).catch(() => {});
    for (let i = keep - 1; i >= 0; i--) {
      await rename(rotatedPath(path, i), rotatedPath(path, i + 1)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
    }
    size = 0;
  }

  async function append(lines: string[]): Promise<void> {
    if (size === undefined) {
      await mkdir(dirname(path), { recursive: true });
      size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
    }
    let chunk = "";
    let chunkBytes = 0;
    const flush = async (): Promise<void> => {
      if (!chunk) return;
      await appendFile(path, chunk, { mode: 0o600 });
      size = (size ?? 0) + chunkBytes;
      chunk = "";
      chunkBytes = 0;
    };
    for (const text of lines) {
      const bytes = Buffer.byteLength(text);
      if (size + chunkBytes > 0 && size + chunkBytes + bytes > maxBytes) {
        await flush();
        await rotate();
      }
      chunk += text;
      chunkBytes += bytes;
    }
    await flush();
  }

  function drain(): void {
    if (writing || pending.length === 0) return;
    writing = true;
    const batch = pending;
    pending = [];
    append(batch.map((b) => b.text)).then(
      () => {
        for (const b of batch) b.resolve();
      },
      (err: unknown) => {
        size = undefined; // learn the size again after a failed write
        for (const b of batch) b.reject(err);
      },
    ).finally(() => {
      writing = false;
      drain();
    });
  }

  return {
    record(entry) {
      const text = `${JSON.stringify(redact.value(entry))}\n`;
      return new Promise<void>((resolve, reject) => {
        pending.push({ text, resolve, reject });
        drain();
      });
    },
  };
}
