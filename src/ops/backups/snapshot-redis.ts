import type { BackupRedis } from "../../config/jobs-config.js";
import { OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import type { HostShell } from "../adapters/host-shell.js";
import { latestRedisSnapshotPath, partialPath, redisSnapshotPath } from "./dump-paths.js";
import { withSecretEnv } from "./with-secret-env.js";

export interface SnapshotRedisOptions {
  host: HostShell;
  redis: BackupRedis;
  password: Secret | undefined;
  dumpDir: string;
  seedDir: string;
  at: Date;
  /** Poll interval while BGSAVE runs (default 250 ms). */
  pollMs?: number;
}

export interface RedisSnapshot {
  path: string;
  latestPath: string;
  bytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `redis-cli BGSAVE`, wait until the server reports a newer successful save, then copy its RDB
 * file to `<dump_dir>/redis-<stamp>.rdb` and `<seed_dir>/redis-latest.rdb`.
 */
export async function snapshotRedis(options: SnapshotRedisOptions): Promise<RedisSnapshot> {
  const { host, redis } = options;
  const pollMs = options.pollMs ?? 250;
  const cli = async (...args: string[]): Promise<string> => {
    const call = withSecretEnv("REDISCLI_AUTH", [...redis.cli, ...args], options.password, "redis");
    const r = await host.exec(call.argv, { timeoutMs: 30_000, ...(call.stdin !== undefined ? { stdin: call.stdin } : {}) });
    const out = r.stdout.trim();
    // redis-cli exits 0 on some error replies when not attached to a terminal.
    if (/^(ERR|NOAUTH|WRONGPASS|NOPERM|MISCONF|LOADING)\b/.test(out) && !/already in progress/.test(out)) {
      throw new OpsError("remote_failed", `${host.name}: redis ${args[0]} failed: ${out.slice(0, 200)}`, "Check the redis settings of this environment's backups (cli, password_env) and the server's log.");
    }
    return out;
  };
  const info = async (): Promise<Record<string, string>> => {
    const fields: Record<string, string> = {};
    for (const line of (await cli("INFO", "persistence")).split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return fields;
  };

  const before = Number(await cli("LASTSAVE"));
  if (!Number.isFinite(before)) throw new OpsError("remote_failed", `${host.name}: redis LASTSAVE gave no time`, "Check that redis.cli reaches the server (try it on the host).");
  // LASTSAVE has one-second resolution: make sure a new save cannot land in the same second.
  const serverNow = Number((await cli("TIME")).split(/\s+/)[0]);
  if (serverNow <= before) await sleep(1100);
  await cli("BGSAVE");
  const deadline = Date.now() + redis.timeout;
  for (;;) {
    const fields = await info();
    const last = Number(fields["rdb_last_save_time"]);
    if (fields["rdb_bgsave_in_progress"] === "0" && last > before) {
      if (fields["rdb_last_bgsave_status"] !== "ok") {
        throw new OpsError("remote_failed", `${host.name}: redis BGSAVE failed (rdb_last_bgsave_status: ${fields["rdb_last_bgsave_status"] ?? "?"})`, "Read the redis server log: a full disk or a directory it cannot write is the usual cause.");
      }
      break;
    }
    if (fields["rdb_bgsave_in_progress"] === "0" && fields["rdb_last_bgsave_status"] === "err") {
      throw new OpsError("remote_failed", `${host.name}: redis BGSAVE failed`, "Read the redis server log: a full disk or a directory it cannot write is the usual cause.");
    }
    if (Date.now() > deadline) {
      throw new OpsError("timeout", `${host.name}: redis BGSAVE did not finish within ${Math.round(redis.timeout / 1000)} s`, "Check the server's load and disk; raise backups.<env>.redis.timeout if the data set is large.");
    }
    await sleep(pollMs);
  }

  const final = redisSnapshotPath(options.dumpDir, options.at);
  const latest = latestRedisSnapshotPath(options.seedDir);
  const finalPartial = partialPath(final);
  const latestPartial = partialPath(latest);
  await host.exec(["mkdir", "-p", "--", options.dumpDir, options.seedDir], { timeoutMs: 30_000 });
  try {
    await host.exec(["cp", "--", redis.rdb_path, finalPartial], { timeoutMs: 600_000 });
    await host.exec(["mv", "-f", "--", finalPartial, final], { timeoutMs: 30_000 });
    await host.exec(["cp", "--", final, latestPartial], { timeoutMs: 600_000 });
    await host.exec(["mv", "-f", "--", latestPartial, latest], { timeoutMs: 30_000 });
  } catch (err) {
    await host.exec(["rm", "-f", "--", finalPartial, latestPartial], { allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined);
    throw err;
  }
  const size = await host.exec(["stat", "-c", "%s", "--", final], { timeoutMs: 30_000 });
  return { path: final, latestPath: latest, bytes: Number(size.stdout.trim()) };
}
