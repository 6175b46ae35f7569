// End to end against the test sshd (127.0.0.1:2222, user opsdeck) and dockerd: /preview through
// the real router, ops, SSH host shell, compose v1 and dockerode.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { toSlug } from "../../src/ops/previews/slug.js";
import { env, leftovers, replyText } from "./preview-support.js";
import { usePreviewHost } from "../support/preview-host.js";
import { uniqueName } from "../support/test-env.js";

const { shell, docker, cleanups, rig, track } = usePreviewHost();

describe("/preview lifecycle", () => {
  it("deploys, lists, extends and destroys a preview; credentials never leave the host's .env", async () => {
    const r = await rig();
    const branch = `feature/add-metrics-${uniqueName("m")}`;
    const slug = toSlug(branch);
    track(r, slug);
    const dir = `${r.baseDir}/${slug}`;
    const all: unknown[] = [];

    const deployed = await r.send(`/preview ${branch} --ttl 2d`);
    all.push(deployed.messages);
    expect(deployed.final.status, JSON.stringify(deployed.final)).toMatch(/success|warning/);
    const url = `http://preview-${slug}.preview.test:8080`;
    expect(deployed.final.title).toContain(url);
    expect(deployed.final.fields?.find((f) => f.label === "URL")?.value).toBe(url);
    expect(deployed.final.fields?.find((f) => f.label === "Expires")?.value).toMatch(/^in 2 days \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/);
    expect(deployed.final.lines?.join("\n")).toContain(`Credentials are in ${dir}/.env on host preview1`);
    expect(deployed.final.buttons?.map((b) => b.command)).toEqual([`/preview destroy ${slug} --yes`, `/preview extend ${slug} 1d`]);
    // Progress was posted before the final reply.
    expect(deployed.messages.filter((m) => m.status === "progress").length).toBeGreaterThanOrEqual(5);

    // On the host: both services running with the label, app healthy, its own network and volume.
    const containers = await docker.listByLabel(`opsdeck.preview=${slug}`);
    expect(containers.map((c) => c.labels["com.docker.compose.service"]).sort()).toEqual(["app", "worker"]);
    expect(containers.every((c) => c.state === "running")).toBe(true);
    expect(containers.find((c) => c.labels["com.docker.compose.service"] === "app")?.health).toBe("healthy");
    expect(await docker.listNetworks(`opsdeck.preview=${slug}`)).toEqual([`preview-${slug}`]);
    expect(await docker.listVolumes(`opsdeck.preview=${slug}`)).toHaveLength(1);
    expect(r.dns.records.get(`preview-${slug}.preview.test`)).toMatchObject({ type: "A", content: "127.0.0.1" });

    // The .env: mode 600, generated credentials of 32 random bytes.
    expect((await shell.exec(["stat", "-c", "%a", `${dir}/.env`])).stdout.trim()).toBe("600");
    const envText = (await shell.readFile(`${dir}/.env`)) ?? "";
    const secrets = [...envText.matchAll(/^(DB_PASSWORD|APP_SECRET)=(.+)$/gm)].map((m) => m[2] as string);
    expect(secrets).toHaveLength(2);
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The container really got it from .env (compose interpolation).
    const app = containers.find((c) => c.labels["com.docker.compose.service"] === "app");
    const inContainer = await shell.exec(["docker", "exec", app?.id ?? "none", "sh", "-c", 'echo "$DB_PASSWORD"']);
    expect(inContainer.stdout.trim()).toBe(secrets[0]);

    // State: the record with branch, slug, commit, requester, created, updated, expires.
    const rec = r.h.store.read().previews.find((p) => p.slug === slug);
    expect(rec).toMatchObject({ branch, slug, ref: "latest", status: "running", requestedBy: "console:local", host: "preview1" });
    const ttl = Date.parse(rec?.expiresAt ?? "") - Date.now();
    expect(ttl).toBeGreaterThan(2 * 86_400_000 - 120_000);
    expect(ttl).toBeLessThanOrEqual(2 * 86_400_000);
    expect(r.h.store.read().operations.find((o) => o.kind === "preview.deploy" && o.target === slug)?.status).toBe("succeeded");

    // A second /preview of the same branch redeploys in place, keeping the credentials.
    const redeploy = await r.send(`/preview ${branch} --sha 3f2a9c1 --ttl 2d`);
    all.push(redeploy.messages);
    expect(redeploy.final.status, JSON.stringify(redeploy.final)).toMatch(/success|warning/);
    expect(redeploy.final.title).toContain("redeployed");
    expect(redeploy.final.fields?.find((f) => f.label === "Commit")?.value).toBe("3f2a9c1");
    expect((await shell.readFile(`${dir}/.env`)) ?? "").toContain(`DB_PASSWORD=${secrets[0]}`);
    expect(r.h.store.read().previews.find((p) => p.slug === slug)?.ref).toBe("3f2a9c1");

    const listed = await r.send("/preview list");
    all.push(listed.messages);
    const line = listed.final.lines?.find((l) => l.startsWith(slug)) ?? "";
    expect(line).toContain(url);
    expect(line).toMatch(/expires in 2 days \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    expect(line).toContain("running");

    const before = Date.parse(r.h.store.read().previews.find((p) => p.slug === slug)?.expiresAt ?? "");
    const extended = await r.send(`/preview extend ${branch} 1d`);
    all.push(extended.messages);
    expect(extended.final.status).toBe("success");
    const after = Date.parse(r.h.store.read().previews.find((p) => p.slug === slug)?.expiresAt ?? "");
    expect(after - before).toBeGreaterThanOrEqual(86_400_000 - 5_000);
    expect(after - before).toBeLessThanOrEqual(86_400_000 + 5_000);
    // Past max_ttl (14d default) it is capped.
    const capped = await r.send(`/preview extend ${slug} 14d`);
    all.push(capped.messages);
    expect(capped.final.lines?.join(" ")).toMatch(/Capped at the maximum lifetime of 14 days/);

    // Destroy without --yes asks, with a danger button carrying the exact command.
    const ask = await r.send(`/preview destroy ${branch}`);
    expect(ask.final.status).toBe("warning");
    expect(ask.final.buttons?.[0]).toMatchObject({ command: `/preview destroy ${slug} --yes`, style: "danger" });
    expect(await docker.listByLabel(`opsdeck.preview=${slug}`)).toHaveLength(2);

    for (const s of secrets) expect(r.h.redact(`x ${s} y`)).toBe("x [REDACTED] y");
    const knownBefore = r.h.redact.size;
    const destroyed = await r.send(`/preview destroy ${slug} --yes`);
    all.push(destroyed.messages);
    expect(destroyed.final.status).toBe("success");
    const removed = destroyed.final.lines?.join("\n") ?? "";
    expect(removed).toContain("containers:");
    expect(removed).toContain(`networks: preview-${slug}`);
    expect(removed).toContain("volumes:");
    expect(removed).toContain(`directory ${dir}`);
    expect(await leftovers(shell, docker, slug, dir)).toEqual([]);
    expect(r.dns.records.has(`preview-${slug}.preview.test`)).toBe(false);
    expect(r.h.store.read().previews.find((p) => p.slug === slug)).toBeUndefined();
    // Its credentials left the redactor with it: no cost per line for a preview that is gone.
    expect(r.h.redact.size).toBe(knownBefore - secrets.length);
    for (const s of secrets) expect(r.h.redact(`x ${s} y`)).toBe(`x ${s} y`);

    // A second destroy finds nothing: a failure naming the next step, and no lock file left.
    const again = await r.send(`/preview destroy ${slug} --yes`);
    expect(again.final).toMatchObject({ status: "failure", title: `no preview named ${slug}`, nextStep: "/preview list shows the live ones." });
    expect((await shell.exec(["ls", "-A", r.baseDir])).stdout.trim()).toBe("");

    // No credential anywhere: replies, log, state file, audit trail.
    const everywhere = [replyText(all as never), r.h.logText(), readFileSync(r.h.store.path, "utf8"), r.h.auditText()].join("\n");
    for (const s of secrets) {
      expect(everywhere).not.toContain(s);
      expect(everywhere).not.toContain(Buffer.from(s).toString("base64"));
    }
  });

  it("never lets a malicious branch reach a host command (canary files stay absent)", async () => {
    const r = await rig();
    const canary = `/tmp/${uniqueName("opsdeck-canary")}`;
    const branches = [`$(touch\${IFS}${canary}-a)`, `\`touch\${IFS}${canary}-b\``, `a;touch\${IFS}${canary}-c`, `a|touch\${IFS}${canary}-d&&x`];
    const slugs = branches.map((b) => toSlug(b));
    for (const slug of slugs) track(r, slug); // cleaned up in afterAll even when an assertion fails
    const results = await Promise.all(branches.map((b) => r.send(`/preview ${b}`)));
    for (const [i, res] of results.entries()) {
      expect(res.final.status, `${branches[i]}: ${JSON.stringify(res.final)}`).toMatch(/success|warning/);
      const slug = res.final.fields?.find((f) => f.label === "Slug")?.value ?? "";
      expect(slug).toBe(slugs[i]);
      expect(slug).toMatch(/^[a-z0-9-]{1,63}$/);
      // The branch is echoed escaped, never raw.
      expect(res.final.fields?.find((f) => f.label === "Branch")?.value).not.toMatch(/(^|[^\\])`/);
    }
    // Refused before anything runs.
    for (const bad of ["../../etc", `-${"x"}`, "a".repeat(500), "!!!", "ü😀"]) {
      const res = await r.send(`/preview ${bad}`);
      expect(res.final.status, bad).toBe("failure");
      expect(res.final.nextStep?.length).toBeGreaterThan(0);
    }
    // A line break never gets past the router; the op refuses it too when called directly.
    await expect(r.ops.deploy({ branch: "a\nb", actor: { platform: "console", id: "local", name: "local" } }, async () => {})).rejects.toThrow(/line break/);

    const listed = await r.ops.list();
    const gone = await Promise.all(listed.previews.map((p) => r.send(`/preview destroy ${p.slug} --yes`)));
    for (const d of gone) expect(d.final.status).toBe("success");
    for (const suffix of ["a", "b", "c", "d"]) {
      expect((await shell.exec(["test", "-e", `${canary}-${suffix}`], { allowFailure: true })).code).toBe(1);
    }
    expect((await shell.exec(["sh", "-c", 'ls /tmp | grep -c "$1" || true', "sh", canary.slice(5)])).stdout.trim()).toBe("0");
  });

  it("names the failing service with a redacted log tail, and leaves nothing behind", async () => {
    const r = await rig({ template: "never-healthy.yml", config: { health_timeout: "40s" } });
    const branch = `broken/${uniqueName("h")}`;
    const slug = toSlug(branch);
    track(r, slug);
    const res = await r.send(`/preview ${branch}`);
    expect(res.final.status).toBe("failure");
    expect(res.final.title).toBe(`preview ${slug} failed: service app became unhealthy; everything it created was removed`);
    expect(res.final.nextStep).toContain("log tail of app");
    expect(res.final.code).toContain("booting with DB_PASSWORD [REDACTED]");
    expect(res.final.code).toContain("raw [REDACTED] end");
    expect(await leftovers(shell, docker, slug, `${r.baseDir}/${slug}`)).toEqual([]);
    expect(r.dns.records.size).toBe(0);
    expect(r.dns.calls).toEqual([`upsert preview-${slug}.preview.test`, `remove preview-${slug}.preview.test`]);
    expect(r.h.store.read().previews).toEqual([]);
    const op = r.h.store.read().operations.find((o) => o.target === slug);
    expect(op?.status).toBe("failed");
    expect(r.h.auditText()).toContain("became unhealthy");
  });

  it("refuses when free disk or memory is below the minimum, before touching anything", async () => {
    // base_dir given as ~/… is resolved against the SSH user's $HOME.
    const name = uniqueName("pvdisk");
    expect(env.previewsDir).toBe("/home/opsdeck/previews");
    cleanups.push({ slugs: [], baseDir: `${env.previewsDir}/${name}` });
    const disk = await rig({ config: { min_free_disk_mb: 1_000_000_000 }, baseDir: `~/previews/${name}` });
    const res = await disk.send(`/preview ${uniqueName("disk")}`);
    expect(res.final.status).toBe("failure");
    expect(res.final.title).toMatch(new RegExp(`^host preview1 has \\d+ MB of free disk under ${env.previewsDir}/${name}; a preview needs at least 1000000000 MB$`));
    expect(disk.h.store.read().previews).toEqual([]);
    expect(disk.h.store.read().operations[0]?.status).toBe("failed");

    const mem = await rig({ config: { min_free_memory_mb: 1_000_000_000 } });
    const res2 = await mem.send(`/preview ${uniqueName("mem")}`);
    expect(res2.final.title).toMatch(/^host preview1 has \d+ MB of memory available; a preview needs at least 1000000000 MB$/);
    expect((await shell.exec(["ls", "-A", mem.baseDir])).stdout.trim()).toBe("");
  });

  it("checks the template before reserving anything", async () => {
    const r = await rig({ template: "unlabelled-volume.yml" });
    const res = await r.send(`/preview ${uniqueName("tpl")}`);
    expect(res.final.title).toBe('volume "data" in the preview template has no opsdeck.preview label');
    expect(r.h.store.read().operations).toEqual([]);
    expect((await shell.exec(["test", "-e", r.baseDir], { allowFailure: true })).code).toBe(1);
  });
});

describe("test environment", () => {
  it("uses the loopback sshd", () => {
    expect(env.sshHost).toBe("127.0.0.1");
  });
});
