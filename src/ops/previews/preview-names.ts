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
  const hostname = `preview-${slug}.${config.domain}`;
  return {
    slug,
    project: `preview-${slug}`,
    network: `preview-${slug}`,
    hostname,
    url: config.url.replaceAll("{hostname}", hostname).replaceAll("{slug}", slug),
    dir,
    composeFile: posix.join(dir, "docker-compose.yml"),
    envFile: posix.join(dir, ".env"),
    lockFile: posix.join(base, `.${slug}.lock`),
    label: `${PREVIEW_LABEL}=${slug}`,
  };
}
