import { createHash } from "node:crypto";
import type { Button, Reply } from "../core/command.js";
import type { ButtonRef } from "../store/collections/button-refs.js";
import type { State } from "../store/state.js";
import type { Store } from "../store/store.js";

/** What a posted button does when clicked (schema: src/store/collections/button-refs.ts). */
export type { ButtonRef } from "../store/collections/button-refs.js";

export interface ButtonRefs {
  /** A short id (16 characters) for the button; the same button always gets the same id. */
  put(ref: Omit<ButtonRef, "expiresAt">): Promise<string>;
  get(id: string): ButtonRef | undefined;
}

export interface ButtonRefsOptions {
  /** When given, refs are persisted under `buttonRefs`, so buttons keep working after a restart. */
  store?: Store;
  ttlMs: number;
  clock?: () => Date;
}

/** The `buttonRefs` collection (validated with the whole state file when the store opens). */
export function buttonRefsIn(state: State): Record<string, ButtonRef> {
  return state.buttonRefs;
}

/**
 * Platform button payloads are small (Discord `custom_id` ≤ 100 characters, Telegram
 * `callback_data` ≤ 64 bytes), commands can be longer: a button carries an id into this map.
 * The id is a hash of the button, so re-rendering a message (every progress edit) adds nothing.
 * A forged or guessed id grants nothing: the command is dispatched through the router and
 * authorised as the person who clicked.
 */
export function createButtonRefs(options: ButtonRefsOptions): ButtonRefs {
  const clock = options.clock ?? (() => new Date());
  const memory = new Map<string, ButtonRef>();

  const live = (ref: ButtonRef | undefined): ButtonRef | undefined => (ref && Date.parse(ref.expiresAt) > clock().getTime() ? ref : undefined);

  return {
    async put(ref) {
      const id = createHash("sha256").update(JSON.stringify([ref.kind, ref.command, ref.confirm ?? ""])).digest("base64url").slice(0, 16);
      const now = clock().getTime();
      const known = memory.get(id);
      // Refresh only when half the lifetime has gone, so progress edits do not write state each time.
      if (known && Date.parse(known.expiresAt) - now > options.ttlMs / 2) return id;
      const entry: ButtonRef = { ...ref, expiresAt: new Date(now + options.ttlMs).toISOString() };
      memory.set(id, entry);
      if (options.store) {
        await options.store.update((s) => {
          const refs = buttonRefsIn(s);
          for (const [k, v] of Object.entries(refs)) if (Date.parse(v.expiresAt) <= now) delete refs[k];
          refs[id] = entry;
        });
      }
      return id;
    },
    get(id) {
      const inMemory = live(memory.get(id));
      if (inMemory || !options.store) return inMemory;
      const stored = Object.hasOwn(options.store.read().buttonRefs, id) ? options.store.read().buttonRefs[id] : undefined;
      if (!stored || !live(stored)) return undefined;
      memory.set(id, stored);
      return stored;
    },
  };
}

/**
 * Ids for a reply's buttons (Discord `custom_id`, Telegram `callback_data` are too short to carry
 * the command itself), each prefixed with the platform adapter's `prefix`.
 */
export async function putButtonIds(refs: ButtonRefs, buttons: readonly Button[], prefix: string): Promise<string[]> {
  const ids = await Promise.all(buttons.map((b) => refs.put({ kind: "run", command: b.command, ...(b.confirm ? { confirm: b.confirm } : {}) })));
  return ids.map((id) => `${prefix}${id}`);
}

/**
 * The confirmation a platform without native confirm dialogs posts before running a `run` ref
 * that carries `confirm`: Confirm dispatches the command, Cancel dismisses the prompt.
 */
export async function createConfirmPrompt(refs: ButtonRefs, ref: ButtonRef, prefix: string): Promise<{ reply: Reply; ids: string[] }> {
  const yes = await refs.put({ kind: "confirmed", command: ref.command });
  const no = await refs.put({ kind: "cancel", command: "" });
  return {
    reply: {
      status: "warning",
      title: ref.confirm ?? "Are you sure?",
      lines: [ref.command],
      buttons: [
        { label: "Confirm", command: ref.command, style: "danger" },
        { label: "Cancel", command: "", style: "default" },
      ],
    },
    ids: [`${prefix}${yes}`, `${prefix}${no}`],
  };
}
