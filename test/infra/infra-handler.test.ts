// /infra through the real router, handler, operations, Hetzner client and Cloudflare SDK, against
// loopback fakes of both APIs.
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pendingDnsDeletionsOf } from "../../src/ops/dns/pending-deletions.js";
import { admin, createInfraWorld, deployer, stranger, type InfraWorld } from "./infra-world.js";

let w: InfraWorld;

beforeEach(async () => {
  w = await createInfraWorld();
});

afterEach(async () => {
  const logged = w.captured.lines.join("") + readFileSync(w.auditPath, "utf8");
  await w.close();
  expect(logged).not.toContain(w.hcloudToken);
  expect(logged).not.toContain(w.cfToken);
  w.hetznerFake.assertNoProblems();
  w.cloudflareFake.assertNoProblems();
});

describe("/infra up", () => {
  it("creates the env's server from the base image and points its hostname at it", async () => {
    const { final, messages } = await w.send("/infra up preprod");
    expect(final.status).toBe("success");
    expect(messages[0]?.status).toBe("progress");
    const servers = w.hetznerFake.servers();
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ name: "opsdeck-preview-preprod", serverType: "cx22", location: "nbg1", image: "debian-12", status: "running", labels: { "managed-by": "opsdeck", "opsdeck-env": "preprod" } });
    expect(w.cloudflareFake.records()).toEqual([expect.objectContaining({ name: "preprod.example.com", type: "A", content: servers[0]?.ipv4, proxied: true })]);
    expect(final.lines?.join(" ")).toContain("built from image debian-12");
    expect(w.store.read().operations).toEqual([expect.objectContaining({ kind: "infra.up", target: "preprod", actor: "console:local", status: "succeeded" })]);
  });

  it("a second /infra up is refused by the single-server guard, for any env", async () => {
    expect((await w.send("/infra up preprod")).final.status).toBe("success");
    for (const env of ["preprod", "staging"]) {
      const { final } = await w.send(`/infra up ${env}`, deployer);
      expect(final.status).toBe("failure");
      expect(final.title).toMatch(/a server with the prefix opsdeck-preview already exists: opsdeck-preview-preprod/);
      expect(final.nextStep).toContain("/infra down preprod");
    }
    expect(w.hetznerFake.servers()).toHaveLength(1);
    expect(w.hetznerFake.seen.filter((s) => s.startsWith("POST /v1/servers"))).toHaveLength(1);
  });

  it("two concurrent /infra up commands create one server", async () => {
    const results = await Promise.all([w.send("/infra up preprod"), w.send("/infra up staging")]);
    expect(results.map((r) => r.final.status).sort()).toEqual(["failure", "success"]);
    expect(results.find((r) => r.final.status === "failure")?.final.title).toMatch(/another \/infra operation is running/);
    expect(w.hetznerFake.servers()).toHaveLength(1);
  });

  it("a server with the prefix made by hand also blocks it", async () => {
    w.hetznerFake.addServer({ name: "opsdeck-preview-manual" });
    const { final } = await w.send("/infra up preprod");
    expect(final.title).toMatch(/already exists: opsdeck-preview-manual/);
  });
});

describe("/infra snapshot and status", () => {
  it("takes a golden snapshot with retention and shows servers, cost and snapshots", async () => {
    await w.send("/infra up preprod");
    const labels = { "opsdeck-env": "preprod", "opsdeck-role": "golden" };
    w.hetznerFake.addSnapshot({ created: "2026-01-01T00:00:00+00:00", labels });
    const keep = w.hetznerFake.addSnapshot({ created: "2026-02-01T00:00:00+00:00", labels });
    const staging = w.hetznerFake.addSnapshot({ created: "2025-01-01T00:00:00+00:00", labels: { "opsdeck-env": "staging", "opsdeck-role": "golden" } });

    const { final } = await w.send("/infra snapshot preprod", deployer);
    expect(final.status).toBe("success");
    const snaps = w.hetznerFake.snapshots();
    // retention 2: the new one and the newest old one stay; the oldest preprod one is gone; staging untouched
    expect(snaps.map((s) => s.id).sort()).toEqual([keep.id, staging.id, Math.max(...snaps.map((s) => s.id))].sort());
    const fresh = snaps.find((s) => s.description.startsWith("opsdeck golden preprod"));
    expect(fresh).toMatchObject({ status: "available", labels: { "managed-by": "opsdeck", ...labels } });

    const status = await w.send("/infra status", stranger);
    expect(status.final.status).toBe("failure"); // not a known user
    const { final: shown } = await w.send("/infra status", deployer);
    expect(shown.title).toBe("Infra: 1 server(s), 3 golden snapshot(s)");
    expect(shown.fields?.[0]).toEqual({ label: "opsdeck-preview-preprod", value: expect.stringMatching(/^preprod · cx22 in nbg1 · 203\.0\.113\.\d+ · running · 4\.51 EUR\/month · up \d+m?s$/) });
    expect(shown.lines).toContain("Running cost: 4.51 EUR/month");
  });

  it("status still answers when the price lookup fails", async () => {
    await w.send("/infra up staging");
    w.hetznerFake.script({ method: "GET", path: /^\/v1\/pricing$/, status: 500, times: 5 });
    const { final } = await w.send("/infra status");
    expect(final.fields?.[0]?.value).toMatch(/^staging · cx32 in nbg1 · .* · price unknown · up /);
  });

  it("snapshot of an env without a server says how to start it", async () => {
    const { final } = await w.send("/infra snapshot preprod");
    expect(final.title).toBe("no server for preprod (expected opsdeck-preview-preprod)");
    expect(final.nextStep).toContain("/infra up preprod");
  });
});

describe("/infra down", () => {
  it("asks for approval first, then snapshots before deleting and removes DNS", async () => {
    await w.send("/infra up preprod");
    const [server] = w.hetznerFake.servers();

    const ask = await w.send("/infra down preprod");
    expect(ask.final.status).toBe("warning");
    expect(ask.final.buttons).toEqual([expect.objectContaining({ command: "/infra down preprod --yes", style: "danger" })]);
    expect(ask.final.lines?.join("\n")).toMatch(/4\.51 EUR\/month[\s\S]*Golden snapshot[\s\S]*preprod\.example\.com/);
    expect(w.hetznerFake.servers()).toHaveLength(1);

    const denied = await w.send("/infra down preprod --yes", deployer);
    expect(denied.final.status).toBe("failure");
    expect(denied.final.title).toMatch(/limited to admins/);
    expect(w.hetznerFake.servers()).toHaveLength(1);

    const forged = await w.send("/infra down preprod --approved-by-button", deployer);
    expect(forged.final.title).toMatch(/unexpected argument "--approved-by-button"/);
    expect(w.hetznerFake.servers()).toHaveLength(1);

    const before = w.hetznerFake.seen.length;
    const done = await w.send(ask.final.buttons?.[0]?.command ?? "");
    expect(done.final.status).toBe("success");
    const calls = w.hetznerFake.seen.slice(before).filter((s) => !s.startsWith("GET"));
    expect(calls).toEqual([`POST /v1/servers/${server?.id}/actions/create_image`, `DELETE /v1/servers/${server?.id}`]);
    expect(w.hetznerFake.servers()).toEqual([]);
    expect(w.hetznerFake.snapshots()).toEqual([expect.objectContaining({ status: "available", labels: expect.objectContaining({ "opsdeck-env": "preprod", "opsdeck-role": "golden" }) })]);
    expect(w.cloudflareFake.records()).toEqual([]);

    // up again: built from the golden snapshot
    const up = await w.send("/infra up preprod");
    expect(up.final.lines?.join(" ")).toContain(`built from snapshot ${w.hetznerFake.snapshots()[0]?.id}`);
    expect(w.hetznerFake.servers()[0]?.image).toBe(String(w.hetznerFake.snapshots()[0]?.id));
  });

  it("a failed snapshot deletes nothing", async () => {
    await w.send("/infra up preprod");
    w.hetznerFake.failNextAction("create_image", { code: "action_failed", message: "snapshot failed" });
    const { final } = await w.send("/infra down preprod --yes");
    expect(final.status).toBe("failure");
    expect(final.title).toMatch(/create_image .* failed: action_failed — snapshot failed/);
    expect(w.hetznerFake.servers()).toHaveLength(1);
    expect(w.cloudflareFake.records()).toHaveLength(1);
    expect(w.store.read().operations.at(-1)).toMatchObject({ kind: "infra.down", status: "failed" });
  });

  it("DNS down during down: the deletion is queued, not dropped", async () => {
    await w.send("/infra up preprod");
    w.cloudflareFake.script({ path: /dns_records/, status: 500, times: 2 });
    const { final } = await w.send("/infra down preprod --yes");
    expect(final.status).toBe("warning");
    expect(final.lines?.join(" ")).toMatch(/queued and retried by the next cleanup sweep/);
    expect(w.hetznerFake.servers()).toEqual([]);
    expect(pendingDnsDeletionsOf(w.store.read())).toEqual([expect.objectContaining({ name: "preprod.example.com", owner: "infra preprod" })]);
    const status = await w.send("/infra status");
    expect(status.final.lines?.join(" ")).toMatch(/DNS delete pending for preprod\.example\.com/);
  });

  it("the operation itself refuses to run without approved: true", async () => {
    await w.send("/infra up preprod");
    await expect(w.ops.down("preprod", { actor: "console:local", approved: false })).rejects.toThrow(/needs an approval/);
    expect(w.hetznerFake.servers()).toHaveLength(1);
  });
});

describe("/infra down with an approvals hook", () => {
  it("opens a request, ignores --yes and has no button flag: decisions go through the approval desk", async () => {
    await w.close();
    const requestedBy: string[] = [];
    w = await createInfraWorld({
      approvals: {
        request: async ({ command, env, description }) => {
          requestedBy.push(command.actor.id);
          return { status: "info", title: `approval requested for ${env}`, lines: description.lines };
        },
      },
    });
    await w.send("/infra up preprod");
    expect((await w.send("/infra down preprod")).final.title).toBe("approval requested for preprod");
    expect((await w.send("/infra down preprod --yes")).final.title).toMatch(/needs an approval/);
    expect((await w.send("/infra down preprod --approved-by-button", deployer)).final.title).toMatch(/unexpected argument "--approved-by-button"/);
    expect(w.hetznerFake.servers()).toHaveLength(1);
    expect(requestedBy).toEqual([admin.id]);
  });
});

describe("bad input", () => {
  it.each([
    ["/infra up ../etc", /not a valid environment name/],
    ["/infra up a;rm", /not a valid environment name/],
    ["/infra up $(reboot)", /not a valid environment name/],
    ["/infra up prod", /unknown environment "prod"/],
    ["/infra up -rf", /got the option "-rf"/],
    ["/infra up", /needs an environment/],
    ["/infra frobnicate", /unknown \/infra subcommand/],
    ["/infra down preprod --force", /unexpected argument "--force"/],
    ["/infra up preprod --yes", /unexpected argument "--yes"/],
    ["/infra status now", /takes no arguments/],
  ])("%s → a clear error and no API call", async (text, title) => {
    const { final } = await w.send(text);
    expect(final.status).toBe("failure");
    expect(final.title).toMatch(title);
    expect(final.nextStep).toBeTruthy();
    expect(w.hetznerFake.seen).toEqual([]);
  });

  it("an env name too long for a server name is a config error", async () => {
    await w.close();
    w = await createInfraWorld({ config: { name_prefix: "p".repeat(31), envs: { ["e".repeat(32)]: {} } } });
    const { final } = await w.send(`/infra up ${"e".repeat(32)}`);
    expect(final.title).toMatch(/is not a valid host name/);
    expect(w.hetznerFake.seen).toEqual([]);
  });
});
