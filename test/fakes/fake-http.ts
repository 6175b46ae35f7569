// A loopback HTTP server for fake external APIs: JSON in, JSON out, scripted failures, and a list
// of problems (unexpected requests, bad shapes) that a test asserts is empty.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A scripted answer used instead of the normal one for the next `times` matching requests. */
export interface ScriptedFailure {
  method?: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  times?: number;
}

export interface FakeHttpServer {
  url: string;
  /** Every request seen, as `METHOD /path?query`. */
  readonly seen: string[];
  /** Unexpected requests and shape errors; the test fails when this is not empty. */
  readonly problems: string[];
  script(failure: ScriptedFailure): void;
  assertNoProblems(): void;
  close(): Promise<void>;
}

export async function startFakeHttp(
  name: string,
  handle: (req: FakeRequest, problem: (text: string) => void) => FakeResponse,
  scriptedBody: (status: number) => unknown,
): Promise<FakeHttpServer> {
  const seen: string[] = [];
  const problems: string[] = [];
  const scripts: Array<ScriptedFailure & { left: number }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const method = (req.method ?? "GET").toUpperCase();
      seen.push(`${method} ${url.pathname}${url.search}`);
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      let answer: FakeResponse;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
        const script = scripts.find((s) => s.left > 0 && (!s.method || s.method === method) && s.path.test(url.pathname));
        if (script) {
          script.left -= 1;
          answer = { status: script.status, body: script.body ?? scriptedBody(script.status), ...(script.headers ? { headers: script.headers } : {}) };
        } else {
          answer = handle({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body }, (text) => problems.push(`${method} ${url.pathname}: ${text}`));
        }
      } catch (err) {
        problems.push(`${method} ${url.pathname}: ${(err as Error).message}`);
        answer = { status: 400, body: scriptedBody(400) };
      }
      const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
      res.writeHead(answer.status, { ...(text ? { "content-type": "application/json" } : {}), ...answer.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    problems,
    script(failure) {
      scripts.push({ ...failure, left: failure.times ?? 1 });
    },
    assertNoProblems() {
      if (problems.length > 0) {
        throw new Error(`${name} saw unexpected requests:\n  ${problems.join("\n  ")}\nAdd the route to test/fakes if the adapter should really call it.`);
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
