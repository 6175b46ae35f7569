import { closest, distance } from "fastest-levenshtein";
import type { z } from "zod";

/** The parts of a zod v4 schema definition walked here; everything else has no keys. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Every object schema reachable at `path` (a union may offer several). */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[], depth = 0): Array<Record<string, z.ZodType>> {
  if (depth > 64) return [];
  const def = defOf(schema);
  const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined) ?? (def.type === "lazy" ? def.getter?.() : undefined);
  if (inner) return objectsAt(inner, path, depth + 1);
  if (def.type === "union" && def.options) return def.options.flatMap((o) => objectsAt(o, path, depth + 1));
  if (path.length === 0) return def.type === "object" && def.shape ? [def.shape] : [];
  const [head, ...rest] = path;
  if (def.type === "object" && def.shape && typeof head === "string") {
    const next = def.shape[head];
    return next ? objectsAt(next, rest, depth + 1) : [];
  }
  if (def.type === "record" && def.valueType) return objectsAt(def.valueType, rest, depth + 1);
  if (def.type === "array" && def.element) return objectsAt(def.element, rest, depth + 1);
  return [];
}

/**
 * The known key nearest to `unknown` in the object at `path` of `schema`, when it is close
 * enough to be a typo (`enviroments` → `environments`): at most a third of its length away.
 */
export function suggestKey(schema: z.ZodType, path: readonly PropertyKey[], unknown: string): string | undefined {
  const known = [...new Set(objectsAt(schema, path).flatMap((shape) => Object.keys(shape)))];
  if (known.length === 0) return undefined;
  const best = closest(unknown, known);
  return distance(unknown, best) <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}
