import type { GitHostEvent } from "../../ops/githost/git-host-event.js";

/** What one verified delivery says: the repository it is about, and an event or why there is none. */
export interface ParsedDelivery {
  /** The repository/project it came from, `''` when the payload names none. */
  repo: string;
  /** `github:<login>` / `gitlab:<username>`, for the audit trail of ignored deliveries. */
  actor: string;
  event?: GitHostEvent;
  /** Set when there is nothing to act on (ping, tag push, fork PR, unsupported event…). */
  ignored?: string;
}

/** Git commit ids: 40 hex digits (SHA-1); a deleted branch's `after` is all zeros. */
export const ZERO_SHA = "0".repeat(40);
export const SHA = /^[0-9a-f]{40}$/;
/** Logins and usernames as the hosts allow them; anything else is written `unknown`. */
export const LOGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
