// Ops and jobs never build chat command text (DESIGN.md, "The one-way flow"; issue 10 item 6):
// a reply with buttons — each button carries the command a click runs, e.g. `/deploy approve <id>`
// — is shaped in src/handlers and handed to ops by injection. Every file under src/ops and
// src/jobs is read; a button list or a `command:` whose value starts with "/" fails here, naming
// the file and line.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/test-env.js";

const src = join(repoRoot, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** A reply's button list, and a button's command text (a string or template literal starting with "/"). */
const RULES: Array<{ what: string; pattern: RegExp }> = [
  { what: "a reply with buttons", pattern: /\bbuttons\s*:\s*\[/ },
  { what: "chat command text in a button", pattern: /\bcommand\s*:\s*[`"']\// },
];

/** `path:line: what` for every line of `text` that breaks a rule. */
export function commandTextIn(path: string, text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const rule of RULES) if (rule.pattern.test(line)) out.push(`${path}:${i + 1}: ${rule.what}`);
  });
  return out;
}

function scanned(): Array<[string, string]> {
  return ["ops", "jobs"].flatMap((d) => sourceFiles(join(src, d)).map((f): [string, string] => [relative(src, f), readFileSync(f, "utf8")]));
}

describe("no chat command text in ops or jobs", () => {
  it("reads every file under src/ops and src/jobs", () => {
    const files = scanned().map(([p]) => p);
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain("ops/approvals/create-approval-desk.ts");
    expect(files.some((p) => p.startsWith("jobs/"))).toBe(true);
  });

  it("flags a button list and a button's command text, not other uses of `command`", () => {
    expect(commandTextIn("ops/x.ts", 'buttons: [\n  { command: `/deploy approve ${id}`, label: "Approve" },\n]')).toEqual([
      "ops/x.ts:1: a reply with buttons",
      "ops/x.ts:2: chat command text in a button",
    ]);
    expect(commandTextIn("ops/x.ts", `{ command: "/preview list", label: "List" }`)).toHaveLength(1);
    expect(commandTextIn("ops/x.ts", `audit.record({ command: "approval", args })`)).toEqual([]);
    expect(commandTextIn("ops/x.ts", `run(command: string, argv: readonly string[])`)).toEqual([]);
  });

  it("no file under src/ops or src/jobs builds a reply with buttons or button command text", () => {
    expect(scanned().flatMap(([p, t]) => commandTextIn(p, t))).toEqual([]);
  });
});
