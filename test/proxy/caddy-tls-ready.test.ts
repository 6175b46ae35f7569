import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { createSecureContext } from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { waitForTlsCertificate } from "../../src/ops/adapters/caddy-tls-ready.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { makeShell } from "../previews/preview-support.js";

// A real TLS server on loopback that, like Caddy before its CA has issued a route's certificate,
// aborts the handshakes for a name until `readyAt`, then serves a certificate for it.
const dir = mkdtempSync(join(tmpdir(), "opsdeck-tls-ready-"));
const NAME = "preview-x.preview.test";
execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${NAME}`,
  "-addext", `subjectAltName=DNS:${NAME}`, "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
const context = createSecureContext({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) });
const servers: Server[] = [];
let shell: SshHostShell | undefined;

async function tlsServer(readyAt: number): Promise<{ port: number; handshakes: () => number }> {
  let handshakes = 0;
  const server = createServer({
    SNICallback: (name, cb) => {
      handshakes++;
      if (Date.now() < readyAt || name !== NAME) cb(new Error("no certificate yet"));
      else cb(null, context);
    },
  }, (s: TLSSocket) => s.end());
  server.on("tlsClientError", () => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, handshakes: () => handshakes };
}

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  await shell?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("waitForTlsCertificate (the proxy serves the route's certificate before the deploy replies)", () => {
  it("waits while handshakes fail and resolves once the certificate for the name is served", async () => {
    const server = await tlsServer(Date.now() + 700);
    const t0 = Date.now();
    expect(await waitForTlsCertificate({ port: server.port }, NAME, 10_000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(server.handshakes()).toBeGreaterThan(1);
  });

  it("over the preview host's SSH connection (a direct-tcpip channel to the port on its loopback)", async () => {
    shell = makeShell();
    const server = await tlsServer(Date.now() + 300);
    expect(await waitForTlsCertificate({ port: server.port, ssh: shell }, NAME, 10_000)).toBe(true);
  });

  it("gives up after the wait when no certificate for the name comes, or nothing listens", async () => {
    const other = await tlsServer(0);
    const t0 = Date.now();
    expect(await waitForTlsCertificate({ port: other.port }, "preview-y.preview.test", 800)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(3_000);
    const closed = await tlsServer(0);
    const port = closed.port;
    await new Promise((r) => (servers.pop() as Server).close(r));
    expect(await waitForTlsCertificate({ port }, NAME, 500)).toBe(false);
  });
});
