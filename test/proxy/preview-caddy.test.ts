// /preview through the real router, ops, SSH host shell, dockerd and Caddy: the route
// preview-<slug>.preview.test → the entry service, TLS from Caddy's local CA, removed on destroy,
// put back by reconcile after a Caddy restart (a second Caddy this test owns), basic auth.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaddyProxy } from "../../src/config/proxy-config.js";
import { createCaddyProxyClient } from "../../src/ops/adapters/caddy-proxy-client.js";
import { createCaddyAdminRequest } from "../../src/ops/adapters/caddy-admin-request.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { toSlug } from "../../src/ops/previews/slug.js";
import { env, forceClean, leftovers, makeDocker, makeRig, makeShell, replyText, type PreviewRig } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { curlPreview, startOwnCaddy, type OwnCaddy } from "./caddy-support.js";

const caddy = env.caddy;
if (!caddy) throw new Error("env.json has no caddy section: run bash scripts/test-setup.sh");
let shell: SshHostShell;
let docker: DockerClient;
const cleanups: Array<{ slugs: string[]; baseDir: string }> = [];
const owned: OwnCaddy[] = [];

beforeAll(() => {
  shell = makeShell();
  docker = makeDocker(shell);
});

afterAll(async () => {
  for (const c of cleanups) await forceClean(shell, docker, c.slugs, c.baseDir);
  for (const c of owned) await c.stop();
  await docker.close();
  await shell.close();
});

async function rig(proxy: Record<string, unknown>, admin: string): Promise<PreviewRig> {
  const config = CaddyProxy.parse({ driver: "caddy", admin, server: "srv0", tls: "internal", ...proxy });
  const client = createCaddyProxyClient({ config, domain: "preview.test", ssh: shell });
  const r = await makeRig({ shell, docker, config: { entry: { service: "app", port: 8080 }, proxy: config, url: "https://{hostname}" }, extra: { proxy: client } });
  cleanups.push({ slugs: [], baseDir: r.baseDir });
  return r;
}

async function adminConfig(admin: string): Promise<string> {
  const call = createCaddyAdminRequest({ admin, ssh: shell });
  try {
    return JSON.stringify((await call("GET", "/config/")).body);
  } finally {
    call.close();
  }
}

function branchAndSlug(r: PreviewRig, prefix: string): { branch: string; slug: string; hostname: string } {
  const branch = `feature/${uniqueName(prefix)}`;
  const slug = toSlug(branch);
  cleanups.find((c) => c.baseDir === r.baseDir)?.slugs.push(slug);
  return { branch, slug, hostname: `preview-${slug}.preview.test` };
}

describe("previews behind Caddy (real sshd, dockerd, Caddy)", () => {
  it("serves the preview over https with Caddy's local CA; destroy removes exactly its route", async () => {
    const admin = `unix/${caddy.adminSocket}`;
    const r = await rig({ https_port: caddy.httpsPort }, admin);
    const { branch, slug, hostname } = branchAndSlug(r, "x");

    const deployed = await r.send(`/preview ${branch}`);
    expect(deployed.final.status, JSON.stringify(deployed.final)).toMatch(/success|warning/);
    const page = await curlPreview(hostname, caddy.httpsPort, caddy.rootCert);
    expect(page, page.stderr).toMatchObject({ code: 0, status: 200 });
    expect(page.body).toContain("opsdeck-test busybox");
    expect(await adminConfig(admin)).toContain(`"@id":"opsdeck-preview-${slug}"`);
    expect((await r.send("/preview list")).final.lines?.find((l) => l.startsWith(slug))).not.toContain("route missing");

    const destroyed = await r.send(`/preview destroy ${slug} --yes`);
    expect(destroyed.final.status, JSON.stringify(destroyed.final)).toBe("success");
    expect(replyText([destroyed.final])).toContain(`route ${hostname}`);
    expect(await adminConfig(admin)).not.toContain(`opsdeck-preview-${slug}`);
    const after = await curlPreview(hostname, caddy.httpsPort, caddy.rootCert);
    // No route: Caddy has no certificate for the name any more (TLS alert) or answers without the page.
    expect(after.code !== 0 || after.status >= 400).toBe(true);
    expect(after.body).not.toContain("opsdeck-test busybox");
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
  }, 90_000);

  it("a route that cannot be added fails the deploy and removes everything it made", async () => {
    const r = await rig({ https_port: caddy.httpsPort }, `unix/${env.previewsDir}/no-such-caddy.sock`);
    const { branch, slug } = branchAndSlug(r, "nocaddy");
    const res = await r.send(`/preview ${branch}`);
    expect(res.final.status).toBe("failure");
    expect(replyText([res.final])).toMatch(/routing preview-.* through the proxy failed/);
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
    expect(r.h.store.read().previews.find((p) => p.slug === slug)).toBeUndefined();
  }, 90_000);

  it("after a Caddy restart, list shows the route missing and reconcile puts it back; orphan routes are shown and removed", async () => {
    const own = await startOwnCaddy(`${env.previewsDir}/${uniqueName("caddy")}`, env.sshUser);
    owned.push(own);
    const r = await rig({ https_port: own.httpsPort, basic_auth: true }, own.admin);
    const { branch, slug, hostname } = branchAndSlug(r, "rs");
    const deployed = await r.send(`/preview ${branch}`);
    expect(deployed.final.status, JSON.stringify(deployed.final)).toMatch(/success|warning/);

    // Basic auth: the password is only in the .env (mode 600); without it 401, with it the page.
    const dir = `${r.baseDir}/${slug}`;
    expect((await shell.exec(["stat", "-c", "%a", `${dir}/.env`])).stdout.trim()).toBe("600");
    const password = /^PREVIEW_BASIC_AUTH_PASSWORD=(.+)$/m.exec((await shell.readFile(`${dir}/.env`)) ?? "")?.[1] ?? "";
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(replyText(deployed.messages)).not.toContain(password);
    expect(await adminConfig(own.admin)).not.toContain(password);
    expect((await curlPreview(hostname, own.httpsPort, own.rootCert)).status).toBe(401);
    const authed = await curlPreview(hostname, own.httpsPort, own.rootCert, ["-u", `preview:${password}`]);
    expect(authed, authed.stderr).toMatchObject({ status: 200 });

    await own.restart();
    expect(await adminConfig(own.admin)).not.toContain(`opsdeck-preview-${slug}`);
    const listed = await r.send("/preview list");
    expect(listed.final.lines?.find((l) => l.startsWith(slug))).toContain("route missing");
    // An opsdeck route no preview owns (e.g. left by a crash) is listed as an orphan.
    const ghost = createCaddyProxyClient({ config: CaddyProxy.parse({ driver: "caddy", admin: own.admin, https_port: own.httpsPort }), domain: "preview.test", ssh: shell });
    await ghost.putRoute({ id: "opsdeck-preview-ghost", hostname: "preview-ghost.preview.test", upstream: "127.0.0.1:9" });
    await ghost.close();
    expect((await r.send("/preview list")).final.lines?.join("\n")).toContain("preview-ghost.preview.test · orphan route");

    const report = await r.ops.reconcile();
    expect(report.routes).toEqual({ restored: [hostname], removed: ["preview-ghost.preview.test"], failed: [] });
    const back = await curlPreview(hostname, own.httpsPort, own.rootCert, ["-u", `preview:${password}`]);
    expect(back, back.stderr).toMatchObject({ status: 200 });
    expect(back.body).toContain("opsdeck-test busybox");
    expect(await adminConfig(own.admin)).not.toContain("opsdeck-preview-ghost");

    expect((await r.send(`/preview destroy ${slug} --yes`)).final.status).toBe("success");
    expect(await adminConfig(own.admin)).not.toContain(`opsdeck-preview-${slug}`);
  }, 120_000);
});
