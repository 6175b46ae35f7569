// Faults we own: a private sshd (a copy of the shared one's config on another loopback port, with
// the same host keys) that we SIGKILL with all its session processes, and a unix-socket proxy in
// front of the shared dockerd that we cut (the shared dockerd itself is never touched).
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { repoRoot } from "../support/test-env.js";
import { freePort } from "../support/test-user.js";
import { env, until } from "./bot-rig.js";

export interface PrivateSshd {
  port: number;
  start(): Promise<void>;
  /** SIGKILL the listener and every session process under it. */
  kill(): void;
}

function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

export async function privateSshd(dir: string): Promise<PrivateSshd> {
  const port = await freePort();
  const config = join(dir, "sshd_config");
  const text = readFileSync(`${repoRoot}.test-env/sshd_config`, "utf8")
    .split("\n")
    .filter((l) => !/^(Port|PidFile)\b/.test(l))
    .join("\n");
  writeFileSync(config, `${text}\nPidFile ${join(dir, "sshd.pid")}\n`);
  let child: ChildProcess | undefined;
  const handle: PrivateSshd = {
    port,
    async start() {
      const c = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config, "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
      c.stderr?.resume();
      child = c;
      await until(`private sshd on ${port}`, () => {
        if (c.exitCode !== null) throw new Error(`sshd exited with ${c.exitCode}`);
        return new Promise<boolean>((resolve) => {
          const s = createConnection({ host: "127.0.0.1", port }, () => {
            s.destroy();
            resolve(true);
          });
          s.once("error", () => resolve(false));
        });
      });
    },
    kill() {
      const c = child;
      child = undefined;
      if (!c?.pid) return;
      for (const pid of [c.pid, ...descendants(c.pid)]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
  return handle;
}

export interface DockerProxy {
  path: string;
  start(): Promise<void>;
  /** Close the listener and cut every open connection, as if the daemon's socket went away. */
  kill(): Promise<void>;
}

export function dockerProxy(dir: string): DockerProxy {
  const path = join(dir, "docker-proxy.sock");
  let server: Server | undefined;
  const open = new Set<Socket>();
  return {
    path,
    async start() {
      const srv = createServer((client) => {
        const upstream = createConnection(env.dockerSocket);
        open.add(client).add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        client.pipe(upstream).pipe(client);
      });
      try {
        execFileSync("rm", ["-f", path]);
      } catch {
        // nothing to remove
      }
      await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(path, resolve));
      chmodSync(path, 0o666); // the SSH user's forwarded stream connects to it
      server = srv;
    },
    async kill() {
      const srv = server;
      server = undefined;
      for (const s of open) s.destroy();
      open.clear();
      if (srv) await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

export function dockerNames(kind: "ps" | "network" | "volume", label: string): string[] {
  const args = kind === "ps" ? ["ps", "-a", "--filter", `label=${label}`, "--format", "{{.Names}}"] : [kind, "ls", "--filter", `label=${label}`, "--format", "{{.Name}}"];
  return execFileSync("docker", args, { encoding: "utf8" }).split("\n").filter(Boolean);
}

/** Remove every container, network and volume carrying `label` (test clean-up). */
export function removeLabelled(label: string): void {
  const ps = dockerNames("ps", label);
  if (ps.length) execFileSync("docker", ["rm", "-f", "-v", ...ps], { stdio: "ignore" });
  const nets = dockerNames("network", label);
  if (nets.length) execFileSync("docker", ["network", "rm", ...nets], { stdio: "ignore" });
  const vols = dockerNames("volume", label);
  if (vols.length) execFileSync("docker", ["volume", "rm", "-f", ...vols], { stdio: "ignore" });
}
