#!/usr/bin/env bash
# The main job: install what is missing, build, run the gateway on examples/quickstart.yaml
# (an autoscaled pool of local test backends), then a bounded load ramp that shows replicas
# rising with the load and falling after it. The gateway keeps running; Ctrl-C stops it and
# every instance it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release tidegate tidegate-echo
bin=build/release

gateway=""
cleanup() {
  if [ -n "$gateway" ]; then
    kill -TERM "$gateway" 2>/dev/null || true
    wait "$gateway" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

# The gateway's log (every scaling decision and instance event) goes to a file, so that the
# ramp's table stays readable.
log=build/quickstart.log
"$bin/tidegate" run -c examples/quickstart.yaml >"$log" 2>&1 &
gateway=$!
for _ in $(seq 100); do
  if curl -sf -o /dev/null http://127.0.0.1:8080/healthz; then break; fi
  sleep 0.1
done
echo "quickstart: gateway on http://127.0.0.1:8080/, admin on http://127.0.0.1:9901/, log in $log"
echo "quickstart: load ramp (about 60 s):"
scripts/load_ramp.py --url http://127.0.0.1:8080/ --admin http://127.0.0.1:9901
echo "quickstart: try  curl -s http://127.0.0.1:8080/echo   or   curl -s http://127.0.0.1:9901/scale/pools"
echo "quickstart: Ctrl-C stops the gateway and its instances"
wait "$gateway"
