import type { Reply } from "./command.js";

/** One platform's way to post to its configured alert channel. */
export interface AlertTarget {
  readonly platform: string;
  post(reply: Reply): Promise<void>;
}

/**
 * Posts to the alert channel on every configured platform: jobs, approvals and operations that
 * finish after the requester has gone. Implementations must not let one failing platform stop
 * the others.
 */
export interface Notifier {
  notify(reply: Reply): Promise<void>;
}
