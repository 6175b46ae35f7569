// Builds the real /infra stack for tests: Hetzner client and Cloudflare DNS (real SDK) against
// loopback fakes, a real store in a temp dir, and the real router with audit, metrics, redactor.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRouter, type Router } from "../../src/bot/router.js";
import { Hetzner } from "../../src/config/infra-config.js";
import type { Access } from "../../src/config/schema.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";
import { createMetrics } from "../../src/core/metrics.js";
import { Secret } from "../../src/core/secret.js";
import { splitCommand } from "../../src/core/validate.js";
import { createInfraHandler } from "../../src/handlers/infra.js";
import type { InfraDownApproval } from "../../src/ops/infra/create-infra-down-approval.js";
import { createCloudflareDns } from "../../src/ops/adapters/cloudflare-dns.js";
import { createHetznerClient, type HetznerClient } from "../../src/ops/adapters/hetzner-client.js";
import { createInfraOps, type InfraOps } from "../../src/ops/infra/create-infra-ops.js";
import type { InfraDeps } from "../../src/ops/infra/infra-deps.js";
import { openStore, type Store } from "../../src/store/store.js";
import { captureLog, type CapturedLog } from "../fakes/capture-log.js";
import { startFakeCloudflare, type FakeCloudflare } from "../fakes/fake-cloudflare-api.js";
import { startFakeHetzner, type FakeHetzner, type FakeHetznerOptions } from "../fakes/fake-hetzner-api.js";

export const admin: Actor = { platform: "console", id: "local", name: "local" };
export const deployer: Actor = { platform: "slack", id: "T1/U1", name: "dora" };
export const stranger: Actor = { platform: "slack", id: "T1/U9", name: "eve" };

export interface InfraWorld {
  hetznerFake: FakeHetzner;
  cloudflareFake: FakeCloudflare;
  hetzner: HetznerClient;
  store: Store;
  deps: InfraDeps;
  ops: InfraOps;
  router: Router;
  captured: CapturedLog;
  auditPath: string;
  hcloudToken: string;
  cfToken: string;
  send(text: string, actor?: Actor): Promise<{ final: Reply; messages: Reply[] }>;
  close(): Promise<void>;
}

export async function createInfraWorld(options: { approvals?: InfraDownApproval; hetzner?: Partial<FakeHetznerOptions>; config?: Record<string, unknown> } = {}): Promise<InfraWorld> {
  const hcloudToken = `hc-${randomBytes(16).toString("hex")}`;
  const cfToken = `cf-${randomBytes(16).toString("hex")}`;
  const hetznerFake = await startFakeHetzner({ token: hcloudToken, ...options.hetzner });
  const cloudflareFake = await startFakeCloudflare({ token: cfToken, zones: [{ id: "zone-ex", name: "example.com" }] });
  const captured = captureLog([hcloudToken, cfToken]);
  const dataDir = mkdtempSync(join(tmpdir(), "opsdeck-infra-"));
  const store = await openStore(dataDir);
  const config = Hetzner.parse({
    api_url: hetznerFake.baseUrl,
    name_prefix: "opsdeck-preview",
    snapshot_retention: 2,
    ssh_keys: ["deploy"],
    action_timeout: "20s",
    envs: { preprod: { hostname: "preprod.example.com" }, staging: { server_type: "cx32" } },
    ...options.config,
  });
  const hetzner = createHetznerClient({ baseUrl: config.api_url, token: new Secret(hcloudToken), log: captured.log, tokenEnvName: config.api_token_env, pollMs: 5, retry: { minDelayMs: 5, maxDelayMs: 20 } });
  const dns = createCloudflareDns({ apiToken: new Secret(cfToken), zone: "example.com", baseURL: cloudflareFake.baseURL, log: captured.log, retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } });
  const deps: InfraDeps = { hetzner, dns, store, config, dnsRecord: { proxied: true, ttl: 1 }, log: captured.log };
  const ops = createInfraOps(deps);
  const access: Access = { roles: { admin: ["console:local"], deployer: ["slack:T1/U1"] }, rules: { infra: ["deployer"] } };
  const auditPath = join(dataDir, "audit.jsonl");
  const handler = createInfraHandler({ ...deps, access, ops, ...(options.approvals ? { approvals: options.approvals } : {}) });
  const router = createRouter({ handlers: [handler], authorize: createAuthorize(access), audit: createAuditLog(auditPath, captured.redact), log: captured.log, metrics: createMetrics(), redact: captured.redact, store });

  return {
    hetznerFake,
    cloudflareFake,
    hetzner,
    store,
    deps,
    ops,
    router,
    captured,
    auditPath,
    hcloudToken,
    cfToken,
    async send(text, actor = admin) {
      const messages: Reply[] = [];
      const { name, args } = splitCommand(text);
      const command: Command = {
        name,
        args,
        text,
        actor,
        channelId: "C-test",
        respond: async (r) => void messages.push(r),
        update: async (r) => void messages.push(r),
      };
      const final = await router.dispatch(command);
      return { final, messages };
    },
    async close() {
      await hetznerFake.close();
      await cloudflareFake.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
