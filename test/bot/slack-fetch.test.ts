// slack-fetch.ts against a loopback HTTP server: what the Web API client and Bolt's respond read
// (status, headers, text/json), bodies as sent, one kept-alive connection, and the hand-off to the
// global fetch for what it does not do itself (redirects).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createSlackFetch } from "../../src/bot/slack/slack-fetch.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));
});

async function serve(handle: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string | string[]>; body: string }): Promise<{ base: string; connections: () => number; seen: Array<{ method: string; url: string; type: string | undefined; body: string }> }> {
  let connections = 0;
  const seen: Array<{ method: string; url: string; type: string | undefined; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? "", url: req.url ?? "", type: req.headers["content-type"], body });
      const out = handle(req, body);
      res.writeHead(out.status, out.headers ?? {});
      res.end(out.body);
    });
  });
  server.on("connection", () => connections++);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, seen };
}

describe("slack fetch", () => {
  it("posts string and form bodies as given, returns status, headers and body, and keeps one connection for sequential calls", async () => {
    const srv = await serve((req, body) => ({ status: req.url === "/missing" ? 404 : 200, headers: { "content-type": "application/json", "x-oauth-scopes": "chat:write,commands", "set-cookie": ["a=1", "b=2"] }, body: JSON.stringify({ ok: true, echo: body }) }));
    const f = createSlackFetch();
    try {
      for (let i = 0; i < 10; i++) {
        const res = await f.fetch(`${srv.base}/api/chat.postMessage`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ i }) });
        expect(res.status).toBe(200);
        expect(res.ok).toBe(true);
        expect(res.headers.get("x-oauth-scopes")).toBe("chat:write,commands");
        expect(await res.json()).toEqual({ ok: true, echo: JSON.stringify({ i }) });
      }
      const form = await f.fetch(`${srv.base}/api/auth.test`, { method: "POST", body: new URLSearchParams({ token: "t", channel: "C1" }) });
      expect(JSON.parse(await form.text())).toEqual({ ok: true, echo: "token=t&channel=C1" });
      const missing = await f.fetch(`${srv.base}/missing`, { method: "POST", body: "{}" });
      expect([missing.status, missing.ok]).toEqual([404, false]);
      expect(srv.seen.at(-2)?.type).toBe("application/x-www-form-urlencoded;charset=UTF-8");
      expect(srv.seen[0]).toMatchObject({ method: "POST", url: "/api/chat.postMessage", type: "application/json" });
      expect(srv.connections()).toBe(1);
    } finally {
      f.close();
    }
  });

  it("leaves a redirect to the global fetch (redirect: error rejects, follow follows) and reports a refused connection as fetch does", async () => {
    const target = await serve(() => ({ status: 200, body: "moved here" }));
    const srv = await serve(() => ({ status: 302, headers: { location: `${target.base}/there` }, body: "" }));
    const f = createSlackFetch();
    try {
      await expect(f.fetch(`${srv.base}/api/x`, { method: "POST", body: "a", redirect: "error" })).rejects.toThrow(TypeError);
      expect(await (await f.fetch(`${srv.base}/r`, { method: "GET" })).text()).toBe("moved here");
      const closed = await serve(() => ({ status: 200, body: "" }));
      const port = new URL(closed.base).port;
      await new Promise<void>((r) => servers.pop()!.close(() => r()));
      await expect(f.fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "x" })).rejects.toThrow("fetch failed");
    } finally {
      f.close();
    }
  });
});
