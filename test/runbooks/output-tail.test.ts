import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/core/redact.js";
import { createOutputTail } from "../../src/ops/runbooks/output-tail.js";

describe("output tail", () => {
  it("redacts a secret split across chunks and before truncating", () => {
    const redact = createRedactor(["s3cr3t-value-123"]);
    const tail = createOutputTail(redact, { maxLines: 3, maxChars: 100 });
    for (const chunk of ["line a\nkey s3cr3t-", "value-123 end\n", "b\nc\n", "d s3cr3t-value", "-123\n"]) tail.push(chunk);
    expect(tail.text()).toBe("b\nc\nd [REDACTED]");
    expect(tail.truncated()).toBe(true);
  });

  it("keeps at most maxChars, starting at a line boundary", () => {
    const tail = createOutputTail(createRedactor(), { maxLines: 1000, maxChars: 50 });
    for (let i = 0; i < 200; i++) tail.push(`row ${i}\n`);
    const text = tail.text();
    expect(text.length).toBeLessThanOrEqual(50);
    expect(text.startsWith("row ")).toBe(true);
    expect(text.endsWith("row 199")).toBe(true);
  });

  it("never shows part of a secret that fell out of the redaction window", () => {
    const secret = "very-secret-token-abcdef";
    const tail = createOutputTail(createRedactor([secret]), { maxLines: 5, maxChars: 200, windowChars: 1000 });
    tail.push(`${secret}\n`);
    for (let i = 0; i < 300; i++) tail.push(`filler ${i}\n`);
    expect(tail.text()).not.toMatch(/abcdef|very-secret/);
  });
});
