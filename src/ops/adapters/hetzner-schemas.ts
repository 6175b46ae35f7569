import { z } from "zod";

/**
 * Hetzner Cloud API v1 response shapes — only the fields opsdeck reads. `z.object` drops the rest,
 * so a `root_password` in a create-server answer never travels further than the parser.
 */

export const HcloudPagination = z.object({
  page: z.number().int(),
  per_page: z.number().int(),
  next_page: z.number().int().nullable(),
});

export const HcloudMeta = z.object({ pagination: HcloudPagination });

const Labels = z.record(z.string(), z.string());

export const HcloudServer = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string(),
  created: z.string(),
  public_net: z.object({
    ipv4: z.object({ ip: z.string() }).nullable(),
    ipv6: z.object({ ip: z.string() }).nullable(),
  }),
  server_type: z.object({ name: z.string() }),
  datacenter: z.object({ location: z.object({ name: z.string() }) }),
  labels: Labels,
});
export type HcloudServer = z.infer<typeof HcloudServer>;

export const HcloudImage = z.object({
  id: z.number().int(),
  type: z.string(),
  status: z.string(),
  description: z.string().nullable(),
  created: z.string(),
  image_size: z.number().nullable(),
  labels: Labels,
  created_from: z.object({ id: z.number().int(), name: z.string() }).nullable(),
});
export type HcloudImage = z.infer<typeof HcloudImage>;

export const HcloudAction = z.object({
  id: z.number().int(),
  command: z.string(),
  status: z.enum(["running", "success", "error"]),
  progress: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type HcloudAction = z.infer<typeof HcloudAction>;

export const HcloudError = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

export const ServersPage = z.object({ servers: z.array(HcloudServer), meta: HcloudMeta });
export const ImagesPage = z.object({ images: z.array(HcloudImage), meta: HcloudMeta });
export const ServerResponse = z.object({ server: HcloudServer });
export const CreateServerResponse = z.object({ server: HcloudServer, action: HcloudAction, next_actions: z.array(HcloudAction) });
export const CreateImageResponse = z.object({ image: HcloudImage, action: HcloudAction });
export const ActionResponse = z.object({ action: HcloudAction });

const Price = z.object({ net: z.string(), gross: z.string() });
export const PricingResponse = z.object({
  pricing: z.object({
    currency: z.string(),
    server_types: z.array(z.object({ name: z.string(), prices: z.array(z.object({ location: z.string(), price_monthly: Price })) })),
  }),
});
