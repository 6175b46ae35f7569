// Real parts for the backup tests: a PostgreSQL 15 cluster and a redis-server on free loopback
// ports, both run by the `opsdeck` test user (initdb refuses root; the SSH user must read the
// RDB file), and a loopback HTTP server that records heartbeat pings.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { asTestUser, freePort, testUserDir, testUserIds } from "../support/test-user.js";

const execFileP = promisify(execFile);

export interface PgCluster {
  port: number;
  user: string;
  password: string;
  sql(db: string, text: string): Promise<string>;
  stop(): Promise<void>;
}

/** initdb + pg_ctl start (scram auth over TCP only, so a dump needs the password). */
export async function startPg(pgBin: string): Promise<PgCluster> {
  const dir = testUserDir("opsdeck-bk-pg-");
  const data = join(dir, "data");
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, testUserIds().uid, testUserIds().gid);
  const user = "opsdeck";
  await asTestUser([join(pgBin, "initdb"), "-D", data, "-U", user, "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C", "--no-sync"]);
  rmSync(pwfile);
  const port = await freePort();
  await asTestUser([join(pgBin, "pg_ctl"), "-D", data, "-w", "-t", "30", "-l", join(dir, "log"), "-o", `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off`, "start"]);
  const env = { ...process.env, PGPASSWORD: password, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: user };
  return {
    port,
    user,
    password,
    async sql(db, text) {
      const { stdout } = await execFileP(join(pgBin, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", text], { env, timeout: 30_000 });
      return stdout.trim();
    },
    async stop() {
      await asTestUser([join(pgBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisServer {
  port: number;
  password: string;
  /** The RDB file the server writes. */
  rdbPath: string;
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** redis-server (daemonized, as the test user) with a password, writing its RDB into a temp dir. */
export async function startRedis(redisServer: string): Promise<RedisServer> {
  const dir = testUserDir("opsdeck-bk-redis-");
  const port = await freePort();
  const password = `rpw-${randomBytes(12).toString("hex")}`;
  const conf = join(dir, "redis.conf");
  writeFileSync(
    conf,
    [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, "dbfilename dump.rdb", 'save ""', "daemonize yes", `pidfile ${join(dir, "redis.pid")}`, `logfile ${join(dir, "redis.log")}`, `requirepass ${password}`].join("\n"),
    { mode: 0o600 },
  );
  chownSync(conf, testUserIds().uid, testUserIds().gid);
  await asTestUser([redisServer, conf]);
  const cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileP("redis-cli", ["-p", String(port), ...args], { env: { ...process.env, REDISCLI_AUTH: password }, timeout: 10_000 });
    return stdout.trim();
  };
  const deadline = Date.now() + 10_000;
  while ((await cli("PING").catch(() => "")) !== "PONG") {
    if (Date.now() > deadline) throw new Error("redis-server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    password,
    rdbPath: join(dir, "dump.rdb"),
    cli,
    async stop() {
      await cli("SHUTDOWN", "NOSAVE").catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PingServer {
  url: string;
  /** `METHOD /path` of every request. */
  pings: string[];
  close(): Promise<void>;
}

/** Records heartbeat pings; answers 200 on `/ping/*`, 404 elsewhere (recorded too, so a test sees it). */
export async function startPingServer(): Promise<PingServer> {
  const pings: string[] = [];
  const server = createHttpServer((req, res) => {
    pings.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(req.url?.startsWith("/ping/") ? 200 : 404, { "content-type": "text/plain" });
    res.end("OK");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, pings, close: () => new Promise((r) => server.close(() => r())) };
}
