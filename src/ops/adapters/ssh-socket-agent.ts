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
    const done = callback ?? (() => {});
    this.#connection().then(
      (client) => {
        try {
          client.openssh_forwardOutStreamLocal(this.#socketPath, (err, channel) => {
            if (err) done(err, undefined as unknown as Duplex); // the agent ignores the stream on error
            else done(null, channel);
          });
        } catch (e) {
          // ssh2 throws synchronously when the connection is already closed.
          done(e instanceof Error ? e : new Error(String(e)), undefined as unknown as Duplex);
        }
      },
      (e: unknown) => done(e instanceof Error ? e : new Error(String(e)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}
