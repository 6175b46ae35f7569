// The traefik driver at the level of the rendered compose file and `docker-compose config` on the
// test host; the /caddy/ask endpoint Caddy's on-demand TLS asks before a certificate.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Previews } from "../../src/config/schema.js";
import { startHttpServer } from "../../src/core/http-server.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { getPreviewNames } from "../../src/ops/previews/preview-names.js";
import { renderTemplate } from "../../src/ops/previews/render-template.js";
import { addTraefikLabels } from "../../src/ops/previews/traefik-labels.js";
import { env, makeShell } from "../previews/preview-support.js";
import { repoRoot, uniqueName } from "../support/test-env.js";

let shell: SshHostShell;
beforeAll(() => void (shell = makeShell()));
afterAll(async () => shell.close());

describe("traefik driver", () => {
  it("labels the entry service, joins traefik-public, and docker-compose config accepts it", async () => {
    const config = Previews.parse({ host: "preview1", base_dir: env.previewsDir, domain: "preview.test", image: env.images.busybox, entry: { service: "app", port: 8080 }, proxy: { driver: "traefik", cert_resolver: "le" } });
    const slug = uniqueName("tr");
    const baseDir = `${env.previewsDir}/${uniqueName("trdir")}`;
    const n = getPreviewNames(config, baseDir, slug);
    const rendered = renderTemplate(readFileSync(`${repoRoot}test/fixtures/preview-templates/healthy.yml`, "utf8"), { slug, project: n.project, network: n.network, image: env.images.busybox, hostname: n.hostname, url: n.url, ref: "latest", vars: {} });
    const out = addTraefikLabels(rendered, config, n);
    const doc = parse(out) as { services: Record<string, { labels: Record<string, string> | string[]; networks: string[] }>; networks: Record<string, unknown> };
    const labels = doc.services["app"]?.labels as Record<string, string>;
    expect(labels[`traefik.http.routers.${n.project}.rule`]).toBe(`Host(\`${n.hostname}\`)`);
    expect(labels).toMatchObject({ "traefik.enable": "true", "traefik.docker.network": "traefik-public", [`traefik.http.routers.${n.project}.tls.certresolver`]: "le", [`traefik.http.services.${n.project}.loadbalancer.server.port`]: "8080", "opsdeck.preview": slug });
    expect(doc.services["app"]?.networks).toEqual(["preview", "traefik-public"]);
    expect(doc.services["worker"]?.networks).toEqual(["preview"]);
    expect(doc.networks["traefik-public"]).toEqual({ external: true, name: "traefik-public" });
    // Without a traefik proxy the text is untouched.
    expect(addTraefikLabels(rendered, { ...config, proxy: undefined }, n)).toBe(rendered);

    await shell.writeFile(`${n.dir}/docker-compose.yml`, out, 0o644);
    await shell.writeFile(`${n.dir}/.env`, "DB_PASSWORD=x\n", 0o600);
    try {
      await createComposeClient(shell).validate({ name: n.project, dir: n.dir });
      const cfg = await shell.exec(["docker-compose", "-f", `${n.dir}/docker-compose.yml`, "-p", n.project, "config"], { cwd: n.dir });
      expect(cfg.stdout).toContain(`traefik.http.routers.${n.project}.rule: Host(\`${n.hostname}\`)`);
      expect(cfg.stdout).toMatch(/traefik-public:\n\s+external: true/);
    } finally {
      await shell.exec(["rm", "-rf", "--", baseDir]); // n.dir lives in it
    }
  }, 60_000);
});

describe("/caddy/ask", () => {
  it("answers 200 only for the hostname of a live preview, 404 otherwise", async () => {
    const live = new Set(["preview-feature-x.preview.test"]);
    const http = await startHttpServer({ host: "127.0.0.1", port: 0, metrics: createMetrics(), isLivePreviewHost: (h) => live.has(h) });
    try {
      const ask = async (q: string): Promise<number> => (await fetch(`http://127.0.0.1:${http.port}/caddy/ask${q}`)).status;
      expect(await ask("?domain=preview-feature-x.preview.test")).toBe(200);
      expect(await ask("?domain=PREVIEW-FEATURE-X.preview.test")).toBe(200);
      expect(await ask("?domain=preview-gone.preview.test")).toBe(404);
      expect(await ask("?domain=")).toBe(404);
      expect(await ask("")).toBe(404);
    } finally {
      await http.close();
    }
  });
});
