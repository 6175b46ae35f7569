import { z } from "zod";
import type { HostShell } from "../adapters/host-shell.js";
import { dumpGlob } from "./dump-paths.js";

/** The last restore drill of one dump. */
export const DrillResult = z.object({
  at: z.string(),
  ok: z.boolean(),
  durationMs: z.number(),
  tables: z.number(),
  rows: z.number(),
  /** Why it failed (our own words: table names and counts, never data). */
  problems: z.array(z.string()).default([]),
});
export type DrillResult = z.infer<typeof DrillResult>;

/**
 * `<dump>.json` next to each dump: what the pre-backup knew when it wrote the dump (row counts per
 * table), whether it is pinned or a restore's safety dump, and its last drill. A dump without a
 * sidecar (older versions, Redis) is an ordinary, unpinned, never-drilled dump.
 */
export const DumpSidecar = z.object({
  /** `schema.table` → rows, counted right after the dump. */
  tables: z.record(z.string(), z.number()).optional(),
  pinned: z.boolean().optional(),
  /** Taken before a restore; kept (pinned) until `keepUntil`. */
  safety: z.boolean().optional(),
  keepUntil: z.string().optional(),
  drill: DrillResult.optional(),
  /** How long pg_dump took (the pre-backup's slow-dump alert compares against the median). */
  dumpMs: z.number().optional(),
});
export type DumpSidecar = z.infer<typeof DumpSidecar>;

export function sidecarPath(dumpPath: string): string {
  return `${dumpPath}.json`;
}

/** Pinned now: explicitly, or a safety dump before its `keepUntil`. */
export function isPinned(s: DumpSidecar | undefined, now: Date): boolean {
  if (!s) return false;
  if (s.pinned) return true;
  return s.safety === true && s.keepUntil !== undefined && Date.parse(s.keepUntil) > now.getTime();
}

function parse(text: string): DumpSidecar | undefined {
  try {
    const r = DumpSidecar.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export async function readSidecar(host: HostShell, dumpPath: string): Promise<DumpSidecar | undefined> {
  const text = await host.readFile(sidecarPath(dumpPath));
  return text === null ? undefined : parse(text);
}

/** Merge `patch` into the dump's sidecar (one writer per dump at a time: the callers hold the env's backup lock). */
export async function updateSidecar(host: HostShell, dumpPath: string, patch: Partial<DumpSidecar>): Promise<DumpSidecar> {
  const next = { ...((await readSidecar(host, dumpPath)) ?? {}), ...patch };
  await host.writeFile(sidecarPath(dumpPath), `${JSON.stringify(next)}\n`, 0o600);
  return next;
}

/** Every sidecar of `db` in `dir`, by dump file name, in one command (a newline after each, written by hand or not). Unreadable ones are skipped. */
export async function readSidecars(host: HostShell, dir: string, db: string): Promise<Map<string, DumpSidecar>> {
  const base = dir.replace(/\/+$/, "") || "/";
  const r = await host.exec(["find", base, "-maxdepth", "1", "-type", "f", "-name", `${dumpGlob(db)}.json`, "-printf", "%f\\t", "-exec", "cat", "{}", ";", "-printf", "\\n"], {
    allowFailure: true,
    timeoutMs: 30_000,
  });
  const out = new Map<string, DumpSidecar>();
  for (const line of r.stdout.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab <= 0) continue;
    const s = parse(line.slice(tab + 1));
    if (s) out.set(line.slice(0, tab).replace(/\.json$/, ""), s);
  }
  return out;
}
