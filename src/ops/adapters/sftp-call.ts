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
