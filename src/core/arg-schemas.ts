import { z } from "zod";

/**
 * `n` as a whole number in a range, with one message for every way it can be wrong: "n must be
 * a whole number from 1 to 50". Absent gives `fallback`.
 */
export function wholeNumberArg(name: string, min: number, max: number, fallback: number): z.ZodType<number, string | undefined> {
  const error = `${name} must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,6}$/, { error })
    .transform(Number)
    .pipe(z.number().int().min(min, { error }).max(max, { error }))
    .optional()
    .transform((n) => n ?? fallback);
}
