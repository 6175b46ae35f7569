import { OpsError } from "../../core/errors.js";
import { escapeEcho } from "../../core/validate.js";

export const MAX_REF_LENGTH = 128;

/** `sha-` and 7..40 lowercase hex digits: the image tag CI gives a commit. */
const SHA_TAG = /^sha-[0-9a-f]{7,40}$/;
/** A semver tag with optional `v`, pre-release and build parts (semver.org's grammar, `+` excluded: not valid in image tags). */
const SEMVER_TAG = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** Whatever a pattern says, a ref must also be a valid image tag: this is the outer bound. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Check a ref typed in chat before anything runs: `sha-<7..40 hex>`, a semver tag, or the
 * environment's `ref_pattern`. The result is always a valid Docker image tag, so it is safe in
 * `.env` and on a command line (and is still quoted there).
 */
export function validateRef(ref: string | undefined, refPattern?: string): string {
  const expected = refPattern ? `a tag matching ${refPattern}` : "sha-<7..40 hex digits> (e.g. sha-1a2b3c4) or a semver tag (e.g. v1.4.2)";
  if (ref === undefined || ref.length === 0) {
    throw new OpsError("bad_input", "no ref given", `Name the image tag to deploy: ${expected}.`);
  }
  if (ref.length > MAX_REF_LENGTH) {
    throw new OpsError("bad_input", `the ref is ${ref.length} characters long; the limit is ${MAX_REF_LENGTH}`, `Use ${expected}.`);
  }
  const matchesPattern = refPattern ? new RegExp(refPattern).test(ref) : SHA_TAG.test(ref) || SEMVER_TAG.test(ref);
  if (!matchesPattern || !IMAGE_TAG.test(ref)) {
    throw new OpsError("bad_input", `"${escapeEcho(ref, 40)}" is not a valid ref`, `Use ${expected}.`);
  }
  return ref;
}
