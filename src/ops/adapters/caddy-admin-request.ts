import { Agent, request } from "node:http";
import type { Client } from "ssh2";
import { OpsError } from "../../core/errors.js";
import { SshSocketAgent, SshTcpAgent } from "./ssh-socket-agent.js";

export interface CaddyAdminTarget {
  /** `unix//run/caddy/admin.sock` or `http://127.0.0.1:2019` (config `previews.proxy.admin`). */
  admin: string;
  /** The preview host's SSH connection; absent for a local host. */
  ssh?: { connection(): Promise<Client> };
  timeoutMs?: number;
}

export interface CaddyAdminResponse {
  status: number;
  body: unknown;
}

export type CaddyAdminRequestFn = ((method: string, path: string, body?: unknown) => Promise<CaddyAdminResponse>) & { close(): void; where: string };

/**
 * Requests to Caddy's admin API. A unix socket is reached by a stream-local forward over the SSH
 * connection (works with `AllowTcpForwarding no`), loopback TCP by a direct-tcpip channel; a local
 * host uses the socket or port directly. Caddy checks the Host header: on a unix socket it must
 * be empty, on TCP it must name the listen address.
 */
export function createCaddyAdminRequest(target: CaddyAdminTarget): CaddyAdminRequestFn {
  const socketPath = target.admin.startsWith("unix/") ? target.admin.slice("unix/".length) : undefined;
  const tcp = socketPath ? undefined : new URL(target.admin);
  const port = tcp ? Number(tcp.port || 80) : 0;
  const connect = target.ssh ? () => (target.ssh as { connection(): Promise<Client> }).connection() : undefined;
  const agent = connect ? (socketPath ? new SshSocketAgent(connect, socketPath) : new SshTcpAgent(connect, tcp?.hostname ?? "127.0.0.1", port)) : new Agent({ keepAlive: false });
  const where = `Caddy's admin API at ${target.admin}${target.ssh ? " (over SSH)" : ""}`;
  const timeoutMs = target.timeoutMs ?? 15_000;

  const send = (method: string, path: string, body?: unknown): Promise<CaddyAdminResponse> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          method,
          path,
          setHost: false,
          ...(socketPath && !connect ? { socketPath } : {}),
          ...(tcp && !connect ? { host: tcp.hostname, port } : {}),
          headers: {
            host: socketPath ? "" : tcp?.host ?? "",
            ...(payload !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8").trim();
            let parsed: unknown = text;
            try {
              parsed = text === "" ? null : JSON.parse(text);
            } catch {
              // not JSON (a plain-text error page): keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", reject);
        },
      );
      // A timer, not the `timeout` option: that calls setTimeout on the socket, which an ssh2 channel answers by closing.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on("close", () => clearTimeout(timer));
      req.on("error", (e) =>
        reject(new OpsError("external_api", `${method} ${path} to ${where} failed: ${e.message}`, "Check that Caddy runs on the preview host with its admin API at previews.proxy.admin (caddy run --config FILE), and that the SSH user may open that socket.", { cause: e })),
      );
      req.end(payload);
    });
  return Object.assign(send, { close: () => agent.destroy(), where });
}
