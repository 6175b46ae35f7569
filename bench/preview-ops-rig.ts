// Preview ops for the benches, against the test sshd/dockerd (bash scripts/test-setup.sh), without
// the vitest-only test harness: a store in a fresh temp data dir, a silent logger, an in-memory DNS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Previews } from "../src/config/schema.js";
import { createLogger } from "../src/core/logger.js";
import { createRedactor } from "../src/core/redact.js";
import type { DnsProvider } from "../src/ops/adapters/dns-provider.js";
import type { DockerClient } from "../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../src/ops/adapters/docker-compose-client.js";
import { createDockerClient } from "../src/ops/adapters/dockerode-client.js";
import { createSshHostShell, type SshHostShell } from "../src/ops/adapters/ssh-host-shell.js";
import { createPreviewOps } from "../src/ops/previews/create-preview-ops.js";
import type { PreviewOps } from "../src/ops/previews/preview-types.js";
import { openStore, type Store } from "../src/store/store.js";
import { loadTestEnv, repoRoot } from "../test/support/test-env.js";

export const env = loadTestEnv();

export function benchShell(name = "preview1"): SshHostShell {
  return createSshHostShell({ name, address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
}

export function benchDocker(shell: SshHostShell): DockerClient {
  return createDockerClient({ ssh: shell, socketPath: env.dockerSocket });
}

export interface BenchRig { ops: PreviewOps; store: Store; config: Previews; dns: DnsProvider & { records: Set<string> }; dataDir: string; dispose(): void }

/** One host's preview ops (`host` names it in the config) over the given shell and docker client. */
export async function benchRig(o: { shell: SshHostShell; docker: DockerClient; baseDir: string; host?: string; dataDir?: string; config?: Record<string, unknown> }): Promise<BenchRig> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), "opsdeck-bench-"));
  const config = Previews.parse({
    host: o.host ?? "preview1", base_dir: o.baseDir, domain: "preview.test", url: "http://{hostname}:8080", image: env.images.busybox,
    quota: 500, min_free_disk_mb: 0, min_free_memory_mb: 0, health_timeout: "25s", dns_target: "127.0.0.1", ...o.config,
  });
  const redact = createRedactor();
  const log = createLogger({ level: "silent", redact });
  const store = await openStore(dataDir);
  const records = new Set<string>();
  const dns = { kind: "recording", records, async upsert(r: { name: string }) { records.add(r.name); }, async remove(name: string) { records.delete(name); } } as DnsProvider & { records: Set<string> };
  const ops = createPreviewOps({ config, host: o.shell, compose: createComposeClient(o.shell), docker: o.docker, dns, store, redact, templatePath: `${repoRoot}test/fixtures/preview-templates/healthy.yml`, baseDir: o.baseDir, log });
  return { ops, store, config, dns, dataDir, dispose: () => rmSync(dataDir, { recursive: true, force: true }) };
}
