#!/usr/bin/env bash
# Builds the libFuzzer targets with the "fuzz" preset (clang, ASan+UBSan) and runs each one for
# a bounded time. Usage: fuzz/run.sh [SECONDS_PER_TARGET]   (default 60; CI passes ~60)
#
# Each target starts from its checked-in seed corpus (fuzz/corpus/<target>/, read-only here)
# and writes what it discovers to fuzz/corpus-work/<target>/ (git-ignored). A crash leaves
# its input as fuzz/corpus-work/crash-* and makes this script fail.
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
targets=(http_request_fuzz http_response_fuzz exposition_fuzz)

cd "$root"
cmake --preset fuzz >/dev/null
cmake --build "$build" --target "${targets[@]}" -j "${FUZZ_JOBS:-$(nproc)}"

status=0
for target in "${targets[@]}"; do
  name="${target%_fuzz}"
  work="$root/fuzz/corpus-work/$name"
  mkdir -p "$work"
  echo "fuzz: $target for ${seconds}s"
  if ! "$build/fuzz/$target" "$work" "$root/fuzz/corpus/$name" \
      $( [[ $name == http_* ]] && echo "-dict=$root/fuzz/http.dict" ) -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$root/fuzz/corpus-work/crash-$name-" \
      -print_final_stats=1 2>"$work.log"; then
    echo "fuzz: $target FAILED, see $work.log" >&2
    tail -n 40 "$work.log" >&2
    status=1
  else
    grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added)" "$work.log" || true
  fi
done
exit "$status"
