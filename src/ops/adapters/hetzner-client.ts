import { setTimeout as delay } from "node:timers/promises";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";
import type { RetryPolicy } from "./retry-with-backoff.js";
import { createHetznerRequest, HetznerApiError, listAllPages } from "./hetzner-request.js";
import {
  ActionResponse,
  CreateImageResponse,
  CreateServerResponse,
  ImagesPage,
  PricingResponse,
  ServerResponse,
  ServersPage,
  type HcloudAction,
  type HcloudImage,
  type HcloudServer,
} from "./hetzner-schemas.js";

export interface HetznerServer {
  id: number;
  name: string;
  status: string;
  created: Date;
  ipv4: string | null;
  ipv6: string | null;
  serverType: string;
  location: string;
  labels: Record<string, string>;
}

export interface HetznerSnapshot {
  id: number;
  description: string;
  status: string;
  created: Date;
  sizeGb: number | null;
  labels: Record<string, string>;
  createdFromServer: string | null;
}

export interface HetznerAction {
  id: number;
  command: string;
  status: "running" | "success" | "error";
  progress: number;
  error: { code: string; message: string } | null;
}

export interface CreateServerSpec {
  name: string;
  serverType: string;
  location: string;
  /** Image id (a snapshot) or name (a system image such as `debian-12`). */
  image: number | string;
  labels: Record<string, string>;
  sshKeys?: string[];
}

export interface MonthlyPrice {
  gross: number;
  net: number;
  currency: string;
}

export interface HetznerClient {
  /** Servers matching a label selector and/or starting with a name prefix (all pages). */
  listServers(filter?: { labelSelector?: string; namePrefix?: string }): Promise<HetznerServer[]>;
  getServer(id: number): Promise<HetznerServer>;
  createServer(spec: CreateServerSpec): Promise<{ server: HetznerServer; actions: HetznerAction[] }>;
  deleteServer(id: number): Promise<HetznerAction>;
  createSnapshot(serverId: number, input: { description: string; labels: Record<string, string> }): Promise<{ snapshot: HetznerSnapshot; action: HetznerAction }>;
  /** Snapshots matching the selector, newest first. */
  listSnapshots(labelSelector?: string): Promise<HetznerSnapshot[]>;
  /** The newest available snapshot carrying the labels, if any. */
  newestSnapshot(labelSelector: string): Promise<HetznerSnapshot | undefined>;
  /** Deleting an image that is already gone is not an error. */
  deleteImage(id: number): Promise<void>;
  /** Keep the `keep` newest snapshots matching the selector, delete the rest; returns the deleted ones. */
  pruneSnapshots(labelSelector: string, keep: number): Promise<HetznerSnapshot[]>;
  /** Poll until the action succeeds; `OpsError("timeout")` after `timeoutMs`, `external_api` when it fails. */
  waitForAction(action: HetznerAction | number, timeoutMs: number): Promise<HetznerAction>;
  /** Monthly price of a server type in a location (the project's currency and VAT). */
  serverMonthlyPrice(serverType: string, location: string): Promise<MonthlyPrice>;
}

export interface HetznerClientOptions {
  /** `https://api.hetzner.cloud/v1`, or a test server. */
  baseUrl: string;
  token: Secret;
  log: Logger;
  tokenEnvName?: string;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Interval between action polls. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const toServer = (s: HcloudServer): HetznerServer => ({
  id: s.id,
  name: s.name,
  status: s.status,
  created: new Date(s.created),
  ipv4: s.public_net.ipv4?.ip ?? null,
  ipv6: s.public_net.ipv6?.ip ?? null,
  serverType: s.server_type.name,
  location: s.datacenter.location.name,
  labels: s.labels,
});

const toSnapshot = (i: HcloudImage): HetznerSnapshot => ({
  id: i.id,
  description: i.description ?? "",
  status: i.status,
  created: new Date(i.created),
  sizeGb: i.image_size,
  labels: i.labels,
  createdFromServer: i.created_from?.name ?? null,
});

const toAction = (a: HcloudAction): HetznerAction => ({ id: a.id, command: a.command, status: a.status, progress: a.progress, error: a.error });

/** Typed Hetzner Cloud API v1 client over `fetch`: bearer token, zod-checked answers, retries. */
export function createHetznerClient(options: HetznerClientOptions): HetznerClient {
  const request = createHetznerRequest(options);
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const pollMs = options.pollMs ?? 2_000;

  const client: HetznerClient = {
    async listServers(filter = {}) {
      const query: Record<string, string> = filter.labelSelector ? { label_selector: filter.labelSelector } : {};
      const servers = await listAllPages<HcloudServer>(request, "/servers", "servers", ServersPage, query);
      return servers.map(toServer).filter((s) => !filter.namePrefix || s.name.startsWith(filter.namePrefix));
    },

    async getServer(id) {
      return toServer((await request("GET", `/servers/${id}`, ServerResponse)).server);
    },

    async createServer(spec) {
      const body = {
        name: spec.name,
        server_type: spec.serverType,
        location: spec.location,
        image: typeof spec.image === "number" ? String(spec.image) : spec.image,
        labels: spec.labels,
        start_after_create: true,
        ...(spec.sshKeys && spec.sshKeys.length > 0 ? { ssh_keys: spec.sshKeys } : {}),
      };
      const data = await request("POST", "/servers", CreateServerResponse, { body });
      return { server: toServer(data.server), actions: [data.action, ...data.next_actions].map(toAction) };
    },

    async deleteServer(id) {
      return toAction((await request("DELETE", `/servers/${id}`, ActionResponse)).action);
    },

    async createSnapshot(serverId, input) {
      const data = await request("POST", `/servers/${serverId}/actions/create_image`, CreateImageResponse, {
        body: { description: input.description, type: "snapshot", labels: input.labels },
      });
      return { snapshot: toSnapshot(data.image), action: toAction(data.action) };
    },

    async listSnapshots(labelSelector) {
      const query: Record<string, string> = { type: "snapshot", sort: "created:desc" };
      if (labelSelector) query["label_selector"] = labelSelector;
      const images = await listAllPages<HcloudImage>(request, "/images", "images", ImagesPage, query);
      // Sorted here as well: the order must not depend on the server honouring `sort`.
      return images.map(toSnapshot).sort((a, b) => b.created.getTime() - a.created.getTime() || b.id - a.id);
    },

    async newestSnapshot(labelSelector) {
      return (await client.listSnapshots(labelSelector)).find((s) => s.status === "available");
    },

    async deleteImage(id) {
      try {
        await request("DELETE", `/images/${id}`, null);
      } catch (err) {
        if (err instanceof HetznerApiError && err.status === 404) return;
        throw err;
      }
    },

    async pruneSnapshots(labelSelector, keep) {
      if (!Number.isInteger(keep) || keep < 1) throw new OpsError("config", `snapshot retention must be at least 1 (got ${keep})`, "Set hetzner.snapshot_retention to 1 or more.");
      const doomed = (await client.listSnapshots(labelSelector)).slice(keep);
      for (const s of doomed) {
        await client.deleteImage(s.id);
        options.log.info({ provider: "hetzner", snapshot: s.id, created: s.created.toISOString() }, "old snapshot deleted");
      }
      return doomed;
    },

    async waitForAction(action, timeoutMs) {
      const id = typeof action === "number" ? action : action.id;
      let current = typeof action === "number" ? undefined : action;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (current?.status === "success") return current;
        if (current?.status === "error") {
          throw new OpsError(
            "external_api",
            `Hetzner action ${current.command} (${id}) failed: ${current.error?.code ?? "error"} — ${current.error?.message ?? "no message"}`,
            "Look at the project's activity in the Hetzner Cloud Console, fix the cause and run the command again.",
          );
        }
        if (Date.now() >= deadline) {
          throw new OpsError(
            "timeout",
            `Hetzner action ${current?.command ?? id} (${id}) did not finish within ${Math.round(timeoutMs / 1000)} s (last progress ${current?.progress ?? 0} %)`,
            "It may still finish: check /infra status in a few minutes, or raise hetzner.action_timeout.",
          );
        }
        if (current) await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
        current = toAction((await request("GET", `/actions/${id}`, ActionResponse)).action);
      }
    },

    async serverMonthlyPrice(serverType, location) {
      const { pricing } = await request("GET", "/pricing", PricingResponse);
      const price = pricing.server_types.find((t) => t.name === serverType)?.prices.find((p) => p.location === location);
      if (!price) {
        throw new OpsError("not_found", `Hetzner has no price for server type ${serverType} in ${location}`, "Check hetzner.server_type and hetzner.location against the Hetzner Cloud Console.");
      }
      return { gross: Number(price.price_monthly.gross), net: Number(price.price_monthly.net), currency: pricing.currency };
    },
  };
  return client;
}
