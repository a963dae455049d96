#!/usr/bin/env bash
# The base image deploy/Dockerfile starts from, python:3.11-slim, on a Docker host that cannot
# pull it (no registry reachable): pulled when it can be, else a stand-in of the same name built
# from Debian 12 (its python3 is 3.11) with debootstrap, Python in /usr/local as in the real
# image, and this machine's CA bundle and package index settings, so pip inside a build
# reaches the index the way it does on the host.
#
#   deploy/stand-in-base.sh            # uses `docker` (DOCKER_HOST as set)
#
# Needs root, debootstrap and a reachable Debian mirror (DEBIAN_MIRROR, default deb.debian.org).
set -euo pipefail

IMAGE=python:3.11-slim
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE is present"
    exit 0
fi
if docker pull "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE pulled"
    exit 0
fi
echo "$IMAGE cannot be pulled: building a stand-in from Debian 12 with debootstrap"

root=$(mktemp -d /var/tmp/twin-base.XXXXXX)
trap 'rm -rf "$root"' EXIT

debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,passwd \
    bookworm "$root" "$MIRROR" >/dev/null
# Python and pip in /usr/local/bin, where the real image has them (first on the default PATH).
chroot "$root" python3 -m venv /usr/local
# The host's CA bundle (it may hold a proxy's authority) and its pip settings for the index;
# local find-links and file:// indexes mean nothing inside a build and are left out.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
index=$(pip3 config get global.index-url 2>/dev/null || true)
{
    echo "[global]"
    echo "cert = /etc/ssl/certs/ca-certificates.crt"
    if [[ -n "$index" && "$index" != file:* ]]; then echo "index-url = $index"; fi
} >"$root/etc/pip.conf"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*

tar -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$IMAGE" >/dev/null
echo "$IMAGE built: $(docker run --rm --network host "$IMAGE" python --version)"
