#!/usr/bin/env bash
# Every test: install what is missing, build with warnings as errors, run the unit and
# integration tests (ctest) after checking every example config and fuzzing the HTTP parser and
# the metrics text parser for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh ci

for f in examples/*.yaml examples/*/*.yaml; do
  build/ci/tidegate check -c "$f"
done

if [ -x fuzz/run.sh ]; then
  fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi

(cd build/ci && ctest --output-on-failure --timeout 300 -j2)
