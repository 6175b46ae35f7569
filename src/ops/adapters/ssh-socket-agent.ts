import { Agent, type ClientRequestArgs } from "node:http";
import type { Duplex } from "node:stream";
import type { Client, ClientChannel } from "ssh2";

type OpenChannel = (client: Client, callback: (err: Error | undefined, channel: ClientChannel) => void) => void;

/**
 * An `http.Agent` whose connections are channels on the one shared ssh2 connection. A channel
 * opens in about a millisecond where a new SSH connection per request (dockerode's
 * `protocol: "ssh"`) costs ~0.3 s. Channels are not reused (no keepAlive): each request gets its
 * own, closed when the response ends. The subclasses below say which channel.
 */
abstract class SshChannelAgent extends Agent {
  readonly #connection: () => Promise<Client>;
  readonly #open: OpenChannel;

  protected constructor(connection: () => Promise<Client>, open: OpenChannel) {
    super({ keepAlive: false });
    this.#connection = connection;
    this.#open = open;
  }

  /** The asynchronous form: the agent waits for `callback` (see Node's http.Agent docs). */
  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    // The agent ignores the stream argument when an error is passed.
    const done = (err: Error | null, stream?: Duplex): void => callback?.(err, stream as Duplex);
    const fail = (e: unknown): void => done(e instanceof Error ? e : new Error(String(e)));
    this.#connection().then((client) => {
      try {
        this.#open(client, (err, channel) => (err ? done(err) : done(null, channel)));
      } catch (e) {
        fail(e); // ssh2 throws synchronously when the connection is already closed
      }
    }, fail);
    return undefined;
  }
}

/** `direct-streamlocal@openssh.com` channels to a Unix socket on the SSH host (the Docker socket). */
export class SshSocketAgent extends SshChannelAgent {
  constructor(connection: () => Promise<Client>, socketPath: string) {
    super(connection, (client, cb) => client.openssh_forwardOutStreamLocal(socketPath, cb));
  }
}

/**
 * `direct-tcpip` channels to a loopback port on the SSH host (e.g. Caddy's admin API on
 * 127.0.0.1:2019). Needs `AllowTcpForwarding` on the host; prefer a unix socket
 * (`SshSocketAgent`) where it is off.
 */
export class SshTcpAgent extends SshChannelAgent {
  constructor(connection: () => Promise<Client>, host: string, port: number) {
    super(connection, (client, cb) => client.forwardOut("127.0.0.1", 0, host, port, cb));
  }
}
