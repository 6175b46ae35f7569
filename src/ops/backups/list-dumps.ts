import { commandFailedError } from "../adapters/host-command-failure.js";
import type { HostShell } from "../adapters/host-shell.js";
import { dumpGlob, parseDumpFileName } from "./dump-paths.js";

export interface DumpFile {
  path: string;
  fileName: string;
  /** From the name: when the pre-backup run that wrote it started. */
  stampedAt: Date;
  /** The file's modification time: when it was last written. */
  modifiedAt: Date;
  bytes: number;
}

/**
 * The timestamped dumps of `db` (or `redis`) in `dir` on the host, newest first (by mtime).
 * A missing directory means no dumps. Files whose names do not parse are ignored.
 */
export async function listDumps(host: HostShell, dir: string, db: string): Promise<DumpFile[]> {
  const base = dir.replace(/\/+$/, "") || "/";
  const result = await host.exec(["find", base, "-maxdepth", "1", "-type", "f", "-name", dumpGlob(db), "-printf", "%f\\t%s\\t%T@\\n"], {
    allowFailure: true,
    timeoutMs: 30_000,
  });
  if (result.code !== 0 && !/No such file or directory/.test(result.stderr)) {
    throw commandFailedError(host.name, ["find", base], result);
  }
  const files: DumpFile[] = [];
  for (const line of result.stdout.split("\n")) {
    const [fileName, size, mtime] = line.split("\t");
    if (!fileName || size === undefined || mtime === undefined) continue;
    const stampedAt = parseDumpFileName(db, fileName);
    if (!stampedAt) continue;
    files.push({ path: `${base === "/" ? "" : base}/${fileName}`, fileName, stampedAt, modifiedAt: new Date(Math.round(Number(mtime) * 1000)), bytes: Number(size) });
  }
  return files.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime() || b.stampedAt.getTime() - a.stampedAt.getTime());
}
