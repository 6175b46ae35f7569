import type { Access } from "../config/schema.js";
import { actorKey, type Actor, type Permission } from "./command.js";
import { ownValue } from "./own-value.js";

export type AuthorizeFn = (actor: Actor, permission: Permission) => { allowed: true } | { allowed: false; reason: string };

/** Roles an identity holds. */
export function rolesOf(access: Access, actor: Actor): string[] {
  const key = actorKey(actor);
  return Object.entries(access.roles)
    .filter(([, members]) => members.includes(key))
    .map(([role]) => role);
}

/**
 * Deny by default. Read-only commands: any known user (holding any role). Others: the rule for
 * `command subcommand`, else for `command`, names the roles allowed; `admin` may do everything.
 * Jobs run as the scheduler and are always allowed.
 */
export function createAuthorize(access: Access): AuthorizeFn {
  return (actor, permission) => {
    if (actor.platform === "job") return { allowed: true };
    const roles = rolesOf(access, actor);
    if (roles.length === 0 && !permission.readOnly) {
      return { allowed: false, reason: `${actorKey(actor)} holds no role; ask an admin to add this id under access.roles` };
    }
    if (roles.length === 0) {
      return { allowed: false, reason: `${actorKey(actor)} is not a known user; ask an admin to add this id under access.roles` };
    }
    if (permission.readOnly || roles.includes("admin")) return { allowed: true };
    const [cmd] = permission.key.split(" ");
    const scoped = (k: string | undefined): string[] | undefined => (k && permission.env ? ownValue(access.rules, `${k}@${permission.env}`) : undefined);
    const needed = scoped(permission.key) ?? scoped(cmd) ?? ownValue(access.rules, permission.key) ?? ownValue(access.rules, cmd ?? "") ?? [];
    if (needed.some((r) => roles.includes(r))) return { allowed: true };
    return {
      allowed: false,
      reason: needed.length > 0 ? `"${permission.key}" needs one of the roles: ${needed.join(", ")}` : `"${permission.key}" is allowed to admins only (no rule in access.rules)`,
    };
  };
}
