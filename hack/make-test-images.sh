#!/usr/bin/env bash
# Builds the small OCI test images Swiftlet's image and runtime tests pull, from Debian's busybox-static,
# and pushes them to a registry when one is given.
#
#   hack/make-test-images.sh                    # build (or reuse) the cached OCI layout only
#   hack/make-test-images.sh 127.0.0.1:5000     # ... and push every image to that registry over plain HTTP
#
# Images (all linux/amd64 unless said otherwise; they share the busybox layer):
#   swiftlet-test/shell:v1  busybox + applet symlinks (sh, cat, echo, sleep, ls, wget, nc, id, hostname, unshare, tar
#                           for kubectl cp, ...); cmd sh
#   swiftlet-test/web:v1    shell + /www/index.html; cmd busybox httpd -f -p 8080 -h /www
#   swiftlet-test/pause:v1  shell; entrypoint sleeps forever and exits 0 on SIGTERM
#   swiftlet-test/multi:v1  an image index: linux/amd64 (the shell image) + linux/arm64 (a marker layer)
# Also writes $CACHE/shell-v1.oci-archive.tar (an oci-archive of the shell image, ref swiftlet-test/shell:v1)
# for the air-gapped import test.
#
# Needs (Debian): busybox-static, umoci, skopeo, python3 (writes the index JSON), coreutils, util-linux (flock).
# The layout is cached under ${SWIFTLET_TEST_IMAGES:-/var/cache/swiftlet-test-images}; it is rebuilt only when
# this script or /bin/busybox changes, so repeated runs only push.
set -euo pipefail

registry="${1:-}"
cache="${SWIFTLET_TEST_IMAGES:-/var/cache/swiftlet-test-images}"
layout="$cache/oci"
busybox=/bin/busybox
applets=(sh ash cat echo sleep ls wget nc id hostname unshare env ps kill mkdir rm cp mv touch grep sed head tail
         true false test printf pwd date uname mount umount ip ifconfig route ping nslookup httpd chmod chown ln
         readlink stat wc sort uniq tr cut dd df du find xargs vi which whoami timeout nproc free top tar gzip)

for tool in umoci skopeo sha256sum python3; do
    command -v "$tool" >/dev/null || { echo "make-test-images: $tool is missing (apt-get install umoci skopeo busybox-static)" >&2; exit 1; }
done
[ -x "$busybox" ] || { echo "make-test-images: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

stamp="$(cat "$0" "$busybox" | sha256sum | cut -d' ' -f1)"
# umoci unpack needs --rootless when not run as root.
unpack_flags=()
[ "$(id -u)" -eq 0 ] || unpack_flags=(--rootless)
work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT

build() {
    work="$(mktemp -d "${cache}/.build.XXXXXX")"
    local new="$work/oci"
    umoci init --layout "$new"

    # The base: busybox and its applet links, with fixed file times.
    umoci new --image "$new:shell-v1"
    umoci unpack "${unpack_flags[@]}" --image "$new:shell-v1" "$work/shell"
    local rootfs="$work/shell/rootfs"
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
    chmod 1777 "$rootfs/tmp"
    cp "$busybox" "$rootfs/bin/busybox"
    for applet in "${applets[@]}"; do ln -sf busybox "$rootfs/bin/$applet"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
    find "$rootfs" -exec touch -h -d '2024-01-01T00:00:00Z' {} +
    umoci repack --image "$new:shell-v1" "$work/shell"
    umoci config --image "$new:shell-v1" --os linux --architecture amd64 \
        --config.env PATH=/bin --config.cmd sh --config.workingdir / --created 2024-01-01T00:00:00Z \
        --history.created 2024-01-01T00:00:00Z

    # web: one more layer on top of shell.
    umoci unpack "${unpack_flags[@]}" --image "$new:shell-v1" "$work/web"
    mkdir -p "$work/web/rootfs/www"
    printf 'hello from swiftlet-test/web\n' >"$work/web/rootfs/www/index.html"
    touch -h -d '2024-01-01T00:00:00Z' "$work/web/rootfs/www" "$work/web/rootfs/www/index.html"
    umoci repack --image "$new:web-v1" "$work/web"
    umoci config --image "$new:web-v1" --clear config.cmd \
        --config.cmd /bin/busybox --config.cmd httpd --config.cmd -f --config.cmd -p --config.cmd 8080 \
        --config.cmd -h --config.cmd /www --config.exposedports 8080/tcp \
        --config.label org.swiftlet.test=web --created 2024-01-01T00:00:00Z --history.created 2024-01-01T00:00:00Z

    # pause: the shell layers, an entrypoint that sleeps until SIGTERM and then exits 0.
    umoci config --image "$new:shell-v1" --tag pause-v1 --clear config.cmd \
        --config.entrypoint /bin/sh --config.entrypoint -c \
        --config.entrypoint "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait \$! || sleep 1; done" \
        --config.stopsignal SIGTERM --created 2024-01-01T00:00:00Z --history.created 2024-01-01T00:00:00Z

    # multi: an arm64 image with a marker layer, then an index over it and the amd64 shell image.
    umoci new --image "$new:arm64-v1"
    umoci unpack "${unpack_flags[@]}" --image "$new:arm64-v1" "$work/arm64"
    printf 'arm64\n' >"$work/arm64/rootfs/platform"
    touch -h -d '2024-01-01T00:00:00Z' "$work/arm64/rootfs/platform"
    umoci repack --image "$new:arm64-v1" "$work/arm64"
    umoci config --image "$new:arm64-v1" --os linux --architecture arm64 --config.cmd /bin/sh \
        --created 2024-01-01T00:00:00Z --history.created 2024-01-01T00:00:00Z
    python3 - "$new" <<'PY'
import hashlib, json, os, sys
layout = sys.argv[1]
with open(os.path.join(layout, "index.json")) as f:
    top = json.load(f)
refs = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in top["manifests"]}
def platform(arch):
    return {"architecture": arch, "os": "linux"}
manifests = []
for tag, arch in (("shell-v1", "amd64"), ("arm64-v1", "arm64")):
    m = dict(refs[tag]); m.pop("annotations", None); m["platform"] = platform(arch)
    manifests.append(m)
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
data = json.dumps(index, indent=2).encode()
digest = hashlib.sha256(data).hexdigest()
with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
    f.write(data)
top["manifests"] = [m for m in top["manifests"]
                    if m["annotations"]["org.opencontainers.image.ref.name"] != "multi-v1"]
top["manifests"].append({"mediaType": index["mediaType"], "digest": "sha256:" + digest, "size": len(data),
                         "annotations": {"org.opencontainers.image.ref.name": "multi-v1"}})
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(top, f)
PY
    umoci gc --layout "$new"

    skopeo copy --quiet "oci:$new:shell-v1" "oci-archive:$work/shell-v1.oci-archive.tar:swiftlet-test/shell:v1"

    rm -rf "$layout" "$cache/shell-v1.oci-archive.tar"
    mv "$new" "$layout"
    mv "$work/shell-v1.oci-archive.tar" "$cache/shell-v1.oci-archive.tar"
    echo "$stamp" >"$cache/stamp"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ "$(cat "$cache/stamp" 2>/dev/null || true)" != "$stamp" ] || [ ! -f "$layout/index.json" ]; then
    build
fi

if [ -n "$registry" ]; then
    for image in shell web pause; do
        skopeo copy --quiet --dest-tls-verify=false "oci:$layout:$image-v1" "docker://$registry/swiftlet-test/$image:v1"
    done
    # The index's manifests must exist in the repository before the index itself.
    skopeo copy --quiet --all --dest-tls-verify=false "oci:$layout:multi-v1" "docker://$registry/swiftlet-test/multi:v1"
fi
echo "make-test-images: images in $layout${registry:+, pushed to $registry}"
