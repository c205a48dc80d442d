#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds everything (products and tests), runs swift test.
# Tests that touch networking create and delete their own network namespaces; they need root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash hack/install-deps.sh
export PATH="/opt/swiftlet-venv/bin:$PATH"

echo "test: building (products and tests)"
swift build --build-tests 2>&1 | sed -E '/^\[[0-9]+\/[0-9]+\]/d'

echo "test: running"
# Serially: on 2 cores, parallel suites (kubectl, containerd, etcd, netns traffic) starve each other's timings.
swift test --skip-build --no-parallel "$@"
