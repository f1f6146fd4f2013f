#!/usr/bin/env bash
# Installs every build and test dependency of powercut from Debian's packages.
# Idempotent: skips apt entirely when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  librocksdb-dev rocksdb-tools
  libboost-dev libboost-filesystem-dev
  nlohmann-json3-dev libfmt-dev
  catch2 librapidcheck-dev libcli11-dev
  python3-yaml python3-jsonschema
  # tests only: tests/browser_report_test opens report.html in headless Chromium
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "powercut: all dependencies present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "powercut: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
