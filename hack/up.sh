#!/usr/bin/env bash
# Brings up a single-node Swiftlet cluster on this machine: installs what is missing, builds (release),
# installs the CNI plugins and the node's conflist, imports local images (no registry access needed) and
# starts the API server (embedded SQLite store, controllers, scheduler, cluster DNS), the CRI runtime and the agent
# (kubelet + nftables service proxy). Stays in the foreground; Ctrl-C stops everything (pods keep their
# state on disk and are picked up by the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="${SWIFTLET_DATA_DIR:-/var/lib/swiftlet}"
listen="${SWIFTLET_LISTEN:-127.0.0.1:6443}"
socket="${SWIFTLET_CRI_SOCKET:-/run/swiftlet/cri.sock}"
node_name="${SWIFTLET_NODE_NAME:-$(hostname | tr '[:upper:]' '[:lower:]')}"
pod_cidr="10.88.0.0/16"
# The node's address: the first global IPv4 outside the pod network. Cluster DNS listens there (port 53), so
# pods reach it through the kube-dns Service (10.96.0.10) that the agent's --cluster-dns points them at.
node_ip="${SWIFTLET_NODE_IP:-$(ip -4 -o addr show scope global up 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | grep -v '^10\.88\.' | head -1)}"
dns_address="${SWIFTLET_DNS_ADDRESS:-${node_ip:+$node_ip:53}}"

bash hack/install-deps.sh
echo "up: building (release)"
products=(swiftlet swiftlet-shim swiftlet-bridge swiftlet-host-local swiftlet-loopback swiftlet-portmap)
for product in "${products[@]}"; do  # swift build takes one --product at a time
  swift build -c release --product "$product" 2>&1 | sed -E "/^\[[0-9]+\/[0-9]+\]/d"
done
bin_dir="$(swift build -c release --show-bin-path)"
bin="$bin_dir/swiftlet"

echo "up: installing CNI plugins into /opt/cni/bin and the network config into /etc/cni/net.d"
mkdir -p /opt/cni/bin /etc/cni/net.d
for plugin in swiftlet-bridge swiftlet-host-local swiftlet-loopback swiftlet-portmap; do
  install -m 0755 "$bin_dir/$plugin" /opt/cni/bin/"$plugin"
done
[ -e /etc/cni/net.d/10-swiftlet.conflist ] || install -m 0644 cni/10-swiftlet.conflist /etc/cni/net.d/10-swiftlet.conflist

echo "up: importing local images (pause, busybox, web) built from Debian's busybox-static"
bash hack/make-test-images.sh >/dev/null
cache="${SWIFTLET_TEST_IMAGES:-/var/cache/swiftlet-test-images}/oci"
scratch=$(mktemp -d)
for pair in pause-v1:swiftlet.local/pause:3.10 shell-v1:swiftlet.local/busybox:1.35 web-v1:swiftlet.local/web:1; do
  skopeo copy --quiet "oci:$cache:${pair%%:*}" "oci-archive:$scratch/image.tar:${pair#*:}"
  "$bin" runtime import --root "$data_dir/runtime" "$scratch/image.tar" >/dev/null
  rm -f "$scratch/image.tar"
done
rmdir "$scratch"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
mkdir -p "$data_dir/server" "$data_dir/agent" "$data_dir/logs"

echo "up: starting the API server on $listen (data in $data_dir/server, log $data_dir/logs/server.log)"
rm -f "$data_dir/server/admin.kubeconfig"
dns_flags=() agent_dns_flags=() node_ip_flags=()
if [ -n "$dns_address" ]; then
  echo "up: cluster DNS on $dns_address, reached by pods as kube-dns 10.96.0.10"
  dns_flags=(--cluster-dns-address "$dns_address")
  agent_dns_flags=(--cluster-dns 10.96.0.10)
else
  echo "up: no global IPv4 address on this machine: running without cluster DNS (set SWIFTLET_NODE_IP)"
fi
[ -n "$node_ip" ] && node_ip_flags=(--node-ip "$node_ip")
"$bin" server --data-dir "$data_dir/server" --listen "$listen" "${dns_flags[@]}" >"$data_dir/logs/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -f "$data_dir/server/admin.kubeconfig" ] && break; sleep 0.1; done
kubeconfig="$data_dir/server/admin.kubeconfig"

echo "up: starting the runtime on $socket (log $data_dir/logs/runtime.log)"
"$bin" runtime --root "$data_dir/runtime" --listen "unix://$socket" --pause-image swiftlet.local/pause:3.10 \
  --cni-bin-dir /opt/cni/bin --cni-conf-dir /etc/cni/net.d >"$data_dir/logs/runtime.log" 2>&1 &
pids+=($!)

echo "up: starting the agent as node $node_name (log $data_dir/logs/agent.log)"
"$bin" agent --kubeconfig "$kubeconfig" --node-name "$node_name" --root-dir "$data_dir/agent" \
  --container-runtime-endpoint "unix://$socket" --pod-cidr "$pod_cidr" "${node_ip_flags[@]}" "${agent_dns_flags[@]}" \
  >"$data_dir/logs/agent.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 120); do
  kubectl --kubeconfig "$kubeconfig" get node "$node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True && break
  sleep 0.5
done
echo
kubectl --kubeconfig "$kubeconfig" get nodes -o wide
echo
echo "up: ready. kubeconfig: $kubeconfig"
echo "    export KUBECONFIG=$kubeconfig"
echo "    kubectl run demo --image swiftlet.local/busybox:1.35 --image-pull-policy=IfNotPresent -- sleep 3600"
echo "    kubectl get pods -o wide"
echo "    kubectl exec demo -- nslookup kubernetes.default.svc.cluster.local"
wait -n "${pids[@]}"
