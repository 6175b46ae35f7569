import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/load-config.js";
import { OpsError } from "../../src/core/errors.js";
import { checkRenderedCompose, renderTemplate, type TemplateValues } from "../../src/ops/previews/render-template.js";
import { repoRoot } from "../support/test-env.js";

const values: TemplateValues = {
  slug: "feature-x",
  project: "preview-feature-x",
  network: "preview-feature-x",
  image: "registry.example.com/app:3f2a9c1",
  hostname: "preview-feature-x.preview.example.com",
  url: "https://preview-feature-x.preview.example.com",
  ref: "3f2a9c1",
  vars: { region: "eu-1" },
};

const fixture = (name: string): string => readFileSync(`${repoRoot}test/fixtures/preview-templates/${name}`, "utf8");

function opsError(fn: () => unknown): OpsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OpsError);
    return err as OpsError;
  }
  throw new Error("expected an OpsError");
}

describe("renderTemplate", () => {
  it("fills every placeholder and vars", () => {
    const out = renderTemplate("a={{slug}} b={{ project }} c={{network}} d={{image}} e={{hostname}} f={{url}} g={{ref}} h={{vars.region}} $${X}", values);
    expect(out).toBe(
      "a=feature-x b=preview-feature-x c=preview-feature-x d=registry.example.com/app:3f2a9c1 e=preview-feature-x.preview.example.com f=https://preview-feature-x.preview.example.com g=3f2a9c1 h=eu-1 $${X}",
    );
  });

  it("refuses an unknown placeholder, naming it", () => {
    const err = opsError(() => renderTemplate(fixture("unknown-placeholder.yml"), values));
    expect(err.code).toBe("config");
    expect(err.message).toContain("{{branchname}}");
    expect(opsError(() => renderTemplate("{{vars.nope}}", values)).message).toContain("{{vars.nope}}");
    expect(opsError(() => renderTemplate("{{vars}}", values)).message).toContain("{{vars}}");
  });

  it("refuses values that could change the YAML structure", () => {
    for (const bad of ["a\nb: c", "x #y", 'q"uote', "{a}", "[1]", "a b"]) {
      expect(opsError(() => renderTemplate("k: {{vars.v}}", { ...values, vars: { v: bad } })).code).toBe("config");
    }
  });
});

describe("the shipped template", () => {
  const text = readFileSync(`${repoRoot}templates/preview/docker-compose.yml`, "utf8");
  it("renders, labels every service, network and volume and has its own network", () => {
    const rendered = renderTemplate(text, { ...values, entry_port: "80" });
    const shape = checkRenderedCompose(rendered, values.slug, values.network);
    expect(shape.services).toEqual(["app"]);
    expect(shape.images).toEqual([values.image]);
    const doc = parse(rendered) as { version?: string; services: { app: { environment: Record<string, string>; healthcheck: unknown } } };
    expect(doc.version).toBeUndefined();
    expect(doc.services.app.healthcheck).toBeDefined();
    expect(doc.services.app.environment["DB_PASSWORD"]).toBe("${DB_PASSWORD}");
  });
});

describe("the embedded default (config/opsdeck.yaml)", () => {
  it("health-checks the port its image listens on: nginx on 80, previews.entry.port 80", () => {
    const previews = loadConfig(`${repoRoot}config/opsdeck.yaml`).config.previews;
    expect(previews?.image.replace("{ref}", previews.default_ref)).toBe("nginx:1.27-alpine");
    expect(previews?.entry).toEqual({ service: "app", port: 80 });
    const text = readFileSync(`${repoRoot}${previews?.template}`, "utf8");
    const doc = parse(renderTemplate(text, { ...values, entry_port: String(previews?.entry?.port) })) as { services: Record<string, { healthcheck: { test: string[] } }> };
    expect(Object.keys(doc.services)).toEqual([previews?.entry?.service]);
    expect(doc.services.app?.healthcheck.test.join(" ")).toContain("http://127.0.0.1:80/");
  });

  it("names previews.entry when a template uses {{entry_port}} without it", () => {
    const err = opsError(() => renderTemplate("p: {{entry_port}}", values));
    expect(err.message).toBe("the preview template uses {{entry_port}} but previews.entry is not set");
    expect(err.nextStep).toContain("previews.entry: { service: app, port: 80 }");
  });
});

describe("checkRenderedCompose", () => {
  it("accepts the test templates", () => {
    for (const name of ["healthy.yml", "never-healthy.yml"]) {
      const shape = checkRenderedCompose(renderTemplate(fixture(name), values), values.slug, values.network);
      expect(shape.services.length).toBeGreaterThan(0);
    }
  });

  it("names a volume without the label", () => {
    const err = opsError(() => checkRenderedCompose(renderTemplate(fixture("unlabelled-volume.yml"), values), values.slug, values.network));
    expect(err.message).toBe('volume "data" in the preview template has no opsdeck.preview label');
  });

  it("names a service without the label, or with another slug's label", () => {
    const yaml = (label: string): string =>
      `services:\n  web:\n    image: x\n    labels: [${label}]\nnetworks:\n  p:\n    name: preview-feature-x\n    labels: [opsdeck.preview=feature-x]\n`;
    expect(checkRenderedCompose(yaml("opsdeck.preview=feature-x"), "feature-x", "preview-feature-x").services).toEqual(["web"]);
    expect(opsError(() => checkRenderedCompose(yaml("other=1"), "feature-x", "preview-feature-x")).message).toContain('service "web"');
    expect(opsError(() => checkRenderedCompose(yaml("opsdeck.preview=feature-y"), "feature-x", "preview-feature-x")).message).toContain('service "web"');
  });

  it("requires the preview's own network", () => {
    const yaml = "services:\n  web:\n    image: x\n    labels: [opsdeck.preview=feature-x]\n";
    expect(opsError(() => checkRenderedCompose(yaml, "feature-x", "preview-feature-x")).message).toContain("own network");
  });
});
