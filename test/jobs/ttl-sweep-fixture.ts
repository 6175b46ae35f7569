// Expired previews as state records plus light directories on the host (no compose stacks): what
// the TTL sweep test and bench/ttl-sweep.ts clean.
import type { Previews } from "../../src/config/schema.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { getPreviewNames, type PreviewNames } from "../../src/ops/previews/preview-names.js";
import type { Store } from "../../src/store/store.js";

export async function plantExpired(store: Store, host: HostShell, config: Previews, baseDir: string, slugs: string[], now: Date): Promise<PreviewNames[]> {
  const names = slugs.map((slug) => getPreviewNames(config, baseDir, slug));
  const past = new Date(now.getTime() - 60_000).toISOString();
  await host.exec(["sh", "-c", 'for d in "$@"; do mkdir -p "$d" && echo x > "$d/docker-compose.yml"; done', "sh", ...names.map((n) => n.dir)]);
  await store.update((s) => {
    for (const n of names) {
      s.previews.push({ slug: n.slug, branch: n.slug, ref: "latest", host: config.host, project: n.project, hostname: n.hostname, url: n.url, requestedBy: "console:local", requestedByName: "t", createdAt: past, updatedAt: past, expiresAt: past, status: "running" });
    }
  });
  return names;
}
