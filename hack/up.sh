#!/usr/bin/env bash
# Brings Swiftlet up on this machine: installs what is missing, builds, and starts the control plane with its
# embedded store (later: agent, runtime, CNI and proxy too). Stays in the foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="${SWIFTLET_DATA_DIR:-/var/lib/swiftlet}"
listen="${SWIFTLET_LISTEN:-127.0.0.1:6443}"

bash hack/install-deps.sh
echo "up: building swiftlet (release)"
swift build -c release --product swiftlet 2>&1 | sed -E "/^\[[0-9]+\/[0-9]+\]/d"
bin="$(swift build -c release --show-bin-path)/swiftlet"

mkdir -p "$data_dir/server"
echo "up: starting the API server on $listen (data in $data_dir/server)"
"$bin" server --data-dir "$data_dir/server" --listen "$listen" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do [ -f "$data_dir/server/admin.kubeconfig" ] && break; sleep 0.1; done
echo
echo "up: ready. kubeconfig: $data_dir/server/admin.kubeconfig"
echo "    export KUBECONFIG=$data_dir/server/admin.kubeconfig; kubectl get namespaces"
wait $server
