import type { HttpCheck } from "../../config/jobs-config.js";

/**
 * HTTP checks for the environments' `health_urls`, so every deployed environment is watched
 * without repeating its URLs under `health_checks.http`: named `<env>` (or `<env>-2`, `<env>-3`…
 * when it has several), expecting 200 within 2 s. A check configured under `health_checks.http`
 * with the same URL wins.
 */
export function environmentHttpChecks(environments: Record<string, { health_urls: string[] }>, configured: HttpCheck[]): HttpCheck[] {
  const urls = new Set(configured.map((c) => c.url));
  const names = new Set(configured.map((c) => c.name));
  const out: HttpCheck[] = [];
  for (const [env, e] of Object.entries(environments)) {
    e.health_urls.forEach((url, i) => {
      if (urls.has(url)) return;
      let name = i === 0 ? env : `${env}-${i + 1}`;
      while (names.has(name)) name = `${name}-env`;
      names.add(name);
      urls.add(url);
      out.push({ name, url, expect_status: 200, max_latency: 2_000 });
    });
  }
  return out;
}
