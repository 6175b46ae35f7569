import { StringDecoder } from "node:string_decoder";

/** Default cap on what a command's result keeps of each stream (head + tail together). */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024;
/** What a result keeps of a stream that also goes to a callback: enough for an error's tail. */
export const STREAMED_OUTPUT_LIMIT_BYTES = 16 * 1024;
/** Room kept for the marker between head and tail. */
const MARKER_BYTES = 64;

/**
 * One output stream of a command, kept within `limitBytes` of UTF-8: the first half and the last
 * half. A command printing 50 MiB costs at most the limit in memory, and the result shows both
 * how it started and how it ended, with a marker saying how much was left out between them.
 */
export interface BoundedOutput {
  push(chunk: Buffer): void;
  /** Whether anything was left out. */
  readonly truncated: boolean;
  /** The kept text: all of it, or head + marker + tail (never more than the limit in UTF-8). */
  text(): string;
}

export function createBoundedOutput(limitBytes: number = DEFAULT_OUTPUT_LIMIT_BYTES): BoundedOutput {
  const budget = Math.max(2, limitBytes - MARKER_BYTES);
  const headMax = Math.floor(budget / 2);
  const tailMax = budget - headMax;
  const head: Buffer[] = [];
  let headLen = 0;
  let tail: Buffer[] = [];
  let tailLen = 0;
  let total = 0;

  function pushTail(chunk: Buffer): void {
    tail.push(chunk);
    tailLen += chunk.length;
    // Drop whole chunks that are no longer needed; cut the first one only when text() runs.
    while (tail.length > 1 && tailLen - (tail[0]?.length ?? 0) >= tailMax) {
      tailLen -= tail.shift()?.length ?? 0;
    }
    if (tail.length > 64) {
      const joined = Buffer.concat(tail).subarray(-tailMax);
      tail = [Buffer.from(joined)]; // a copy: do not keep the large joined buffer alive
      tailLen = joined.length;
    }
  }

  return {
    push(chunk) {
      total += chunk.length;
      if (headLen < headMax) {
        const take = Math.min(headMax - headLen, chunk.length);
        head.push(Buffer.from(chunk.subarray(0, take)));
        headLen += take;
        if (take < chunk.length) pushTail(Buffer.from(chunk.subarray(take)));
        return;
      }
      pushTail(Buffer.from(chunk));
    },
    get truncated() {
      return total > headLen + tailMax;
    },
    text() {
      const all = Buffer.concat([...head, ...tail]);
      if (total <= headLen + tailMax) return decodeWhole(all);
      const omitted = total - headLen - tailMax;
      const tailBuf = Buffer.concat(tail).subarray(-tailMax);
      return `${decodeHead(Buffer.concat(head))}\n… [${omitted} bytes of output omitted] …\n${decodeTail(tailBuf)}`;
    },
  };
}

function decodeWhole(buf: Buffer): string {
  const d = new StringDecoder("utf8");
  return d.write(buf) + d.end();
}

/** The head may end inside a character: drop the incomplete bytes instead of showing U+FFFD. */
function decodeHead(buf: Buffer): string {
  return new StringDecoder("utf8").write(buf);
}

/** The tail may start inside a character: skip UTF-8 continuation bytes at its start. */
function decodeTail(buf: Buffer): string {
  let start = 0;
  while (start < buf.length && start < 4 && ((buf[start] ?? 0) & 0xc0) === 0x80) start++;
  return decodeWhole(buf.subarray(start));
}
