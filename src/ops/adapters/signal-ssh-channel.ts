import { constants } from "node:os";
import type { ClientChannel } from "ssh2";

/** The parts of ssh2's Channel that `signal()` uses internally (not in its public types). */
interface ChannelInternals {
  outgoing?: { id?: number; state?: string };
  _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
}

/**
 * Send a signal request on an exec channel. ssh2's `channel.signal()` silently does nothing
 * once our side has sent EOF (`writable` is false), which is always the case here because
 * stdin is closed right after it is written; the SSH protocol allows signals after EOF and
 * OpenSSH honours them. So when the public method would drop it, send it the way the public
 * method does internally (the channel is then in state `eof`).
 */
export function signalChannel(ch: ClientChannel, signal: string): void {
  if (ch.writable) {
    ch.signal(signal);
    return;
  }
  const internals = ch as unknown as ChannelInternals;
  const id = internals.outgoing?.id;
  const protocol = internals._client?._protocol;
  const state = internals.outgoing?.state;
  if ((state === "open" || state === "eof") && typeof id === "number" && typeof protocol?.signal === "function") {
    protocol.signal(id, signal);
  }
}

/** A shell-style exit code for a process killed by `signal` (`KILL` or `SIGKILL`): 128 + its number. */
export function signalExitCode(signal: string | null): number {
  if (!signal) return 128;
  const key = (signal.startsWith("SIG") ? signal : `SIG${signal}`) as keyof typeof constants.signals;
  return 128 + (constants.signals[key] ?? 0);
}
