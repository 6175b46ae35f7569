import { describe, expect, it } from "vitest";
import { Hetzner, resolveInfraEnv } from "../../src/config/infra-config.js";

describe("Hetzner config", () => {
  it("fills defaults and resolves per-env overrides", () => {
    const cfg = Hetzner.parse({ envs: { preprod: { hostname: "preprod.example.com", server_type: "cx32", labels: { team: "web" } } } });
    expect(cfg).toMatchObject({ api_token_env: "HCLOUD_TOKEN", api_url: "https://api.hetzner.cloud/v1", location: "nbg1", server_type: "cx22", image: "debian-12", name_prefix: "opsdeck-preview", snapshot_retention: 3, action_timeout: 900_000 });
    expect(resolveInfraEnv(cfg, "preprod")).toEqual({
      env: "preprod",
      serverName: "opsdeck-preview-preprod",
      serverType: "cx32",
      location: "nbg1",
      image: "debian-12",
      hostname: "preprod.example.com",
      labels: { "managed-by": "opsdeck", team: "web" },
    });
    expect(resolveInfraEnv(cfg, "staging")).toBeUndefined();
  });

  it.each([
    [{ name_prefix: "Bad_Prefix" }, "name_prefix"],
    [{ name_prefix: "x;rm" }, "name_prefix"],
    [{ api_token_env: "hcloud-token" }, "api_token_env"],
    [{ labels: { "hetzner.cloud/x": "y" } }, "labels"],
    [{ labels: { "opsdeck-env": "y" } }, "labels"],
    [{ labels: { ok: "has space" } }, "labels"],
    [{ snapshot_retention: 0 }, "snapshot_retention"],
    [{ envs: { "../etc": {} } }, "envs"],
    [{ envs: { preprod: { hostname: "bad host" } } }, "envs"],
    [{ envs: { preprod: { image: "$(id)" } } }, "envs"],
    [{ api_url: "ftp://example.com" }, "api_url"],
    [{ action_timeout: "soon" }, "action_timeout"],
    [{ unknown_key: 1 }, ""],
  ])("rejects %j naming the key", (input, key) => {
    const result = Hetzner.safeParse(input);
    expect(result.success).toBe(false);
    if (!result.success) expect(String(result.error.issues[0]?.path[0] ?? "")).toBe(key);
  });
});
