import { CONFIG_NAME } from "../../config/common-schemas.js";
import type { Environments } from "../../config/environments-config.js";
import type { Seed, Seeds } from "../../config/seed-config.js";
import { OpsError } from "../../core/errors.js";
import { escapeEcho } from "../../core/validate.js";
import { ownValue } from "../../core/own-value.js";


/** Environments that may be seeded: configured under `seed:` and not protected. */
export function seedableEnvironments(seeds: Seeds, environments: Environments): string[] {
  return Object.keys(seeds).filter((name) => ownValue(environments, name) !== undefined && ownValue(environments, name)?.protected !== true);
}

/**
 * The seed config for `raw`, or an error that says why not. A protected environment is refused
 * always, whatever the seed config says; it is checked before anything else.
 */
export function resolveSeedTarget(raw: string | undefined, seeds: Seeds, environments: Environments): { env: string; seed: Seed } {
  const valid = seedableEnvironments(seeds, environments);
  const listing = valid.length > 0 ? `Environments that can be seeded: ${valid.join(", ")}.` : "No environment can be seeded: add one under seed: in the config.";
  if (raw === undefined || raw === "") throw new OpsError("bad_input", "which environment? /seed needs one", `Type /seed <env>. ${listing}`);
  if (!CONFIG_NAME.test(raw)) {
    throw new OpsError("bad_input", `"${escapeEcho(raw, 40)}" is not an environment name`, `Environment names are lowercase letters, digits and dashes. ${listing}`);
  }
  const env = ownValue(environments, raw);
  if (env?.protected) {
    throw new OpsError("forbidden", `${raw} is a protected environment and is never seeded`, `Seeding replaces its databases; it is refused for protected environments. ${listing}`);
  }
  const seed = ownValue(seeds, raw);
  if (!env || !seed) throw new OpsError("not_found", `${raw} cannot be seeded: it has no seed configuration`, listing);
  return { env: raw, seed };
}
