import type { Client, ClientChannel } from "ssh2";

export interface SshExecChannelOptions {
  /** Written to the command's standard input, then closed (closed at once when absent). */
  stdin?: string | undefined;
  onChannel?: (channel: ClientChannel) => void;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
}

export interface SshExecEnd {
  code: number | null;
  signal: string | null;
}

/**
 * Run one command line on an ssh2 connection and hand every output chunk to the callbacks as it
 * arrives. Unlike node-ssh's `execCommand`, nothing is accumulated here: the caller decides what
 * to keep (see bounded-output.ts), so a command printing gigabytes costs no memory.
 */
export function execSshChannel(client: Client, command: string, options: SshExecChannelOptions): Promise<SshExecEnd> {
  return new Promise<SshExecEnd>((resolve, reject) => {
    client.on("error", reject);
    const started = (err: Error | undefined, channel: ClientChannel): void => {
      client.removeListener("error", reject);
      if (err) {
        reject(err);
        return;
      }
      options.onChannel?.(channel);
      channel.on("data", (chunk: Buffer) => options.onStdout(chunk));
      channel.stderr.on("data", (chunk: Buffer) => options.onStderr(chunk));
      if (options.stdin !== undefined) channel.write(options.stdin);
      channel.end();
      let code: number | null = null;
      let signal: string | null = null;
      channel.on("exit", (c: number | null, s?: string) => {
        code = c ?? null;
        signal = s ?? null;
      });
      channel.on("close", () => resolve({ code, signal }));
    };
    try {
      client.exec(command, {}, started);
    } catch (e) {
      // ssh2 throws "Not connected" synchronously when the socket is already gone.
      client.removeListener("error", reject);
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
