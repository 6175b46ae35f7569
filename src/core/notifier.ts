import type { MessageRef, Reply } from "./command.js";

/** One platform's way to post to its configured alert channel. */
export interface AlertTarget {
  readonly platform: string;
  post(reply: Reply): Promise<void>;
  /** Edit a message this platform's bot posted earlier, in any channel (`ref.platform` is this one). */
  edit?(ref: MessageRef, reply: Reply): Promise<void>;
}

/**
 * Posts to the alert channel on every configured platform: jobs, approvals and operations that
 * finish after the requester has gone. Implementations must not let one failing platform stop
 * the others.
 */
export interface Notifier {
  notify(reply: Reply): Promise<void>;
  /**
   * Edit a message posted earlier (an approval request after a restart) through the target of
   * `ref.platform`. Resolves false when no target can edit it or the edit failed; never rejects.
   */
  edit?(ref: MessageRef, reply: Reply): Promise<boolean>;
}
