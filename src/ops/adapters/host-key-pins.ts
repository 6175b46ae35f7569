import type { Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { HostKeyPin } from "../../store/state.js";
import type { Store } from "../../store/store.js";

/**
 * Trust on first use for SSH host keys, for hosts without `host_key_fingerprint` in the config
 * (which always wins). The first key a host shows is pinned in state and announced on the alert
 * channel, so someone can compare it with the host; any other key later is refused until an
 * operator accepts it with `opsdeck trust-host <host> <fingerprint>`.
 */
export interface HostKeyPins {
  /** Accept `fingerprint` for `host` (pinning it when the host has no pin yet) or throw `HostKeyChangedError`. */
  check(host: string, address: string, fingerprint: string): Promise<void>;
}

export interface HostKeyPinsOptions {
  store: Store;
  /** The alert channel (may queue until the chat platforms are up). */
  notify(reply: Reply): Promise<void>;
  clock?: () => Date;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** A host showed a key other than its pinned one: possibly someone in the middle. */
export class HostKeyChangedError extends OpsError {
  constructor(host: string, address: string, readonly got: string, readonly pinned: string) {
    super(
      "config",
      `${host}: the SSH host key of ${address} changed: it is now ${got}, the pinned key is ${pinned}; opsdeck did not connect`,
      `If the host was rebuilt or its keys rotated, check the new key on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and, only when it matches, accept it with: opsdeck trust-host ${host} ${got} (with the bot stopped), or set hosts.${host}.host_key_fingerprint. Otherwise someone may be intercepting the connection: do not accept it.`,
    );
    this.name = "HostKeyChangedError";
  }
}

export function createHostKeyPins(options: HostKeyPinsOptions): HostKeyPins {
  const clock = options.clock ?? (() => new Date());
  return {
    async check(host, address, fingerprint) {
      const outcome = await options.store.update((s): { pinned: "new" | "same" } | { changed: string } => {
        const pins = (s.hostKeys ??= {});
        const pin = Object.hasOwn(pins, host) ? pins[host] : undefined;
        if (pin === undefined) {
          pins[host] = { fingerprint, address, firstSeenAt: clock().toISOString() } satisfies HostKeyPin;
          return { pinned: "new" };
        }
        return pin.fingerprint === fingerprint ? { pinned: "same" } : { changed: pin.fingerprint };
      });
      if ("changed" in outcome) {
        const err = new HostKeyChangedError(host, address, fingerprint, outcome.changed);
        await options
          .notify({ status: "failure", title: `SSH host key of ${host} changed: connection refused`, lines: [err.message], nextStep: err.nextStep })
          .catch(() => undefined);
        throw err;
      }
      if (outcome.pinned === "new") {
        await options
          .notify({
            status: "warning",
            title: `SSH host key of ${host} pinned on first use`,
            lines: [`${address} showed ${fingerprint}; later connections accept only this key.`],
            nextStep: `Compare it with the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); if it differs, stop the bot and set hosts.${host}.host_key_fingerprint to the right key.`,
          })
          .catch(() => undefined);
      }
    },
  };
}

/**
 * Accept `fingerprint` as the key of `host` (replacing any pin): what an operator runs after
 * checking a changed key on the host. Returns the fingerprint it replaced, if any.
 */
export async function trustHostKey(store: Store, host: string, fingerprint: string, clock: () => Date = () => new Date()): Promise<string | undefined> {
  if (!FINGERPRINT.test(fingerprint)) {
    throw new OpsError("bad_input", `"${fingerprint.slice(0, 80)}" is not an SSH key fingerprint`, "Give it as OpenSSH prints it, e.g. SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s (ssh-keygen -lf <key>.pub).");
  }
  return store.update((s) => {
    const pins = (s.hostKeys ??= {});
    const previous = Object.hasOwn(pins, host) ? pins[host] : undefined;
    pins[host] = { fingerprint, address: previous?.address ?? "", firstSeenAt: clock().toISOString() };
    return previous?.fingerprint;
  });
}
