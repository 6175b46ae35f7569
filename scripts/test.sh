#!/usr/bin/env bash
# THE test command: prepares the local test infrastructure, then runs the whole vitest suite.
# Extra arguments go to vitest, e.g. `bash scripts/test.sh test/infra.test.ts`.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
bash scripts/test-setup.sh
RESULTS="$(mktemp -t opsdeck-vitest-XXXXXX.json)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS" "$@" || status=$?
# One plain closing line that any CI reads: "tests: N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$RESULTS" 2>/dev/null || echo "tests: no result file (vitest exit $status)"
rm -f "$RESULTS"
exit "$status"
