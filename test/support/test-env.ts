// Shared test infrastructure description, written by `bash scripts/test-setup.sh` to
// `.test-env/env.json` (sshd on 127.0.0.1:2222 for the `opsdeck` user, local docker images,
// PostgreSQL and Redis binaries).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface TestImages {
  /** Static busybox image; default command: `httpd -f -p 8080 -h /www`, with a HEALTHCHECK. */
  busybox: string;
  /** Same image with `/www/index.html` = `version v1`, `version v2`, `version v3`. */
  app: string[];
}

/** The shared Caddy started by test-setup (as `sshUser`, loopback only). */
export interface TestCaddy {
  /** Admin API unix socket, reachable as `sshUser` over SSH. */
  adminSocket: string;
  /** The preview server `srv0` listens on 127.0.0.1:<httpsPort>. */
  httpsPort: number;
  server: string;
  /** Caddy's data directory (`XDG_DATA_HOME`); the local CA's root is `rootCert`. */
  dataDir: string;
  rootCert: string;
}

export interface TestEnv {
  sshHost: string;
  sshPort: number;
  sshUser: string;
  /** Absolute path of the unencrypted ed25519 private key authorised for `sshUser`. */
  sshKeyPath: string;
  /** known_hosts file with the test sshd's host keys (`[127.0.0.1]:2222 ...`). */
  knownHostsPath: string;
  /** Directory owned by `sshUser`, for preview checkouts. */
  previewsDir: string;
  dockerSocket: string;
  images: TestImages;
  /** Directory holding `initdb`, `pg_ctl`, `postgres`, e.g. `/usr/lib/postgresql/15/bin`. */
  pgBin: string;
  /** Absolute path of the `redis-server` binary. */
  redisServer: string;
  /** Absent in an env.json written before test-setup started Caddy. */
  caddy?: TestCaddy;
}

/** Repository root, with a trailing slash. */
export const repoRoot: string = fileURLToPath(new URL("../../", import.meta.url));
export const testEnvPath: string = fileURLToPath(new URL("../../.test-env/env.json", import.meta.url));

const SETUP_HINT = "run bash scripts/test-setup.sh first";

let cached: TestEnv | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(obj: Record<string, unknown>, key: string): string {
  const value = obj[key];
  if (typeof value !== "string" || value === "") {
    throw new Error(`${testEnvPath}: "${key}" must be a non-empty string (${SETUP_HINT})`);
  }
  return value;
}

function parseCaddy(c: Record<string, unknown>): TestCaddy {
  const httpsPort = c["httpsPort"];
  if (typeof httpsPort !== "number") throw new Error(`${testEnvPath}: "caddy.httpsPort" must be a number (${SETUP_HINT})`);
  return { adminSocket: str(c, "adminSocket"), httpsPort, server: str(c, "server"), dataDir: str(c, "dataDir"), rootCert: str(c, "rootCert") };
}

function parseTestEnv(raw: unknown): TestEnv {
  if (!isRecord(raw)) throw new Error(`${testEnvPath}: not a JSON object (${SETUP_HINT})`);
  const sshPort = raw["sshPort"];
  if (typeof sshPort !== "number" || !Number.isInteger(sshPort)) {
    throw new Error(`${testEnvPath}: "sshPort" must be an integer (${SETUP_HINT})`);
  }
  const images = raw["images"];
  if (!isRecord(images)) throw new Error(`${testEnvPath}: "images" must be an object (${SETUP_HINT})`);
  const app = images["app"];
  if (!Array.isArray(app) || app.length === 0 || !app.every((x): x is string => typeof x === "string")) {
    throw new Error(`${testEnvPath}: "images.app" must be a non-empty array of strings (${SETUP_HINT})`);
  }
  return {
    sshHost: str(raw, "sshHost"),
    sshPort,
    sshUser: str(raw, "sshUser"),
    sshKeyPath: str(raw, "sshKeyPath"),
    knownHostsPath: str(raw, "knownHostsPath"),
    previewsDir: str(raw, "previewsDir"),
    dockerSocket: str(raw, "dockerSocket"),
    images: { busybox: str(images, "busybox"), app },
    pgBin: str(raw, "pgBin"),
    redisServer: str(raw, "redisServer"),
    ...(isRecord(raw["caddy"]) ? { caddy: parseCaddy(raw["caddy"]) } : {}),
  };
}

/** Reads `.test-env/env.json`; throws a clear error when test-setup has not been run. */
export function loadTestEnv(): TestEnv {
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(testEnvPath, "utf8");
  } catch (err) {
    const code = isRecord(err) ? err["code"] : undefined;
    if (code === "ENOENT") {
      throw new Error(`test environment not prepared: ${testEnvPath} is missing; ${SETUP_HINT}`);
    }
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${testEnvPath} is not valid JSON (${SETUP_HINT}): ${String(err)}`);
  }
  cached = parseTestEnv(raw);
  return cached;
}

let counter = 0;
const MAX_NAME_LENGTH = 63; // one DNS label

/**
 * A name that is unique across parallel test workers sharing one dockerd:
 * `${prefix}-${pid}-${counter}-${4 random hex}`, lowercase, `[a-z0-9-]` only, at most 63
 * characters, starting with a letter or digit (valid as a DNS label, container, network,
 * volume and compose project name).
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const suffix = `-${process.pid}-${counter}-${randomBytes(2).toString("hex")}`;
  let base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (base === "") base = "t";
  base = base.slice(0, MAX_NAME_LENGTH - suffix.length).replace(/-+$/, "");
  return `${base}${suffix}`;
}
