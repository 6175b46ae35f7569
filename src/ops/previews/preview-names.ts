import { posix } from "node:path";
import type { Previews } from "../../config/schema.js";
import { SLUG_PATTERN } from "./slug.js";
import { PREVIEW_LABEL } from "./render-template.js";

export interface PreviewNames {
  slug: string;
  project: string;
  network: string;
  hostname: string;
  url: string;
  dir: string;
  composeFile: string;
  envFile: string;
  lockFile: string;
  /** `opsdeck.preview=<slug>`, for docker label filters. */
  label: string;
}

/**
 * Every name a preview uses, from its slug. The directory is checked to be exactly one level
 * inside `baseDir`, so an `rm -rf` of it can never reach anything else.
 */
export function getPreviewNames(config: Previews, baseDir: string, slug: string): PreviewNames {
  if (!SLUG_PATTERN.test(slug)) throw new Error(`not a slug: ${JSON.stringify(slug)}`);
  const base = posix.normalize(baseDir).replace(/\/+$/, "");
  if (!posix.isAbsolute(base) || base === "" || base === "/") throw new Error(`preview base directory must be absolute and not /: ${baseDir}`);
  const dir = posix.join(base, slug);
  if (posix.dirname(dir) !== base || posix.basename(dir) !== slug) throw new Error(`preview directory ${dir} is not inside ${base}`);
  const label = previewDnsLabel(slug);
  const hostname = `${label}.${config.domain}`;
  return {
    slug,
    // Project, network and DNS label are one name of at most 63 characters: compose (and our
    // compose client) refuse longer project names, and a DNS label holds 63.
    project: label,
    network: label,
    hostname,
    url: config.url.replaceAll("{hostname}", hostname).replaceAll("{slug}", slug),
    dir,
    composeFile: posix.join(dir, "docker-compose.yml"),
    envFile: posix.join(dir, ".env"),
    lockFile: posix.join(base, `.${slug}.lock`),
    label: `${PREVIEW_LABEL}=${slug}`,
  };
}

/**
 * The DNS label (and compose project and network name) of a preview: `preview-<slug>`. `toSlug`
 * makes slugs of at most 55 characters, so this is at most 63. A longer slug (made by an older
 * opsdeck, up to 59) is cut in the middle, keeping the sha1 suffix that makes long slugs distinct.
 */
export function previewDnsLabel(slug: string): string {
  const label = `preview-${slug}`;
  if (label.length <= 63) return label;
  const head = slug.slice(0, 63 - "preview-".length - 9).replace(/-+$/, "");
  return `preview-${head}-${slug.slice(-8)}`;
}
