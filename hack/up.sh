#!/usr/bin/env bash
# Brings up a single-node Swiftlet cluster on this machine: installs what is missing, builds (release), makes
# local images (no registry access needed) and then execs `swiftlet up`, which installs the CNI plugins and the
# node's network config, starts the API server (embedded SQLite store, controllers, scheduler, cluster DNS), the
# CRI runtime and the agent (kubelet + nftables service proxy + host-gw pod routes), waits until the node is Ready
# and prints the kubeconfig. Stays in the foreground; Ctrl-C stops everything and removes the pods, their
# mounts, interfaces and rules.
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="${SWIFTLET_DATA_DIR:-/var/lib/swiftlet}"

bash hack/install-deps.sh
echo "up: building (release)"
products=(swiftlet swiftlet-shim swiftlet-bridge swiftlet-host-local swiftlet-loopback swiftlet-portmap)
hack/build-release "${products[@]}"
bin="$(hack/build-release --bin-path)/swiftlet"

echo "up: making local images (pause, busybox, web) from Debian's busybox-static"
paths="$(hack/local-image-archives.sh)"
archives=()
for archive in $paths; do archives+=(--image-archive "$archive"); done

flags=(--data-dir "$data_dir")
[ -n "${SWIFTLET_LISTEN:-}" ] && flags+=(--listen "$SWIFTLET_LISTEN")
[ -n "${SWIFTLET_CRI_SOCKET:-}" ] && flags+=(--cri-socket "$SWIFTLET_CRI_SOCKET")
[ -n "${SWIFTLET_NODE_NAME:-}" ] && flags+=(--node-name "$SWIFTLET_NODE_NAME")
[ -n "${SWIFTLET_NODE_IP:-}" ] && flags+=(--node-ip "$SWIFTLET_NODE_IP")
exec "$bin" up "${flags[@]}" "${archives[@]}"
