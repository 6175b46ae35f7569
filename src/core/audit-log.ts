import { appendFile, mkdir } from "node:fs/promises";
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

/** Append-only JSON lines; every entry passes through the redactor first. */
export function createAuditLog(path: string, redact: Redactor): AuditLog {
  let ready: Promise<unknown> | null = null;
  return {
    async record(entry) {
      ready ??= mkdir(dirname(path), { recursive: true });
      await ready;
      await appendFile(path, `${JSON.stringify(redact.value(entry))}\n`, { mode: 0o600 });
    },
  };
}
