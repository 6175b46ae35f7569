/**
 * Docker's multiplexed log stream (a container without a TTY): frames of an 8-byte header —
 * stream type, three zero bytes, a big-endian payload length — then the payload. Returns the
 * payloads in order as text, stdout and stderr interleaved as Docker stored them. A truncated
 * last frame keeps what arrived.
 */
export function demuxDockerLogs(bytes: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= bytes.length) {
    const size = bytes.readUInt32BE(at + 4);
    parts.push(bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + size)));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}
