import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.previews`: live previews only (owned by src/ops/previews; a destroyed preview leaves the list). */
export const PreviewStatus = z.enum(["deploying", "running", "failed", "destroying"]);
export type PreviewStatus = z.infer<typeof PreviewStatus>;

export const PreviewRecord = record({
  slug: z.string(),
  branch: z.string(),
  ref: z.string(),
  host: z.string(),
  project: z.string(),
  hostname: z.string(),
  url: z.string(),
  requestedBy: z.string(),
  requestedByName: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  status: PreviewStatus,
});
export type PreviewRecord = Known<z.infer<typeof PreviewRecord>>;
