import type { SFTPWrapper } from "ssh2";
import { sftpCall } from "./sftp-call.js";

const CHUNK = 32 * 1024;

/** Thrown by `sftpReadFileCapped` when the file holds more than the limit. */
export class SftpFileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
    this.name = "SftpFileTooLargeError";
  }
}

/**
 * Read a remote file, at most `limit` bytes: reading stops one chunk past the limit and throws,
 * so a huge (or endlessly growing) file never fills the bot's memory. ssh2's own `readFile`
 * allocates whatever size the server reports.
 */
export async function sftpReadFileCapped(sftp: SFTPWrapper, path: string, limit: number): Promise<Buffer> {
  const handle = await sftpCall<Buffer>((cb) => sftp.open(path, "r", cb));
  try {
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(CHUNK);
      const bytesRead = await new Promise<number>((resolve, reject) => {
        sftp.read(handle, buf, 0, CHUNK, total, (err, n) => (err ? reject(err) : resolve(n)));
      });
      if (bytesRead === 0) break;
      parts.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw new SftpFileTooLargeError(limit);
    }
    return Buffer.concat(parts);
  } finally {
    await sftpCall<void>((cb) => sftp.close(handle, cb)).catch(() => undefined);
  }
}
