#!/usr/bin/env bash
# Installs Swiftlet on a real node from a local build, with no network access: the `swiftlet` binary and its
# per-container monitor, the CNI plugins and the node's network config, systemd units for the server, the runtime
# and the agent, their /etc/default files, the state directories, and optionally OCI image archives preloaded into
# the runtime (air-gapped nodes need at least the pause image). Idempotent: running it again replaces binaries,
# plugins and units, keeps /etc/default/swiftlet-* and a network config the admin edited. `--uninstall` removes what
# it installed (`--purge` also the /etc/default files, /var/lib/swiftlet and the runtime's tmpfs state in /run/swiftlet).
#
#   hack/build-release swiftlet swiftlet-shim swiftlet-bridge swiftlet-host-local swiftlet-loopback swiftlet-portmap
#                               # or let this script build what is missing (offline: uses .build/checkouts)
#   hack/install.sh [--prefix /usr/local] [--destdir DIR] [--from BUILD-DIR] [--pod-cidr 10.88.0.0/16]
#                   [--image-archive FILE]... [--pause-image NAME] [--no-build]
#   hack/install.sh --uninstall [--purge] [--prefix /usr/local] [--destdir DIR]
#
# Then, on a node with systemd:
#   systemctl daemon-reload && systemctl enable --now swiftlet-server swiftlet-runtime swiftlet-agent
# A node without the server: copy the server's /var/lib/swiftlet/server/admin.kubeconfig and point
# SWIFTLET_KUBECONFIG in /etc/default/swiftlet-agent at it; enable only swiftlet-runtime and swiftlet-agent.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

prefix=/usr/local destdir="" from="" pod_cidr=10.88.0.0/16 pause_image="" uninstall=0 purge=0 build=1
archives=()
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --destdir) destdir="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    --pod-cidr) pod_cidr="$2"; shift 2 ;;
    --image-archive) archives+=("$2"); shift 2 ;;
    --pause-image) pause_image="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install: unknown argument $1" >&2; usage 2 >&2 ;;
  esac
done
[ "${prefix#/}" != "$prefix" ] || { echo "install: --prefix must be absolute, got $prefix" >&2; exit 2; }
[ -z "$destdir" ] || destdir="$(mkdir -p "$destdir" && cd "$destdir" && pwd)"

bindir="$prefix/bin"
docdir="$prefix/share/doc/swiftlet"
cnibin=/opt/cni/bin
cniconf=/etc/cni/net.d/10-swiftlet.conflist
unitdir=/etc/systemd/system
units=(swiftlet-server swiftlet-runtime swiftlet-agent)
binaries=(swiftlet swiftlet-shim)
plugins=(swiftlet-bridge swiftlet-host-local swiftlet-loopback swiftlet-portmap)
state=/var/lib/swiftlet
# The runtime's per-boot state (--state /run/swiftlet/runtime, runc's --runc-root /run/swiftlet/runc, the CRI socket).
runstate=/run/swiftlet
# systemctl only on the real root of a running systemd.
systemd_running() { [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }
say() { echo "install: $*"; }

if ((uninstall)); then
  if systemd_running; then
    for unit in "${units[@]}"; do systemctl disable --now "$unit.service" 2>/dev/null || true; done
  fi
  removed=()
  files=()
  for binary in "${binaries[@]}"; do files+=("$bindir/$binary"); done
  for plugin in "${plugins[@]}"; do files+=("$cnibin/$plugin"); done
  for unit in "${units[@]}"; do files+=("$unitdir/$unit.service"); done
  for file in "${files[@]}" "$docdir/README.md"; do
    if [ -e "$destdir$file" ] || [ -L "$destdir$file" ]; then rm -f "$destdir$file"; removed+=("$file"); fi
  done
  # The network config only if it is still ours (an edited one is the admin's).
  if [ -e "$destdir$cniconf" ] && grep -q '"type": "swiftlet-bridge"' "$destdir$cniconf"; then
    rm -f "$destdir$cniconf"; removed+=("$cniconf")
  fi
  rmdir "$destdir$docdir" 2>/dev/null || true
  if ((purge)); then
    for unit in "${units[@]}"; do
      [ -e "$destdir/etc/default/$unit" ] && { rm -f "$destdir/etc/default/$unit"; removed+=("/etc/default/$unit"); }
    done
    for directory in "$state" "$runstate"; do
      [ -e "$destdir$directory" ] || continue
      # A runtime that ran leaves read-only layers and maybe mounts below its root and state; never follow them elsewhere.
      if grep -q " $destdir$directory/" /proc/self/mountinfo; then
        echo "install: $destdir$directory has mounts below it (pods still running?); stop the agent and the runtime first" >&2
        exit 1
      fi
      rm -rf --one-file-system "$destdir$directory"
      removed+=("$directory")
    done
  fi
  if systemd_running; then systemctl daemon-reload; fi
  say "removed ${#removed[@]} paths${removed[*]:+: ${removed[*]}}"
  exit 0
fi

# --- install --------------------------------------------------------------------------------------------------

# The built products: --from, else the release build (built here, offline, if something is missing).
if [ -z "$from" ]; then
  cd "$repo"
  missing=0
  from="$repo/.build/release"
  for product in "${binaries[@]}" "${plugins[@]}"; do [ -x "$from/$product" ] || missing=1; done
  if ((missing)); then
    ((build)) || { echo "install: $from lacks built products; build them with hack/build-release (or drop --no-build)" >&2; exit 1; }
    say "building (release, offline) what is missing"
    hack/build-release "${binaries[@]}" "${plugins[@]}"
    from="$(hack/build-release --bin-path)"
  fi
fi
for product in "${binaries[@]}" "${plugins[@]}"; do
  [ -x "$from/$product" ] || { echo "install: $from/$product is missing (build it with: hack/build-release $product)" >&2; exit 1; }
done
for archive in ${archives[@]+"${archives[@]}"}; do
  [ -f "$archive" ] || { echo "install: --image-archive $archive does not exist" >&2; exit 2; }
done

# The pod network: cni/10-swiftlet.conflist with this node's subnet (each node of a cluster needs its own).
if ! [[ "$pod_cidr" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)/([0-9]+)$ ]] || ((BASH_REMATCH[5] > 30)); then
  echo "install: --pod-cidr must be an IPv4 network such as 10.244.1.0/24, got $pod_cidr" >&2; exit 2
fi
pod_gateway="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}.$((BASH_REMATCH[4] + 1))"

say "installing from $from into ${destdir:-/} (prefix $prefix)"
install -d -m 0755 "$destdir$bindir" "$destdir$cnibin" "$destdir$(dirname "$cniconf")" "$destdir$unitdir" \
  "$destdir/etc/default" "$destdir$docdir"
install -d -m 0700 "$destdir$state" "$destdir$state/server" "$destdir$state/runtime" "$destdir$state/agent"
for product in "${binaries[@]}"; do install -m 0755 "$from/$product" "$destdir$bindir/$product"; done
for plugin in "${plugins[@]}"; do install -m 0755 "$from/$plugin" "$destdir$cnibin/$plugin"; done
install -m 0644 "$repo/README.md" "$destdir$docdir/README.md"

conflist="$(sed -e "s|\"subnet\": \"10.88.0.0/16\"|\"subnet\": \"$pod_cidr\"|" -e "s|\"gateway\": \"10.88.0.1\"|\"gateway\": \"$pod_gateway\"|" \
  "$repo/cni/10-swiftlet.conflist")"
if [ -e "$destdir$cniconf" ] && ! grep -q '"type": "swiftlet-bridge"' "$destdir$cniconf"; then
  say "keeping $cniconf (not ours)"
else
  printf '%s\n' "$conflist" >"$destdir$cniconf.new" && chmod 0644 "$destdir$cniconf.new" && mv "$destdir$cniconf.new" "$destdir$cniconf"
fi
others=$(find "$destdir$(dirname "$cniconf")" -maxdepth 1 -name '*.conf*' ! -name "$(basename "$cniconf")" -printf '%f\n' | sort | head -1)
if [ -n "$others" ] && [[ "$others" < "$(basename "$cniconf")" ]]; then
  say "warning: $(dirname "$cniconf")/$others sorts before $(basename "$cniconf"); the runtime uses the first config"
fi

for unit in "${units[@]}"; do
  sed -e "s|@BINDIR@|$bindir|g" -e "s|@DOCDIR@|$docdir|g" "$repo/hack/systemd/$unit.service" >"$destdir$unitdir/$unit.service.new"
  chmod 0644 "$destdir$unitdir/$unit.service.new"
  mv "$destdir$unitdir/$unit.service.new" "$destdir$unitdir/$unit.service"
done

# /etc/default files: written once, then the admin's.
write_default() {
  local file="$destdir/etc/default/$1"; shift
  [ -e "$file" ] && return 0
  printf '%s\n' "$@" >"$file"
  chmod 0644 "$file"
}
write_default swiftlet-server \
  "# Flags for \`swiftlet server\` (see \`swiftlet server --help\`), e.g. to serve other nodes and cluster DNS:" \
  "#   SWIFTLET_SERVER_ARGS=\"--listen 0.0.0.0:6443 --cluster-dns-address 192.0.2.10\"" \
  "SWIFTLET_SERVER_ARGS=\"\""
runtime_args=""
[ -z "$pause_image" ] || runtime_args="--pause-image $pause_image"
write_default swiftlet-runtime \
  "# Flags for \`swiftlet runtime serve\` (see \`swiftlet runtime serve --help\`); the unit passes --root $state/runtime" \
  "# (images, writable layers) and --state $runstate/runtime (records, bundles; tmpfs). Air-gapped nodes: import the pause" \
  "# image (hack/install.sh --image-archive FILE, or swiftlet runtime import --root $state/runtime FILE) and name it here." \
  "SWIFTLET_RUNTIME_ARGS=\"$runtime_args\""
write_default swiftlet-agent \
  "# The agent's kubeconfig: the server's own on the server node; elsewhere a copy of it." \
  "SWIFTLET_KUBECONFIG=$state/server/admin.kubeconfig" \
  "# Flags for \`swiftlet agent\` (see \`swiftlet agent --help\`); --pod-cidr must match $cniconf." \
  "SWIFTLET_AGENT_ARGS=\"--pod-cidr $pod_cidr\""

# Images for an air-gapped node, into the runtime's store (idempotent: an image already there is kept).
for archive in ${archives[@]+"${archives[@]}"}; do
  say "importing $archive"
  "$destdir$bindir/swiftlet" runtime import --root "$destdir$state/runtime" "$archive" | sed 's/^/install:   /'
done

if systemd_running; then systemctl daemon-reload; fi
say "done: $bindir/swiftlet, $cnibin/swiftlet-*, $cniconf (pods on $pod_cidr), $unitdir/{$(IFS=,; echo "${units[*]}")}.service"
if [ -z "$destdir" ]; then
  say "start it: systemctl daemon-reload && systemctl enable --now ${units[*]}"
fi
