import { createHash } from "node:crypto";
import ms from "ms";
import { OpsError } from "../../core/errors.js";
import { escapeEcho } from "../../core/validate.js";

/** Every slug matches this: a DNS label, a compose project suffix, a directory name. */
export const SLUG_PATTERN = /^[a-z0-9-]{1,63}$/;
/** A commit given with `--sha`. */
export const SHA_PATTERN = /^[0-9a-f]{7,40}$/;
export const MAX_BRANCH_LENGTH = 255;
/**
 * The longest slug `toSlug` makes: `preview-<slug>` is the compose project, the network name and
 * the DNS label, and a DNS label (and a compose project, for our compose client) holds at most
 * 63 characters, so the slug gets 63 - "preview-".length = 55.
 */
export const MAX_SLUG_LENGTH = 63 - "preview-".length;
/** A long slug keeps this many characters, then `-` + 8 hex of sha1: 46 + 1 + 8 = MAX_SLUG_LENGTH. */
const SLUG_HEAD = MAX_SLUG_LENGTH - 9;

const BRANCH_HINT = "Use the branch name as git shows it, e.g. feature/add-metrics.";

/**
 * Refuse branch names that cannot be a git ref we would act on: too long, control characters or
 * line breaks, `..`, a leading `-` (it would read as an option). Everything else is allowed here:
 * `toSlug` drops whatever is not a letter, digit or dash, so no other character reaches a host.
 */
export function validateBranch(raw: string): string {
  if (raw.length === 0) throw new OpsError("bad_input", "the branch name is empty", `${BRANCH_HINT} Type /preview <branch>.`);
  if (raw.length > MAX_BRANCH_LENGTH) {
    throw new OpsError("bad_input", `the branch name is ${raw.length} characters long; the limit is ${MAX_BRANCH_LENGTH}`, BRANCH_HINT);
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw)) {
    throw new OpsError("bad_input", "the branch name contains a line break or a control character", BRANCH_HINT);
  }
  if (raw.includes("..")) throw new OpsError("bad_input", 'the branch name contains ".."', BRANCH_HINT);
  if (raw.startsWith("-")) throw new OpsError("bad_input", 'the branch name starts with "-"', BRANCH_HINT);
  return raw;
}

/**
 * The preview's name, derived from the branch: NFKC, lowercase, `/` and `_` become `-`, every
 * other character outside `[a-z0-9-]` is dropped, dash runs collapse, dashes are trimmed. Over 55
 * characters (`MAX_SLUG_LENGTH`): the first 46 (without a trailing dash) + `-` + 8 hex of
 * sha1(raw branch), so two long branches sharing a prefix stay distinct. At most 55 characters,
 * so `preview-<slug>` (project, network, DNS label) fits in 63.
 */
export function toSlug(branch: string): string {
  let slug = branch
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[/_]/g, "-")
    .replace(/[^a-z0-9-]/g, "")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (slug.length === 0) {
    throw new OpsError("bad_input", "the branch name has no letters or digits (after dropping other characters)", BRANCH_HINT);
  }
  if (slug.length > MAX_SLUG_LENGTH) {
    const hash = createHash("sha1").update(branch, "utf8").digest("hex").slice(0, 8);
    slug = `${slug.slice(0, SLUG_HEAD).replace(/-+$/, "")}-${hash}`;
  }
  if (!SLUG_PATTERN.test(slug) || slug.length > MAX_SLUG_LENGTH) throw new Error(`slug invariant broken for a ${branch.length}-char branch`);
  return slug;
}

/** `validateBranch` then `toSlug`. */
export function branchToSlug(raw: string): string {
  return toSlug(validateBranch(raw));
}

export function validateSha(raw: string): string {
  if (!SHA_PATTERN.test(raw)) {
    throw new OpsError("bad_input", "--sha must be 7 to 40 lowercase hex digits", "Give a commit id such as --sha 3f2a9c1.");
  }
  return raw;
}

/** The shortest time to live or extension: a preview that expires sooner is gone before it is up. */
export const MIN_TTL_MS = 60_000;

/** A duration such as `3d`, parsed with `ms`; must be from `MIN_TTL_MS` to `maxMs`. Errors name the range. */
export function parseTtl(raw: string, maxMs: number, what = "--ttl"): number {
  const range = `from ${ms(MIN_TTL_MS)} to ${ms(maxMs)}`;
  const value = /^-?[0-9.]+\s*[a-z]*$/i.test(raw) ? ms(raw as ms.StringValue) : undefined;
  const shown = JSON.stringify(escapeEcho(raw, 40));
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new OpsError("bad_input", `${what} ${shown} is not a duration; it must be ${range}`, `Use a number with a unit (m, h, d or w), e.g. ${what} 12h or ${what} 3d.`);
  }
  if (value < MIN_TTL_MS || value > maxMs) {
    throw new OpsError("bad_input", `${what} ${shown} is ${value < MIN_TTL_MS ? "shorter than the minimum" : "longer than the maximum"}; it must be ${range}`, `Use a duration ${range}, e.g. ${what} 3d.`);
  }
  return value;
}
