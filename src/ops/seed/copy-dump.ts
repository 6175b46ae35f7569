import { OpsError } from "../../core/errors.js";
import type { HostShell } from "../adapters/host-shell.js";

/** `<seed_dir>/<db>-latest.dump`, owned by the pre-backup; re-exported for the seed's modules. */
export { latestDumpPath } from "../backups/dump-paths.js";

export interface DumpInfo {
  path: string;
  /** Modification time: when the data was dumped. */
  mtime: Date;
  bytes: number;
}

/** The dump's mtime and size, or a `not_found` error that says how to produce one. */
export async function statDump(host: HostShell, path: string, sourceEnv: string): Promise<DumpInfo> {
  const r = await host.exec(["stat", "-c", "%Y %s", "--", path], { allowFailure: true, timeoutMs: 30_000 });
  const m = /^(\d+) (\d+)$/.exec(r.stdout.trim());
  if (r.code !== 0 || !m?.[1] || !m[2]) {
    throw new OpsError("not_found", `${host.name}: there is no dump at ${path}`, `Run /backup run ${sourceEnv} to make one (or check seed_dir in the config), then seed again.`);
  }
  const bytes = Number(m[2]);
  if (bytes === 0) throw new OpsError("not_found", `${host.name}: the dump ${path} is empty`, `Run /backup run ${sourceEnv} for a fresh dump, then seed again.`);
  return { path, mtime: new Date(Number(m[1]) * 1000), bytes };
}

/**
 * Copy a dump to the target. On the same host it is a plain `cp -p`. Across hosts it is streamed
 * through the bot as base64 (simple, no host-to-host credentials; fine for dumps of a few
 * hundred MB — larger ones want a direct transfer between the hosts).
 */
export async function copyDump(source: HostShell, target: HostShell, from: DumpInfo, to: string, timeoutMs: number): Promise<void> {
  const dir = to.slice(0, to.lastIndexOf("/")) || "/";
  await target.exec(["mkdir", "-p", "--", dir], { timeoutMs: 30_000 });
  if (source === target || source.name === target.name) {
    await target.exec(["cp", "-p", "--", from.path, to], { timeoutMs });
    return;
  }
  const encoded = await source.exec(["base64", "--", from.path], { timeoutMs });
  await target.exec(["sh", "-c", 'base64 -d > "$1.part" && mv -f -- "$1.part" "$1"', "sh", to], { stdin: encoded.stdout, timeoutMs });
  const stamp = `@${Math.floor(from.mtime.getTime() / 1000)}`;
  await target.exec(["touch", "-d", stamp, "--", to], { timeoutMs: 30_000 });
}
