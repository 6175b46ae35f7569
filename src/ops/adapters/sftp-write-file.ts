import type { SFTPWrapper } from "ssh2";
import { sftpCall } from "./sftp-call.js";

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
