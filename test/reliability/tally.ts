// The figures of the reliability suite, counted from what the cases observed (never constants).
// One test file (reliability.test.ts) imports every case module, so one in-memory tally suffices.

export interface Tally {
  badInputs: number;
  unintendedRuns: number;
  secretsLeaked: number;
  faults: number;
  recordsLost: number;
  /** What each unintended run / leak / lost record was, for the failure message and the report. */
  notes: string[];
}

export const tally: Tally = { badInputs: 0, unintendedRuns: 0, secretsLeaked: 0, faults: 0, recordsLost: 0, notes: [] };

export function noteUnintended(what: string[]): void {
  tally.unintendedRuns += what.length;
  for (const w of what) tally.notes.push(`unintended: ${w}`);
}

export function noteLeaks(what: string[]): void {
  tally.secretsLeaked += what.length;
  for (const w of what) tally.notes.push(`leaked: ${w}`);
}

export function noteLost(what: string[]): void {
  tally.recordsLost += what.length;
  for (const w of what) tally.notes.push(`lost: ${w}`);
}

export function summaryLine(): string {
  return `bad inputs tried: ${tally.badInputs}, unintended commands run: ${tally.unintendedRuns}, secrets leaked: ${tally.secretsLeaked}, faults injected: ${tally.faults}, records lost: ${tally.recordsLost}`;
}
