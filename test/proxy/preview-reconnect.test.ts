// Routes survive a restart of the preview host: a preview deployed through a private sshd (that
// this test kills and restarts) behind a Caddy this test owns; Caddy restarts (routes gone), the
// sshd is killed and restarted, and the next command over the shell reconnects, which re-applies
// the route (reconcileOnReconnect, as src/wiring/previews.ts wires it) without restarting opsdeck.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaddyProxy } from "../../src/config/proxy-config.js";
import { createCaddyAdminRequest } from "../../src/ops/adapters/caddy-admin-request.js";
import { createCaddyProxyClient } from "../../src/ops/adapters/caddy-proxy-client.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { reconcileOnReconnect } from "../../src/ops/previews/reconcile-on-reconnect.js";
import { toSlug } from "../../src/ops/previews/slug.js";
import { env, forceClean, makeDocker, makeRig } from "../previews/preview-support.js";
import { until } from "../reliability/bot-rig.js";
import { privateSshd, type PrivateSshd } from "../reliability/fault-helpers.js";
import { uniqueName } from "../support/test-env.js";
import { curlPreview, startOwnCaddy, type OwnCaddy } from "./caddy-support.js";

let tmp: string;
let sshd: PrivateSshd;
let sshdUp = false;
let shell: SshHostShell;
let docker: DockerClient;
let own: OwnCaddy | undefined;
const cleanup: { slugs: string[]; baseDir?: string } = { slugs: [] };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "opsdeck-reconnect-"));
  sshd = await privateSshd(tmp);
  await restartSshd();
  shell = createSshHostShell({ name: "preview1", address: "127.0.0.1", port: sshd.port, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
  docker = makeDocker(shell);
});

/** SIGKILL the private sshd (if up) and start it again. */
async function restartSshd(): Promise<void> {
  sshd.kill();
  sshdUp = false;
  await sshd.start();
  sshdUp = true;
}

afterAll(async () => {
  if (!sshdUp) await sshd.start().catch(() => undefined); // a test left it killed: clean up through it
  if (cleanup.baseDir) await forceClean(shell, docker, cleanup.slugs, cleanup.baseDir);
  await own?.stop();
  await docker.close();
  await shell.close();
  sshd.kill();
  rmSync(tmp, { recursive: true, force: true });
});

async function adminConfig(admin: string): Promise<string> {
  const call = createCaddyAdminRequest({ admin, ssh: shell });
  try {
    return JSON.stringify((await call("GET", "/config/")).body);
  } finally {
    call.close();
  }
}

describe("preview routes after the preview host's sshd restarts (real sshd, dockerd, Caddy)", () => {
  it("onReconnect fires once for a new connection after the old one was lost, not for the first one", async () => {
    const other = createSshHostShell({ name: "preview1", address: "127.0.0.1", port: sshd.port, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 30_000 });
    let fired = 0;
    const stop = other.onReconnect(() => {
      fired += 1;
    });
    try {
      expect((await other.exec(["echo", "first"])).stdout.trim()).toBe("first");
      await other.exec(["true"]);
      await new Promise((r) => setTimeout(r, 200));
      expect(fired).toBe(0);

      await restartSshd();
      expect((await other.exec(["echo", "again"])).stdout.trim()).toBe("again");
      await until("the reconnect listener", () => fired > 0, 5_000);
      await other.exec(["true"]);
      await new Promise((r) => setTimeout(r, 200));
      expect(fired).toBe(1);

      stop();
      await restartSshd();
      await other.exec(["true"]);
      await new Promise((r) => setTimeout(r, 200));
      expect(fired).toBe(1);
    } finally {
      await other.close();
    }
  }, 60_000);

  it("Caddy restarted and sshd killed and restarted: the next command over the shell brings the route back", async () => {
    own = await startOwnCaddy(`${env.previewsDir}/${uniqueName("caddy")}`, env.sshUser);
    const config = CaddyProxy.parse({ driver: "caddy", admin: own.admin, server: "srv0", tls: "internal", https_port: own.httpsPort });
    const proxy = createCaddyProxyClient({ config, domain: "preview.test", ssh: shell });
    const r = await makeRig({ shell, docker, config: { entry: { service: "app", port: 8080 }, proxy: config, url: "https://{hostname}" }, extra: { proxy } });
    cleanup.baseDir = r.baseDir;
    const branch = `feature/${uniqueName("rc")}`;
    const slug = toSlug(branch);
    cleanup.slugs.push(slug);
    const hostname = `preview-${slug}.preview.test`;
    const stop = reconcileOnReconnect([shell], () => r.ops.reconcile(), { log: r.h.log, redact: r.h.redact });
    try {
      const deployed = await r.send(`/preview ${branch}`);
      expect(deployed.final.status, JSON.stringify(deployed.final)).toMatch(/success|warning/);
      expect((await curlPreview(hostname, own.httpsPort, own.rootCert)).status).toBe(200);

      await own.restart();
      expect(await adminConfig(own.admin)).not.toContain(`opsdeck-preview-${slug}`);
      await restartSshd();
      await shell.exec(["true"]); // any command: it opens the new connection
      await until("the route put back", async () => (await adminConfig(own!.admin)).includes(`"@id":"opsdeck-preview-${slug}"`), 30_000, 250);
      const back = await curlPreview(hostname, own.httpsPort, own.rootCert);
      expect(back, back.stderr).toMatchObject({ status: 200 });
      expect(back.body).toContain("opsdeck-test busybox");

      expect((await r.send(`/preview destroy ${slug} --yes`)).final.status).toBe("success");
    } finally {
      stop();
      await proxy.close();
    }
  }, 150_000);
});
