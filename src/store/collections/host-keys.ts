import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.hostKeys`: an SSH host key pinned on first use, per config host name (owned by src/ops/adapters/host-key-pins.ts). */
export const HostKeyPin = record({
  /** `SHA256:<base64>`, as OpenSSH prints it. */
  fingerprint: z.string(),
  /** `address:port` it was seen at. */
  address: z.string(),
  firstSeenAt: z.string(),
});
export type HostKeyPin = Known<z.infer<typeof HostKeyPin>>;
