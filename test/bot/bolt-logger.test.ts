import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createBoltLogger } from "../../src/bot/slack/create-bolt-logger.js";
import { captureLog } from "../fakes/capture-log.js";

/** An argument that counts how often it is formatted for a log line. */
function counted(): { arg: object; formatted: () => number } {
  let n = 0;
  return { arg: { [inspect.custom]: () => (n++, "{counted}") }, formatted: () => n };
}

describe("Bolt's logger (Bolt and its Web API client log through our pino logger)", () => {
  it("builds no line for a level pino does not write, and writes (redacted) the ones it does", () => {
    const cap = captureLog(["s3cr3t-value-for-bolt"]);
    cap.log.level = "info";
    const bolt = createBoltLogger(cap.log);
    const dropped = counted();
    bolt.debug("event body", dropped.arg);
    expect(dropped.formatted()).toBe(0);
    expect(cap.lines).toHaveLength(0);

    const kept = counted();
    bolt.warn("token s3cr3t-value-for-bolt rejected", kept.arg);
    expect(kept.formatted()).toBe(1);
    expect(cap.lines).toHaveLength(1);
    expect(cap.lines[0]).toContain("{counted}");
    expect(cap.lines[0]).not.toContain("s3cr3t-value-for-bolt");

    cap.log.level = "debug";
    bolt.debug("now written", dropped.arg);
    expect(dropped.formatted()).toBe(1);
    expect(cap.lines).toHaveLength(2);
  });
});
