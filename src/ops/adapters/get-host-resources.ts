import { OpsError } from "../../core/errors.js";
import type { HostResources } from "./host-resources.js";
import type { HostShell } from "./host-shell.js";

/**
 * `df` for the filesystem that holds (or will hold) a path. The path is the positional parameter
 * `$1`, never part of the script text; a path that does not exist yet is walked up to its
 * nearest existing parent. `~` and `~/…` mean the user's home on that host.
 */
const DF_SCRIPT = [
  'p=$1',
  'case $p in "~") p=$HOME ;; "~/"*) p=$HOME/${p#??} ;; esac',
  'while [ ! -e "$p" ]; do p=$(dirname -- "$p"); done',
  'exec df -Pk -- "$p"',
].join("\n");

const DF_LINE = /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(\/.*)$/;

function unexpected(host: string, what: string, output: string): OpsError {
  return new OpsError(
    "remote_failed",
    `${host}: unexpected output from ${what}: ${JSON.stringify(output.slice(0, 200))}`,
    "Check that the host runs Linux with a POSIX df (coreutils or busybox) and a readable /proc/meminfo.",
  );
}

/** Parse `df -Pk` output: the header line and one data line. */
export function parseDf(host: string, output: string): Pick<HostResources, "freeDiskMb" | "diskUsePercent"> {
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0] ?? "";
  const m = lines.length === 2 && /^Filesystem\s+1024-blocks\s+Used\s+Available\s+Capacity\s+Mounted on$/.test(header.trim()) ? DF_LINE.exec((lines[1] ?? "").trim()) : null;
  if (!m) throw unexpected(host, "df -Pk", output);
  const availableKb = Number(m[4]);
  const percent = Number(m[5]);
  if (!Number.isSafeInteger(availableKb) || percent > 100) throw unexpected(host, "df -Pk", output);
  return { freeDiskMb: Math.floor(availableKb / 1024), diskUsePercent: percent };
}

/** Parse `/proc/meminfo` for `MemAvailable` (Linux ≥ 3.14). */
export function parseMemAvailable(host: string, output: string): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(output);
  if (!m || !/^MemTotal:\s+\d+ kB$/m.test(output)) throw unexpected(host, "/proc/meminfo", output);
  return Math.floor(Number(m[1]) / 1024);
}

/** Free disk on the filesystem holding `path`, and available memory, on a host. */
export async function getHostResources(host: HostShell, path: string): Promise<HostResources> {
  const [df, meminfo] = await Promise.all([host.exec(["sh", "-c", DF_SCRIPT, "sh", path]), host.exec(["cat", "/proc/meminfo"])]);
  return { ...parseDf(host.name, df.stdout), availableMemoryMb: parseMemAvailable(host.name, meminfo.stdout) };
}
