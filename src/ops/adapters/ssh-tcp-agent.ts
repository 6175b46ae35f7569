import { Agent, type ClientRequestArgs } from "node:http";
import type { Duplex } from "node:stream";
import type { Client } from "ssh2";

/**
 * An `http.Agent` whose connections are `direct-tcpip` channels to a loopback port on the SSH
 * host (e.g. Caddy's admin API on 127.0.0.1:2019), on the one shared ssh2 connection. Needs
 * `AllowTcpForwarding` on the host; prefer a unix socket (`SshSocketAgent`) where it is off.
 */
export class SshTcpAgent extends Agent {
  readonly #connection: () => Promise<Client>;
  readonly #host: string;
  readonly #port: number;

  constructor(connection: () => Promise<Client>, host: string, port: number) {
    super({ keepAlive: false });
    this.#connection = connection;
    this.#host = host;
    this.#port = port;
  }

  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const done = (err: Error | null, stream?: Duplex): void => callback?.(err, stream as Duplex);
    const fail = (e: unknown): void => done(e instanceof Error ? e : new Error(String(e)));
    this.#connection().then((client) => {
      try {
        client.forwardOut("127.0.0.1", 0, this.#host, this.#port, (err, channel) => (err ? done(err) : done(null, channel)));
      } catch (e) {
        fail(e);
      }
    }, fail);
    return undefined;
  }
}
