// How many src/ files a newcomer has to open to follow `/deploy prod <ref>` through approval (issue 10):
// the files in which a function actually ran during the real scenario (alice asks, bob approves, the
// deploy runs), by layer. Needs the test infra (bash scripts/test-setup.sh).
//
//   npx tsx bench/newcomer-path.ts [--list] [tree …]      (default tree: this checkout)
//   e.g. git worktree add /tmp/od-path-base 0903f87 && ln -s "$PWD/node_modules" /tmp/od-path-base/
//        npx tsx bench/newcomer-path.ts /tmp/od-path-base .     (run from this checkout: its .test-env is linked in)
//
// The driver (bench/newcomer-path.driver.ts) is copied into each tree as
// test/newcomer-path-driver.test.ts for the run and removed afterwards.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const LAYERS: Array<[string, RegExp]> = [
  ["bot/router", /^src\/bot\//],
  ["handlers", /^src\/handlers\//],
  ["adapters", /^src\/ops\/adapters\//],
  ["ops", /^src\/ops\//],
  ["core/config/store", /^src\/(core|config|store)\//],
  ["app/wiring/other", /./],
];

const layerOf = (path: string): string => LAYERS.find(([, re]) => re.test(path))?.[0] ?? "app/wiring/other";

function measure(tree: string): Record<string, string[]> {
  const driver = join(tree, "test", "newcomer-path-driver.test.ts");
  const out = join(mkdtempSync(join(tmpdir(), "newcomer-path-")), "files.json");
  const template = readFileSync(fileURLToPath(new URL("newcomer-path.driver.ts", import.meta.url)), "utf8");
  writeFileSync(driver, template.replaceAll('from "../test/', 'from "./'));
  // An old tree shares this checkout's prepared test infra.
  const testEnv = join(tree, ".test-env");
  if (!existsSync(testEnv)) symlinkSync(resolve(".test-env"), testEnv);
  try {
    execFileSync("npx", ["vitest", "run", "test/newcomer-path-driver.test.ts"], { cwd: tree, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, NEWCOMER_PATH_OUT: out }, timeout: 600_000 });
    return (JSON.parse(readFileSync(out, "utf8")) as { files: Record<string, string[]> }).files;
  } finally {
    rmSync(driver, { force: true });
    rmSync(join(out, ".."), { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const list = args.includes("--list");
const trees = args.filter((a) => a !== "--list");
const results = (trees.length > 0 ? trees : ["."]).map((t) => {
  const tree = resolve(t);
  const rev = execFileSync("git", ["-C", tree, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  return { tree, rev, files: measure(tree) };
});

const names = LAYERS.map(([n]) => n);
console.log(`\n| layer | ${results.map((r) => `${r.rev} (${r.tree})`).join(" | ")} |`);
console.log(`|---|${results.map(() => "---:").join("|")}|`);
for (const layer of names) console.log(`| ${layer} | ${results.map((r) => Object.keys(r.files).filter((f) => layerOf(f) === layer).length).join(" | ")} |`);
console.log(`| **total** | ${results.map((r) => Object.keys(r.files).length).join(" | ")} |`);
if (list) {
  for (const r of results) {
    console.log(`\n${r.rev} ${r.tree}`);
    for (const f of Object.keys(r.files).sort()) console.log(`  ${layerOf(f).padEnd(18)} ${f}  (${(r.files[f] ?? []).slice(0, 6).join(", ")})`);
  }
}
