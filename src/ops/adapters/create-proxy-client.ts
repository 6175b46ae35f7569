import type { Host, Previews } from "../../config/schema.js";
import { createCaddyProxyClient } from "./caddy-proxy-client.js";
import type { HostShell } from "./host-shell.js";
import type { ProxyClient } from "./proxy-client.js";
import type { SshHostShell } from "./ssh-host-shell.js";

/**
 * The proxy client for the preview host (`previews.proxy`): Caddy's admin API, reached over the
 * SSH connection that `shell` already holds (or directly on a local host). Traefik needs no
 * client (its routes are labels in the rendered compose file) and no proxy means none.
 */
export function createProxyClientForHost(host: Host, shell: HostShell, previews: Previews, options: { askUrl?: string }): ProxyClient | undefined {
  const proxy = previews.proxy;
  if (proxy?.driver !== "caddy") return undefined;
  const askUrl = proxy.ask_url ?? options.askUrl;
  const common = { config: proxy, domain: previews.domain, ...(askUrl ? { askUrl } : {}) };
  if (host.type === "local") return createCaddyProxyClient(common);
  const ssh = shell as Partial<SshHostShell>;
  if (typeof ssh.connection !== "function") throw new Error(`createProxyClientForHost: host ${shell.name} is an SSH host but its shell has no SSH connection`);
  return createCaddyProxyClient({ ...common, ssh: { connection: () => (shell as SshHostShell).connection() } });
}
