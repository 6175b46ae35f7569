import type { Host, Previews } from "../config/schema.js";
import type { ComposeClient } from "../ops/adapters/compose-client.js";
import { createComposeClient } from "../ops/adapters/docker-compose-client.js";
import { createDockerClientForHost, createHostShell } from "../ops/adapters/create-host-shell.js";
import { createProxyClientForHost } from "../ops/adapters/create-proxy-client.js";
import type { DockerClient } from "../ops/adapters/docker-client.js";
import type { HostKeyPins } from "../ops/adapters/host-key-pins.js";
import type { HostShell } from "../ops/adapters/host-shell.js";
import type { ProxyClient } from "../ops/adapters/proxy-client.js";

export interface HostRegistryOptions {
  hosts: Record<string, Host>;
  /** Resolve a config-relative path (key files, local base dirs). */
  resolvePath(path: string): string;
  /** Read a secret variable (already registered with the redactor). */
  readSecretEnv(name: string): string | undefined;
  hostKeys: HostKeyPins;
  /**
   * Connections opened elsewhere, by host name (tests: shells to the loopback sshd). Used as they
   * are instead of opening new ones, and never closed here: their owner closes them. Default: none.
   */
  given?: Record<string, GivenHost>;
}

/** A connection to a host made outside the registry: its shell, and its clients when they exist. */
export interface GivenHost {
  shell: HostShell;
  compose?: ComposeClient;
  docker?: DockerClient;
}

/**
 * One place for every connection to a configured host (`config.hosts`): the shell, the Docker and
 * compose clients and the preview proxy client of each host, created on first use and shared by
 * every feature, closed together (clients first, then the shells they ride on).
 */
export interface HostRegistry {
  hostConfig(name: string): Host;
  shellFor(name: string): HostShell;
  dockerFor(name: string): DockerClient;
  composeFor(name: string): ComposeClient;
  /** The preview proxy client on `name` (Caddy only; undefined for Traefik or no proxy). */
  proxyFor(name: string, previews: Previews, options: { askUrl?: string }): ProxyClient | undefined;
  close(onError: (err: unknown, what: string) => void): Promise<void>;
}

export function createHostRegistry(options: HostRegistryOptions): HostRegistry {
  const shells = new Map<string, HostShell>();
  const dockers = new Map<string, DockerClient>();
  const composes = new Map<string, ComposeClient>();
  const proxies = new Map<string, ProxyClient | undefined>();
  const hostConfig = (name: string): Host => {
    const hostCfg = options.hosts[name];
    if (!hostCfg) throw new Error(`unknown host ${name}`);
    return hostCfg;
  };
  const lazily = <T>(map: Map<string, T>, name: string, make: () => T): T => {
    if (map.has(name)) return map.get(name) as T;
    const made = make();
    map.set(name, made);
    return made;
  };
  const given = options.given ?? {};
  const shellFor = (name: string): HostShell =>
    given[name]?.shell ??
    lazily(shells, name, () => createHostShell(name, hostConfig(name), { resolvePath: options.resolvePath, readSecretEnv: options.readSecretEnv, hostKeys: options.hostKeys }));
  return {
    hostConfig,
    shellFor,
    dockerFor: (name) => given[name]?.docker ?? lazily(dockers, name, () => createDockerClientForHost(hostConfig(name), shellFor(name))),
    composeFor: (name) => given[name]?.compose ?? lazily(composes, name, () => createComposeClient(shellFor(name))),
    proxyFor: (name, previews, opts) => lazily(proxies, name, () => createProxyClientForHost(hostConfig(name), shellFor(name), previews, opts)),
    async close(onError) {
      for (const p of [...proxies.values()].reverse()) await p?.close().catch((err: unknown) => onError(err, "proxy client"));
      for (const d of [...dockers.values()].reverse()) await d.close().catch((err: unknown) => onError(err, "docker client"));
      for (const s of shells.values()) await s.close().catch((err: unknown) => onError(err, "host connection"));
    },
  };
}
