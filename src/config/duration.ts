import ms from "ms";
import { z } from "zod";

/** A duration such as `30s`, `15m`, `3d`; parsed to milliseconds. */
export const Duration = z
  .string()
  .refine((s) => typeof ms(s as ms.StringValue) === "number" && ms(s as ms.StringValue) > 0, {
    message: "must be a duration such as 30s, 15m, 2h or 3d",
  })
  .transform((s) => ms(s as ms.StringValue));


/** A duration that may be zero (`0s`: at once), e.g. how long to wait before killing. */
export const DurationOrZero = z
  .string()
  .refine((s) => typeof ms(s as ms.StringValue) === "number" && ms(s as ms.StringValue) >= 0, {
    message: "must be a duration such as 0s, 2s or 30s",
  })
  .transform((s) => ms(s as ms.StringValue));
