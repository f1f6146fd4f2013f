#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the default
# durability run (chains in ./powercut-data, report in ./powercut-report).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2
exec build/harness/powercut run "$@"
