import ms from "ms";
import { z } from "zod";

/** A string `ms` reads as a number of milliseconds that `accept` takes, parsed to that number. */
const durationWhere = (accept: (msValue: number) => boolean, message: string) =>
  z
    .string()
    .refine((s) => {
      const v = ms(s as ms.StringValue);
      return typeof v === "number" && accept(v);
    }, { message })
    .transform((s) => ms(s as ms.StringValue));

/** A duration such as `30s`, `15m`, `3d`; parsed to milliseconds. */
export const Duration = durationWhere((v) => v > 0, "must be a duration such as 30s, 15m, 2h or 3d");

/** A duration that may be zero (`0s`: at once), e.g. how long to wait before killing. */
export const DurationOrZero = durationWhere((v) => v >= 0, "must be a duration such as 0s, 2s or 30s");
