import { createHash } from "node:crypto";
import ms from "ms";
import { OpsError } from "../../core/errors.js";

/** Every slug matches this: a DNS label, a compose project suffix, a directory name. */
export const SLUG_PATTERN = /^[a-z0-9-]{1,63}$/;
/** A commit given with `--sha`. */
export const SHA_PATTERN = /^[0-9a-f]{7,40}$/;
export const MAX_BRANCH_LENGTH = 255;
const SLUG_HEAD = 50;

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
 * other character outside `[a-z0-9-]` is dropped, dash runs collapse, dashes are trimmed. Over 50
 * characters: the first 50 (without a trailing dash) + `-` + 8 hex of sha1(raw branch), so two
 * long branches sharing a prefix stay distinct. Always matches `SLUG_PATTERN` (at most 59 chars).
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
  if (slug.length > SLUG_HEAD) {
    const hash = createHash("sha1").update(branch, "utf8").digest("hex").slice(0, 8);
    slug = `${slug.slice(0, SLUG_HEAD).replace(/-+$/, "")}-${hash}`;
  }
  if (!SLUG_PATTERN.test(slug)) throw new Error(`slug invariant broken for a ${branch.length}-char branch`);
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

/** A duration such as `3d`, parsed with `ms`; must be > 0 and at most `maxMs`. */
export function parseTtl(raw: string, maxMs: number, what = "--ttl"): number {
  const value = /^[0-9.]+\s*[a-z]*$/i.test(raw) ? ms(raw as ms.StringValue) : undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new OpsError("bad_input", `${what} must be a duration such as 12h, 3d or 1w`, "Use a number with a unit: s, m, h, d or w.");
  }
  if (value > maxMs) {
    throw new OpsError("bad_input", `${what} is longer than the maximum of ${ms(maxMs, { long: true })}`, `Use at most ${ms(maxMs)}.`);
  }
  return value;
}
