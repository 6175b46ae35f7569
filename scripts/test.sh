#!/usr/bin/env bash
# THE test command: prepares the local test infrastructure, then runs the whole vitest suite.
# Extra arguments go to vitest, e.g. `bash scripts/test.sh test/infra.test.ts`.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
bash scripts/test-setup.sh
RESULTS="$(mktemp -t opsdeck-vitest-XXXXXX.json)"
ALONE="$(mktemp -t opsdeck-vitest-alone-XXXXXX.json)"
status=0
if [ "$#" -gt 0 ]; then
  npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS" "$@" || status=$?
  echo '{}' > "$ALONE"
else
  # Files named *.alone.test.ts count what runs on the shared dockerd (the preview quotas), so they
  # run after the others, one at a time, while no other test file makes or removes previews.
  npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS" --exclude 'test/**/*.alone.test.ts' || status=$?
  npx vitest run --reporter=default --reporter=json --outputFile.json="$ALONE" --maxWorkers=1 alone.test.ts || status=$?
fi
# One plain closing line that any CI reads: "tests: N passed, N failed, N skipped".
node -e '
  const fs = require("fs");
  const read = (f) => { const t = fs.readFileSync(f, "utf8").trim(); return t ? JSON.parse(t) : {}; };
  const rs = process.argv.slice(1).map(read);
  const sum = (k) => rs.reduce((n, r) => n + (r[k] ?? 0), 0);
  console.log(`tests: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests") + sum("numTodoTests")} skipped`);
' "$RESULTS" "$ALONE" 2>/dev/null || echo "tests: no result file (vitest exit $status)"
rm -f "$RESULTS" "$ALONE"
exit "$status"
