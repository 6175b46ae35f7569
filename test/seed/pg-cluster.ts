// A throwaway PostgreSQL 15 cluster on a free loopback port, owned by the `opsdeck` test user
// (initdb refuses root), with password (scram) authentication only, so a seed has to bring its
// password through .pgpass to get in.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { asTestUser, freePort, testUserDir, testUserIds } from "../support/test-user.js";

const execFileP = promisify(execFile);

export interface PgCluster {
  port: number;
  user: string;
  password: string;
  dir: string;
  /** Run SQL as the superuser in `db`; returns psql -At output. */
  sql(db: string, text: string): Promise<string>;
  /** `pg_dump -Fc` of `db` into `file` (written as the test user). */
  dump(db: string, file: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPgCluster(pgBin: string): Promise<PgCluster> {
  const dir = testUserDir("opsdeck-pg-");
  const data = join(dir, "data");
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, testUserIds().uid, testUserIds().gid);
  const user = "opsdeck";
  await asTestUser([join(pgBin, "initdb"), "-D", data, "-U", user, "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C"]);
  rmSync(pwfile);
  const port = await freePort();
  await asTestUser([join(pgBin, "pg_ctl"), "-D", data, "-w", "-t", "30", "-l", join(dir, "log"), "-o", `-h 127.0.0.1 -p ${port} -k ${dir}`, "start"]);
  const pgEnv = { PGPASSWORD: password, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: user };
  return {
    port,
    user,
    password,
    dir,
    async sql(db, text) {
      const { stdout } = await execFileP(join(pgBin, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", text], {
        env: { ...process.env, ...pgEnv },
        timeout: 30_000,
      });
      return stdout.trim();
    },
    async dump(db, file) {
      await asTestUser([join(pgBin, "pg_dump"), "-Fc", "-d", db, "-f", file], pgEnv);
    },
    async stop() {
      await asTestUser([join(pgBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
