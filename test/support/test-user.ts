// Running things as the `opsdeck` test user (the SSH user; initdb refuses root), and loopback ports.
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync } from "node:fs";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { tempDir } from "./temp-dir.js";

const execFileP = promisify(execFile);

/** A free TCP port on 127.0.0.1 (free when asked; bind it soon). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Run a program as the `opsdeck` test user (we are root in the test container). */
export async function asTestUser(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await execFileP("runuser", ["-u", "opsdeck", "--", "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], {
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

let ids: { uid: number; gid: number } | undefined;

/** uid and gid of the `opsdeck` test user, looked up (not assumed). */
export function testUserIds(): { uid: number; gid: number } {
  ids ??= {
    uid: Number(execFileSync("id", ["-u", "opsdeck"], { encoding: "utf8" }).trim()),
    gid: Number(execFileSync("id", ["-g", "opsdeck"], { encoding: "utf8" }).trim()),
  };
  return ids;
}

/** A temp directory owned by the test user (so the SSH user can read and write it); removed when the test file ends. */
export function testUserDir(prefix: string): string {
  const dir = tempDir(prefix);
  const { uid, gid } = testUserIds();
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o755);
  return dir;
}
