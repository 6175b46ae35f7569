#!/usr/bin/env bash
# THE test command: prepares the local test infrastructure, then runs the whole vitest suite.
# Extra arguments go to vitest, e.g. `bash scripts/test.sh test/infra.test.ts`.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
bash scripts/test-setup.sh
exec npx vitest run "$@"
