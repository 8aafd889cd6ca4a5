#!/usr/bin/env bash
# Installs, from Debian 12's archive, every package tidegate needs to build, test and
# benchmark. Idempotent: asks apt-get only for what is missing, so a second run is instant.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  # libraries
  libasio-dev libyaml-cpp-dev libfmt-dev libspdlog-dev libre2-dev nlohmann-json3-dev
  libluajit2-5.1-dev libgoogle-perftools-dev
  # tests
  libgtest-dev libgmock-dev libbenchmark-dev curl wrk procps python3 prometheus
  # benchmark peers and open-loop load
  nginx haproxy httperf util-linux
  # the nginx + Lua peer of the Lua benchmark (bench/lua/): access_by_lua, balancer_by_lua
  libnginx-mod-http-lua lua-resty-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The nginx, haproxy and prometheus packages start system services; tests and benchmarks
  # run their own instances on other ports, so keep the system ones out of the way.
  for svc in nginx haproxy prometheus prometheus-node-exporter; do
    if command -v systemctl >/dev/null 2>&1; then "${sudo_cmd[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
    "${sudo_cmd[@]}" service "$svc" stop >/dev/null 2>&1 || true
  done
fi
