import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import type { Client } from "ssh2";

export interface TlsReadyTarget {
  /** The proxy's HTTPS port on its host (config `previews.proxy.https_port`), dialled on 127.0.0.1. */
  port: number;
  /** The preview host's SSH connection (a direct-tcpip channel); absent for a local host. */
  ssh?: { connection(): Promise<Client> };
}

/** A stream to 127.0.0.1:port on the proxy's host: a direct-tcpip channel over SSH, or a local socket. */
function openStream(target: TlsReadyTarget): Promise<Duplex> {
  if (!target.ssh) {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host: "127.0.0.1", port: target.port }, () => resolve(s));
      s.once("error", reject);
    });
  }
  return target.ssh.connection().then((client) => new Promise<Duplex>((resolve, reject) => {
    try {
      client.forwardOut("127.0.0.1", 0, "127.0.0.1", target.port, (err, channel) => (err ? reject(err) : resolve(channel)));
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e))); // ssh2 throws when the connection is closed
    }
  }));
}

/** One TLS handshake with SNI `hostname`: did the server present a certificate for it? */
async function handshake(target: TlsReadyTarget, hostname: string, timeoutMs: number): Promise<boolean> {
  const stream = await openStream(target);
  return new Promise<boolean>((resolve) => {
    // Only whether a certificate for the name is served: its chain is the proxy's own CA.
    const socket = tlsConnect({ socket: stream, servername: hostname, rejectUnauthorized: false });
    const end = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      stream.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => end(false), timeoutMs);
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      const names = (cert.subjectaltname ?? "").split(/,\s*/).map((n) => n.replace(/^DNS:/, ""));
      end(names.includes(hostname) || cert.subject?.CN === hostname);
    });
    socket.once("error", () => end(false));
  });
}

/**
 * Wait until the proxy serves a certificate for `hostname` (tls: internal: Caddy gets it from its
 * own CA in the background once the route is in its config, and a handshake before that fails), at
 * most `withinMs`. Resolves true once one is served, false when the time ran out or the port cannot
 * be reached (e.g. `AllowTcpForwarding no`): the route is in place either way, and the deploy does
 * not fail for it.
 */
export async function waitForTlsCertificate(target: TlsReadyTarget, hostname: string, withinMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = deadline - Date.now();
    const ok = await handshake(target, hostname, Math.max(100, Math.min(2_000, left))).catch(() => false);
    if (ok) return true;
    if (Date.now() + 100 >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
