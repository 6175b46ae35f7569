// Layers only point down (DESIGN.md, "The one-way flow"): every relative import in src/ is read
// and checked against the layer order below. A new import that points up fails here, naming the
// file, the import and the rule it breaks.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/test-env.js";

const src = join(repoRoot, "src");

/** Lower numbers sit lower; a file may import its own layer or any layer below it. */
const LAYERS: Array<{ name: string; rank: number; match: (path: string) => boolean }> = [
  { name: "core", rank: 0, match: (p) => p.startsWith("core/") },
  { name: "config", rank: 0, match: (p) => p.startsWith("config/") },
  { name: "store", rank: 1, match: (p) => p.startsWith("store/") },
  { name: "adapters", rank: 2, match: (p) => p.startsWith("ops/adapters/") },
  { name: "ops", rank: 3, match: (p) => p.startsWith("ops/") },
  { name: "jobs", rank: 4, match: (p) => p.startsWith("jobs/") },
  { name: "handlers", rank: 4, match: (p) => p.startsWith("handlers/") },
  { name: "bot", rank: 5, match: (p) => p.startsWith("bot/") },
  { name: "wiring", rank: 6, match: (p) => p.startsWith("wiring/") },
  { name: "entry", rank: 7, match: () => true },
];

/** Same-rank layers that must not know each other: jobs call ops, never handlers, and back. */
const SIBLINGS_APART = new Set(["jobs>handlers", "handlers>jobs"]);

function layerOf(path: string): { name: string; rank: number } {
  return LAYERS.find((l) => l.match(path)) ?? { name: "entry", rank: 7 };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.[^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/g;

/** Every relative import in src/, as [importing file, imported file] relative to src/. */
export function importEdges(): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
      edges.push([relative(src, file), relative(src, target)]);
    }
  }
  return edges;
}

export function violations(edges: Array<[string, string]>): string[] {
  const out: string[] = [];
  for (const [from, to] of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (b.rank > a.rank) out.push(`${from} imports ${to}: ${a.name} may not import from ${b.name} (it sits above)`);
    else if (SIBLINGS_APART.has(`${a.name}>${b.name}`)) out.push(`${from} imports ${to}: ${a.name} and ${b.name} must not import each other`);
  }
  return out;
}

describe("import direction", () => {
  it("reads the imports of every source file (the check sees the real graph)", () => {
    const edges = importEdges();
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual(["main.ts", "app.ts"]);
  });

  it("flags an import that points up, and one between jobs and handlers", () => {
    expect(violations([["core/x.ts", "handlers/y.ts"]])).toHaveLength(1);
    expect(violations([["ops/x.ts", "ops/adapters/y.ts"]])).toHaveLength(0);
    expect(violations([["ops/adapters/x.ts", "ops/y.ts"]])).toHaveLength(1);
    expect(violations([["jobs/x.ts", "handlers/y.ts"]])).toHaveLength(1);
    expect(violations([["handlers/x.ts", "jobs/y.ts"]])).toHaveLength(1);
    expect(violations([["bot/x.ts", "handlers/y.ts"]])).toHaveLength(0);
  });

  it("no file in src/ imports from a layer above its own", () => {
    expect(violations(importEdges())).toEqual([]);
  });
});
