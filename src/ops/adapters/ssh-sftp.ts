// SFTP for the ssh host shell: promise form of ssh2's callbacks, a capped read, an atomic write.
import type { SFTPWrapper } from "ssh2";

/** Promise form of one ssh2 SFTP callback call: `await sftpCall((cb) => sftp.close(handle, cb))`. */
export function sftpCall<T>(start: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (e) {
      // ssh2 throws synchronously for some misuse (e.g. an unsupported extension).
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

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

/** SFTP status code for a missing file. */
export const SFTP_NO_SUCH_FILE = 2;

/**
 * Write `data` to `temp` (created exclusively) and rename it over `target` with
 * `posix-rename@openssh.com`, which replaces an existing file atomically. `mode` defaults to
 * 0644 (less the server's umask).
 */
export async function sftpWriteFileAtomic(sftp: SFTPWrapper, temp: string, target: string, data: Buffer, mode?: number): Promise<void> {
  // The mode is part of the open request, so the file is never readable by others, not even
  // while it is written. The server's umask can only remove bits; fchmod at the end restores
  // any it removed (never more than was asked for).
  const handle = await sftpCall<Buffer>((cb) => sftp.open(temp, "wx", { mode: mode ?? 0o644 }, cb));
  try {
    let offset = 0;
    while (offset < data.length) {
      const len = Math.min(32 * 1024, data.length - offset);
      await sftpCall<void>((cb) => sftp.write(handle, data, offset, len, offset, cb));
      offset += len;
    }
    if (mode !== undefined) await sftpCall<void>((cb) => sftp.fchmod(handle, mode, cb));
  } finally {
    await sftpCall<void>((cb) => sftp.close(handle, cb));
  }
  await sftpCall<void>((cb) => sftp.ext_openssh_rename(temp, target, cb));
}
