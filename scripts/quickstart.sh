#!/usr/bin/env bash
# The main job: install what is missing, build, start two local test backends and run the
# gateway on examples/quickstart.yaml in the foreground. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release tidegate tidegate-echo
bin=build/release

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for port in 9001 9002; do
  "$bin/tidegate-echo" --port "$port" --latency 5ms --slots 64 >/dev/null &
  pids+=($!)
done
echo "quickstart: backends on 127.0.0.1:9001 and :9002; gateway on http://127.0.0.1:8080/"
echo "quickstart: try  curl -s http://127.0.0.1:8080/echo   (Ctrl-C to stop)"
"$bin/tidegate" run -c examples/quickstart.yaml &
pids+=($!)
wait "${pids[-1]}"
