// The fault and bad-input suite: drives the running bot (the real CLI) and the real sshd/dockerd,
// and prints one line of figures at the end. Every figure is counted from what the cases observed.
// The case modules register their describes here, so one file (one worker) holds one tally.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe } from "vitest";
import { defineBadInputCases } from "./bad-inputs.cases.js";
import { defineDeliveryCases } from "./deliveries.cases.js";
import { removeLabelled } from "./fault-helpers.js";
import { defineFaultCases } from "./faults.cases.js";
import { startLiveBot, type LiveBot } from "./live-bot.js";
import { summaryLine, tally } from "./tally.js";

let live: LiveBot | undefined;
const getLive = (): LiveBot => {
  if (!live) throw new Error("the live bot did not start (see beforeAll)");
  return live;
};

describe("reliability: the running bot", () => {
  beforeAll(async () => {
    live = await startLiveBot();
  });
  afterAll(async () => {
    if (!live) return;
    await live.close();
    removeLabelled(`com.docker.compose.project=${live.project}`);
    rmSync(live.paths.dir, { recursive: true, force: true });
    execFileSync("rm", ["-rf", "--", live.paths.hostDir]);
  });
  defineDeliveryCases(getLive);
  defineBadInputCases(getLive);
});

defineFaultCases();

afterAll(() => {
  console.log(summaryLine());
  if (tally.notes.length > 0) console.log(tally.notes.join("\n"));
});
