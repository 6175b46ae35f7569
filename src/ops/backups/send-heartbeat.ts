import { OpsError } from "../../core/errors.js";

/**
 * Ping a dead man's switch (healthchecks.io, Uptime Kuma push, Better Stack…). The URL usually
 * carries a token, so it never appears in messages: only its host does.
 */
export async function sendHeartbeat(url: string, method: "GET" | "POST", fetchFn: typeof fetch, timeoutMs = 10_000): Promise<void> {
  const host = new URL(url).host;
  let res: Response;
  try {
    res = await fetchFn(url, { method, signal: AbortSignal.timeout(timeoutMs), ...(method === "POST" ? { body: "" } : {}) });
  } catch (err) {
    throw new OpsError("external_api", `heartbeat to ${host} could not be sent (${(err as Error).name})`, "Check that the bot can reach the heartbeat service; the backups themselves succeeded.");
  }
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) {
    throw new OpsError("external_api", `heartbeat to ${host} answered HTTP ${res.status}`, "Check heartbeat_url in the config; the backups themselves succeeded.");
  }
}
