import { Agent, type ClientRequestArgs } from "node:http";
import type { Duplex } from "node:stream";
import type { Client } from "ssh2";

/**
 * An `http.Agent` whose connections are `direct-streamlocal@openssh.com` channels to a Unix
 * socket on the SSH host (the Docker socket), all on one shared ssh2 connection. A channel
 * opens in about a millisecond where a new SSH connection per request (dockerode's
 * `protocol: "ssh"`) costs ~0.3 s. Channels are not reused (no keepAlive): each request gets its
 * own, closed when the response ends.
 */
export class SshSocketAgent extends Agent {
  readonly #connection: () => Promise<Client>;
  readonly #socketPath: string;

  constructor(connection: () => Promise<Client>, socketPath: string) {
    super({ keepAlive: false });
    this.#connection = connection;
    this.#socketPath = socketPath;
  }

  /** The asynchronous form: the agent waits for `callback` (see Node's http.Agent docs). */
  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    // The agent ignores the stream argument when an error is passed.
    const done = (err: Error | null, stream?: Duplex): void => callback?.(err, stream as Duplex);
    const fail = (e: unknown): void => done(e instanceof Error ? e : new Error(String(e)));
    this.#connection().then((client) => {
      try {
        client.openssh_forwardOutStreamLocal(this.#socketPath, (err, channel) => (err ? done(err) : done(null, channel)));
      } catch (e) {
        fail(e); // ssh2 throws synchronously when the connection is already closed
      }
    }, fail);
    return undefined;
  }
}
