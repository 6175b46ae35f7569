import type { AnonymiseRule } from "../../config/seed-config.js";

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const COUNT_TAG = "opsdeck-count";

/** `"name"`: validated again here, then quoted, so a name can never be read as SQL. */
export function quoteIdent(name: string): string {
  if (!IDENTIFIER.test(name) || name.length > 63) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** A standard SQL string literal (`'` doubled); the script turns standard_conforming_strings on first. */
export function quoteLiteral(value: string): string {
  if (value.includes("\0")) throw new Error("SQL value contains a NUL byte");
  return `'${value.replace(/'/g, "''")}'`;
}

/** The UPDATE for one rule; its WHERE clause selects exactly the rows the rule changes. */
function updateFor(rule: AnonymiseRule, marker: string): string {
  const t = quoteIdent(rule.table);
  const c = quoteIdent(rule.column);
  switch (rule.rule) {
    case "redact":
      return `UPDATE ${t} SET ${c} = ${quoteLiteral(marker)} WHERE ${c} IS NOT NULL`;
    case "null":
      return `UPDATE ${t} SET ${c} = NULL WHERE ${c} IS NOT NULL`;
    case "replace": {
      const v = quoteLiteral(rule.value ?? "");
      return `UPDATE ${t} SET ${c} = ${v} WHERE ${c} IS DISTINCT FROM ${v}`;
    }
    case "prefix": {
      const p = quoteLiteral(rule.value ?? "test-");
      return `UPDATE ${t} SET ${c} = ${p} || ${c} WHERE ${c} IS NOT NULL AND NOT starts_with(${c}::text, ${p})`;
    }
  }
}

/**
 * One transaction applying every rule in order; each UPDATE reports the rows it touched as a line
 * `opsdeck-count:<index>:<rows>` (psql -At). It is fed to `psql -v ON_ERROR_STOP=1` on stdin, so a
 * failing rule rolls all of them back and psql exits non-zero.
 */
export function anonymiseSql(rules: readonly AnonymiseRule[], marker: string): string {
  const lines = ["BEGIN;", "SET LOCAL standard_conforming_strings = on;"];
  rules.forEach((rule, i) => {
    lines.push(`WITH touched AS (${updateFor(rule, marker)} RETURNING 1) SELECT '${COUNT_TAG}:${i}:' || count(*) FROM touched;`);
  });
  lines.push("COMMIT;");
  return `${lines.join("\n")}\n`;
}

export interface RuleCount {
  rule: AnonymiseRule;
  rows: number;
}

/** Rows touched per rule, from psql's output; throws when a rule's count is missing. */
export function parseRuleCounts(stdout: string, rules: readonly AnonymiseRule[]): RuleCount[] {
  const counts = new Map<number, number>();
  for (const line of stdout.split(/\r?\n/)) {
    const m = new RegExp(`^${COUNT_TAG}:(\\d+):(\\d+)$`).exec(line.trim());
    if (m?.[1] && m[2]) counts.set(Number(m[1]), Number(m[2]));
  }
  return rules.map((rule, i) => {
    const rows = counts.get(i);
    if (rows === undefined) throw new Error(`psql printed no row count for rule ${i + 1} (${rule.table}.${rule.column})`);
    return { rule, rows };
  });
}
