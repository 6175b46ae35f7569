import { z } from "zod";

/**
 * A record type without the index signature `z.looseObject` adds: records are parsed loose (fields
 * another feature adds are kept on disk, not stripped), but code only sees the declared fields.
 */
export type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

/** A loose record schema (unknown fields pass through untouched). */
export const record = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape);
