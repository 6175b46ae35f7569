/**
 * Feeds a newline-delimited JSON stream in arbitrary chunks (an object may be split across
 * chunks, or several may arrive in one) and calls `onValue` for each complete line that parses.
 * Lines that are not JSON are passed to `onBadLine` (default: ignored).
 */
export function createJsonLineSplitter(onValue: (value: unknown) => void, onBadLine: (line: string) => void = () => {}): (chunk: Buffer | string) => void {
  let pending = "";
  const decoder = new TextDecoder("utf-8");
  return (chunk) => {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf("\n");
    while (nl !== -1) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== "") {
        let value: unknown;
        let ok = true;
        try {
          value = JSON.parse(line);
        } catch {
          ok = false;
        }
        if (ok) onValue(value);
        else onBadLine(line);
      }
      nl = pending.indexOf("\n");
    }
  };
}
