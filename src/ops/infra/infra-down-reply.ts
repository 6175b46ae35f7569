import type { Reply } from "../../core/command.js";
import type { DownResult } from "./infra-down.js";

/** The result of `/infra down <env>`, typed with `--yes` or run by its approved request. */
export function downReply(env: string, r: DownResult): Reply {
  const lines = [`Snapshot ${r.snapshot.snapshot.id} kept${r.snapshot.pruned.length > 0 ? ` (${r.snapshot.pruned.length} older deleted)` : ""}; ${r.server.name} deleted.`];
  if (r.dns.state === "removed") lines.push("DNS record removed.");
  if (r.dns.state === "queued") {
    return { status: "warning", title: `${env} is down; its DNS record is still there`, lines: [...lines, `Removing ${r.dns.hostname} failed (${r.dns.error}); it is queued and retried by the next cleanup sweep.`] };
  }
  return { status: "success", title: `${env} is down`, lines: [...lines, `/infra up ${env} brings it back.`] };
}
