/**
 * `record[key]` only when `key` is the record's own property. Config maps (environments,
 * runbooks, seeds, hosts, rules…) are plain objects, so a typed name such as `constructor` or
 * `__proto__` would otherwise reach `Object.prototype` and pass for a configured entry.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
