import ms from "ms";
import { z } from "zod";

/** A duration such as `30s`, `15m`, `3d`; parsed to milliseconds. */
export const Duration = z
  .string()
  .refine((s) => typeof ms(s as ms.StringValue) === "number" && ms(s as ms.StringValue) > 0, {
    message: "must be a duration such as 30s, 15m, 2h or 3d",
  })
  .transform((s) => ms(s as ms.StringValue));

