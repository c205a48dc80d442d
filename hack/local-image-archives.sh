#!/usr/bin/env bash
# Prints the OCI archives of the images a local node runs without a registry — swiftlet.local/pause:3.10 (the
# sandbox image), swiftlet.local/busybox:1.35 and swiftlet.local/web:1, made from Debian's busybox-static by
# hack/make-test-images.sh — one path per line, for `swiftlet up --image-archive` (hack/up.sh,
# hack/profile-symbol-order.sh). Writes each archive once, next to the cached images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/make-test-images.sh >/dev/null
cache="${SWIFTLET_TEST_IMAGES:-/var/cache/swiftlet-test-images}"
for pair in pause-v1:swiftlet.local/pause:3.10 shell-v1:swiftlet.local/busybox:1.35 web-v1:swiftlet.local/web:1; do
  archive="$cache/${pair%%:*}.oci-archive.local.tar"
  [ -e "$archive" ] || skopeo copy --quiet "oci:$cache/oci:${pair%%:*}" "oci-archive:$archive:${pair#*:}"
  echo "$archive"
done
