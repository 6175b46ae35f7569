// A bounded load loop for zero-downtime tests: one HTTPS request every 50 ms to a host name through
// the loopback Caddy (SNI + Host header, Caddy's local CA), until stopped or `maxMs` passes.
import { request } from "node:https";

export interface LoadStats {
  requests: number;
  failures: number;
  /** Response bodies in order, deduplicated when consecutive (e.g. ["version v1", "version v2"]). */
  versions: string[];
  /** The first few failure reasons. */
  errors: string[];
}

function once(hostname: string, port: number, ca: string): Promise<{ ok: boolean; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, servername: hostname, headers: { host: hostname }, ca, agent: false, timeout: 2000, path: "/" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        const text = body.trim();
        const ok = res.statusCode === 200 && /^version v\d+$/.test(text);
        resolve(ok ? { ok, body: text } : { ok, body: text, error: `HTTP ${res.statusCode}: ${text.slice(0, 80)}` });
      });
      res.on("error", (e) => resolve({ ok: false, body: "", error: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out after 2 s")));
    req.on("error", (e) => resolve({ ok: false, body: "", error: e.message }));
    req.end();
  });
}

export function startLoad(hostname: string, port: number, ca: string, maxMs = 90_000): { stop(): Promise<LoadStats> } {
  const stats: LoadStats = { requests: 0, failures: 0, versions: [], errors: [] };
  let stopped = false;
  const until = Date.now() + maxMs;
  const done = (async () => {
    while (!stopped && Date.now() < until) {
      const started = Date.now();
      const r = await once(hostname, port, ca);
      stats.requests += 1;
      if (!r.ok) {
        stats.failures += 1;
        if (stats.errors.length < 5) stats.errors.push(r.error ?? "failed");
      } else if (stats.versions.at(-1) !== r.body) stats.versions.push(r.body);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (Date.now() - started))));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return stats;
    },
  };
}
