import { isMap, isSeq, parseDocument, YAMLMap } from "yaml";
import type { Previews } from "../../config/schema.js";
import { OpsError } from "../../core/errors.js";
import type { PreviewNames } from "./preview-names.js";

/** The Traefik labels that route `hostname` to the entry service (docker provider). */
export function traefikLabels(config: Previews, n: PreviewNames): Record<string, string> {
  const proxy = config.proxy;
  if (proxy?.driver !== "traefik" || !config.entry) return {};
  const router = `traefik.http.routers.${n.project}`;
  return {
    "traefik.enable": "true",
    "traefik.docker.network": proxy.network,
    [`${router}.rule`]: `Host(\`${n.hostname}\`)`,
    [`${router}.entrypoints`]: proxy.entrypoint,
    [`${router}.tls`]: "true",
    ...(proxy.cert_resolver ? { [`${router}.tls.certresolver`]: proxy.cert_resolver } : {}),
    [`${router}.service`]: n.project,
    [`traefik.http.services.${n.project}.loadbalancer.server.port`]: String(config.entry.port),
  };
}

/**
 * The `traefik` proxy driver: the rendered compose file gets Traefik router/service labels on the
 * entry service, which also joins the external Traefik network (`previews.proxy.network`, default
 * `traefik-public`). The route lives and dies with the containers, so destroy needs nothing more.
 * Any other proxy setting returns the text unchanged.
 */
export function addTraefikLabels(rendered: string, config: Previews, n: PreviewNames): string {
  const proxy = config.proxy;
  if (proxy?.driver !== "traefik") return rendered;
  const entry = config.entry;
  if (!entry) throw new OpsError("config", "previews.proxy.driver is traefik but previews.entry is not set", "Set previews.entry: { service: app, port: 80 } to the service and port Traefik should route to.");
  const doc = parseDocument(rendered);
  const service = doc.getIn(["services", entry.service]);
  if (!isMap(service)) throw new OpsError("config", `previews.entry.service ${entry.service} is not a service of the preview template`, "Name a service declared under services: in the template.");
  const labels = service.get("labels", true);
  const wanted = traefikLabels(config, n);
  if (isSeq(labels)) for (const [k, v] of Object.entries(wanted)) labels.add(`${k}=${v}`);
  else if (isMap(labels)) for (const [k, v] of Object.entries(wanted)) labels.set(k, v);
  else service.set("labels", doc.createNode(wanted));
  const networks = service.get("networks", true);
  if (isSeq(networks)) networks.add(proxy.network);
  else if (isMap(networks)) networks.set(proxy.network, new YAMLMap());
  else service.set("networks", doc.createNode(["default", proxy.network]));
  if (!isMap(doc.get("networks", true))) doc.set("networks", new YAMLMap());
  doc.setIn(["networks", proxy.network], doc.createNode({ external: true, name: proxy.network }));
  return doc.toString();
}
