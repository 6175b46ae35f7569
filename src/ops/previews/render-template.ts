import { parse } from "yaml";
import { OpsError } from "../../core/errors.js";

export const PREVIEW_LABEL = "opsdeck.preview";

export interface TemplateValues {
  slug: string;
  project: string;
  network: string;
  image: string;
  hostname: string;
  url: string;
  ref: string;
  /** `previews.entry.port`, when configured: the port the entry service answers on. */
  entry_port?: string;
  vars: Record<string, string>;
}

/** Values go into YAML unquoted: they must not be able to start a new key, list or document. */
const SAFE_VALUE = /^[A-Za-z0-9._:/@+=,%-]*$/;

/**
 * Fill `{{slug}}`, `{{project}}`, `{{network}}`, `{{image}}`, `{{hostname}}`, `{{url}}`, `{{ref}}`,
 * `{{entry_port}}` (from `previews.entry.port`) and `{{vars.NAME}}`. An unknown placeholder is an error, not an empty string: a typo in a
 * template must not deploy something half-configured. Every value is checked against a small
 * allowlist so a value cannot change the YAML's structure. Whole-line `#` comments are not filled.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  const lookup = (key: string): string | undefined => {
    if (key.startsWith("vars.")) return values.vars[key.slice(5)];
    if (key === "vars") return undefined;
    const v = (values as unknown as Record<string, unknown>)[key];
    return typeof v === "string" ? v : undefined;
  };
  const fill = (line: string): string => line.replace(/\{\{\s*([A-Za-z0-9_.]*)\s*\}\}/g, (_m, key: string) => {
    const value = lookup(key);
    if (value === undefined && key === "entry_port") {
      throw new OpsError("config", "the preview template uses {{entry_port}} but previews.entry is not set", "Set previews.entry: { service: app, port: 80 } (the service and port that answer the preview's URL).");
    }
    if (value === undefined) {
      throw new OpsError("config", `the preview template uses an unknown placeholder {{${key}}}`, "Use one of {{slug}}, {{project}}, {{network}}, {{image}}, {{hostname}}, {{url}}, {{ref}}, {{entry_port}}, {{vars.NAME}} (NAME declared under previews.vars).");
    }
    if (!SAFE_VALUE.test(value)) {
      throw new OpsError("config", `the value for {{${key}}} contains characters that are not allowed in the template`, "Use letters, digits and . _ : / @ + = , % - only.");
    }
    return value;
  });
  // Whole-line comments are left as written: they may document the placeholders themselves.
  return template
    .split("\n")
    .map((line) => (/^\s*#/.test(line) ? line : fill(line)))
    .join("\n");
}

type Yaml = Record<string, unknown>;

function isRecord(v: unknown): v is Yaml {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasLabel(def: unknown, slug: string): boolean {
  if (!isRecord(def)) return false;
  // A shared network or volume made outside the preview (`external: true`) is not ours to label or remove.
  if (def["external"] === true) return true;
  const labels = def["labels"];
  if (Array.isArray(labels)) return labels.some((l) => l === `${PREVIEW_LABEL}=${slug}`);
  if (isRecord(labels)) return String(labels[PREVIEW_LABEL]) === slug;
  return false;
}

export interface RenderedCompose {
  services: string[];
  images: string[];
}

/**
 * Check a rendered compose file: it parses, every service, network and volume carries the label
 * `opsdeck.preview=<slug>` (that label is how quota, list, destroy and reconcile find a preview's
 * parts), and the services use the preview's own network. Returns the service names and images.
 */
export function checkRenderedCompose(text: string, slug: string, network: string): RenderedCompose {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new OpsError("config", `the rendered preview template is not valid YAML: ${(err as Error).message.split("\n")[0]}`, "Fix the template file named by previews.template.");
  }
  const fix = `Add "labels: [${PREVIEW_LABEL}={{slug}}]" to it in the template named by previews.template.`;
  if (!isRecord(doc) || !isRecord(doc["services"]) || Object.keys(doc["services"]).length === 0) {
    throw new OpsError("config", "the preview template declares no services", "Declare at least one service under services:.");
  }
  const services = doc["services"];
  const images: string[] = [];
  for (const [name, def] of Object.entries(services)) {
    if (!hasLabel(def, slug)) throw new OpsError("config", `service "${name}" in the preview template has no ${PREVIEW_LABEL} label`, fix);
    const image = isRecord(def) ? def["image"] : undefined;
    if (typeof image === "string") images.push(image);
  }
  const networks = isRecord(doc["networks"]) ? doc["networks"] : {};
  const ownNetwork = Object.values(networks).some((def) => isRecord(def) && def["name"] === network);
  if (!ownNetwork) {
    throw new OpsError("config", `the preview template does not declare its own network named {{network}}`, 'Add "networks: { preview: { name: \"{{network}}\", labels: [...] } }" to the template.');
  }
  for (const [name, def] of Object.entries(networks)) {
    if (!hasLabel(def, slug)) throw new OpsError("config", `network "${name}" in the preview template has no ${PREVIEW_LABEL} label`, fix);
  }
  const volumes = isRecord(doc["volumes"]) ? doc["volumes"] : {};
  for (const [name, def] of Object.entries(volumes)) {
    if (!hasLabel(def, slug)) throw new OpsError("config", `volume "${name}" in the preview template has no ${PREVIEW_LABEL} label`, fix);
  }
  return { services: Object.keys(services), images };
}
