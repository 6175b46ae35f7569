// environments.<env>.strategy / zero_downtime / route: defaults, and config errors naming the key.
import { describe, expect, it } from "vitest";
import { Environment } from "../../src/config/environments-config.js";

const base = { host: "app1", compose_dir: "/srv/app", project: "shop" };

function issues(input: Record<string, unknown>): string[] {
  const r = Environment.safeParse({ ...base, ...input });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("rolling strategy config", () => {
  it("defaults to recreate; drain defaults to 5 s", () => {
    expect(Environment.parse(base).strategy).toBe("recreate");
    const e = Environment.parse({ ...base, strategy: "rolling", zero_downtime: { services: ["web"] }, route: { host: "app.example.test", service: "web", port: 8080 } });
    expect(e.zero_downtime).toEqual({ services: ["web"], drain: 5_000 });
  });

  it("rolling without zero_downtime or route, a route service outside the list, bad names → errors naming the key", () => {
    expect(issues({ strategy: "rolling" })).toEqual([expect.stringMatching(/^zero_downtime: is needed/), expect.stringMatching(/^route: is needed/)]);
    expect(issues({ strategy: "rolling", zero_downtime: { services: ["web"] }, route: { host: "app.example.test", service: "api", port: 8080 } })).toEqual([expect.stringMatching(/^route\.service: names "api"/)]);
    expect(issues({ strategy: "blue-green" })[0]).toMatch(/^strategy:/);
    expect(issues({ zero_downtime: { services: ["web;rm"] } })[0]).toMatch(/^zero_downtime\.services\.0:/);
    expect(issues({ route: { host: "App_Bad", service: "web", port: 8080 } })[0]).toMatch(/^route\.host:/);
  });
});
