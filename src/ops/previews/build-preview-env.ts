import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { PreviewNames } from "./preview-names.js";

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
/** Generated values are base64url; anything else in an old `.env` is not ours to keep. */
const ENV_VALUE = /^[A-Za-z0-9_-]{16,}$/;

export interface PreviewEnvDeps {
  host: HostShell;
  redact: Redactor;
  /** Names from `previews.credentials`. */
  credentials: readonly string[];
  generateSecret: () => string;
}

/** The redactor scope of a preview's credentials: `destroy` unregisters it. */
export function previewSecretScope(slug: string): string {
  return `preview:${slug}`;
}

/**
 * The preview's `.env`: non-secret values for compose (`COMPOSE_PROJECT_NAME`…) and one generated
 * credential per configured name. Credentials already in an existing `.env` are kept on a
 * redeploy (a volume's database was initialised with them). Every credential is registered with
 * the redactor before it goes anywhere, so it can never show up in a reply, log or audit line.
 */
export async function buildPreviewEnv(deps: PreviewEnvDeps, n: PreviewNames, ref: string): Promise<string> {
  const existing = new Map<string, string>();
  const old = await deps.host.readFile(n.envFile);
  for (const line of (old ?? "").split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined && ENV_VALUE.test(m[2])) existing.set(m[1], m[2]);
  }
  const lines = [
    "# Written by opsdeck. Holds this preview's generated credentials: keep it private (mode 600).",
    `COMPOSE_PROJECT_NAME=${n.project}`,
    `PREVIEW_SLUG=${n.slug}`,
    `PREVIEW_HOSTNAME=${n.hostname}`,
    `PREVIEW_REF=${ref}`,
  ];
  for (const name of deps.credentials) {
    if (!ENV_NAME.test(name)) throw new OpsError("config", "previews.credentials has an invalid name", "Use names such as DB_PASSWORD.");
    const value = existing.get(name) ?? deps.generateSecret();
    if (!ENV_VALUE.test(value)) throw new Error("a generated credential has an unexpected shape (want base64url, 16+ characters)");
    deps.redact.add(value, previewSecretScope(n.slug));
    lines.push(`${name}=${value}`);
  }
  return `${lines.join("\n")}\n`;
}
