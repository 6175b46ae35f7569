// Helpers for the Caddy proxy tests: curl against a loopback Caddy, and a second Caddy instance a
// test starts (and restarts) itself, as the SSH test user, so the shared one is never restarted.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, rm, writeFile, chown } from "node:fs/promises";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { execFileSync } from "node:child_process";

const run = promisify(execFile);

export interface CurlResult {
  code: number;
  status: number;
  body: string;
  stderr: string;
}

/** `curl --resolve <host>:<port>:127.0.0.1 --cacert <root> https://<host>:<port>/`, with the HTTP status. */
export async function curlPreview(hostname: string, port: number, rootCert: string, extra: string[] = []): Promise<CurlResult> {
  const args = ["-sS", "--max-time", "10", "--resolve", `${hostname}:${port}:127.0.0.1`, "--cacert", rootCert, "-w", "\n%{http_code}", ...extra, `https://${hostname}:${port}/`];
  try {
    const { stdout, stderr } = await run("curl", args);
    const i = stdout.lastIndexOf("\n");
    return { code: 0, status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i), stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, status: 0, body: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface OwnCaddy {
  admin: string;
  httpsPort: number;
  rootCert: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A second Caddy (config file with no routes), run as `user` under `dir`; `restart` loses every route added through the API. */
export async function startOwnCaddy(dir: string, user: string): Promise<OwnCaddy> {
  const uid = Number(execFileSync("id", ["-u", user]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", user]).toString().trim());
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, uid, gid);
  const socket = `${dir}/admin.sock`;
  const httpsPort = await freePort();
  const httpPort = await freePort();
  const config = {
    admin: { listen: `unix/${socket}` },
    apps: {
      pki: { certificate_authorities: { local: { install_trust: false } } },
      http: { http_port: httpPort, https_port: httpsPort, servers: { srv0: { listen: [`127.0.0.1:${httpsPort}`], routes: [], automatic_https: { disable_redirects: true } } } },
    },
  };
  await writeFile(`${dir}/caddy.json`, JSON.stringify(config));
  await chown(`${dir}/caddy.json`, uid, gid);
  let child: ChildProcess | undefined;
  const up = async (): Promise<boolean> => (await run("curl", ["-fsS", "--max-time", "2", "--unix-socket", socket, "-H", "Host;", "http://caddy/config/"]).then(() => true, () => false));
  const start = async (): Promise<void> => {
    await rm(socket, { force: true });
    child = spawn("setpriv", ["--reuid", String(uid), "--regid", String(gid), "--init-groups", "caddy", "run", "--config", `${dir}/caddy.json`], {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: dir, XDG_DATA_HOME: `${dir}/data`, XDG_CONFIG_HOME: `${dir}/config` },
      stdio: "ignore",
    });
    for (let i = 0; i < 50 && !(await up()); i++) await new Promise((r) => setTimeout(r, 200));
    if (!(await up())) throw new Error(`the test's own caddy did not start under ${dir}`);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
    });
  };
  await start();
  return {
    admin: `unix/${socket}`,
    httpsPort,
    rootCert: `${dir}/data/caddy/pki/authorities/local/root.crt`,
    async restart() {
      await stop();
      await start();
    },
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
