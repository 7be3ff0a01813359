#!/bin/sh
# Local stand-ins for the base images the trial apps name, built from Debian
# bookworm (no registry is reachable here; Debian's mirror, PyPI and npm are).
# Idempotent: an image that already exists in buildah's store is skipped.
# Usage: sudo sh scripts/image_trials/bases.sh [TRIALS_DIR]   (default /work/trials)
#
# Every image is Debian bookworm underneath, whatever its tag says:
#   python:*  -> Debian's python3 (3.11), pip from PyPI in /usr/local (so that
#                `pip install --upgrade pip` can uninstall it), python/pip links,
#                PIP_BREAK_SYSTEM_PACKAGES=1, PATH and LANG as the official image.
#   python:3-onbuild -> the above plus the ONBUILD triggers of the old official
#                onbuild variant (WORKDIR /usr/src/app, requirements, COPY . .).
#   node:*    -> Debian's nodejs (18.x) and npm, user node (uid/gid 1000,
#                home /home/node) as in the official image, CMD ["node"].
#   golang:*  -> Debian's golang-go (1.19), GOPATH=/go, WORKDIR /go.
#   *-alpine  -> NOT Alpine: the Debian image under an alpine-style name (no apk),
#                plus alpine-shims/adduser and addgroup in /usr/local/sbin, which
#                take BusyBox's options (what a fix for an Alpine image writes).
#   debian:bookworm-slim -> the minbase rootfs itself.
set -eu
TRIALS=${1:-/work/trials}
ROOTFS=$TRIALS/rootfs/bookworm
MIRROR=http://deb.debian.org/debian
B="buildah"
RUN="buildah run --isolation chroot"

exists() { $B inspect --type image "$1" >/dev/null 2>&1; }

# 1. the rootfs, once
if [ ! -x "$ROOTFS/bin/sh" ]; then
    mkdir -p "$TRIALS/rootfs"
    debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR"
fi
if [ ! -f "$TRIALS/rootfs/bookworm.tar" ]; then
    tar -C "$ROOTFS" --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* \
        -cf "$TRIALS/rootfs/bookworm.tar.tmp" .
    mv "$TRIALS/rootfs/bookworm.tar.tmp" "$TRIALS/rootfs/bookworm.tar"
fi

# 2. the bare image
BASE=localhost/trials/bookworm-minbase:latest
if ! exists $BASE; then
    c=$($B from scratch)
    $B add "$c" "$TRIALS/rootfs/bookworm.tar" /
    $B config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --cmd '["bash"]' "$c"
    # This machine reaches PyPI and npm through a TLS-intercepting egress proxy:
    # trust the host's extra CAs (/usr/local/share/ca-certificates) in every image,
    # and point pip/requests/node/npm at the system bundle (a pip from PyPI uses
    # certifi otherwise). Not part of any real base image; same for both builds.
    $RUN "$c" -- sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin'
    for crt in /usr/local/share/ca-certificates/*.crt; do
        [ -f "$crt" ] && $B copy "$c" "$crt" /usr/local/share/ca-certificates/
    done
    $RUN "$c" -- update-ca-certificates
    $B config --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
        --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
        --env REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
        --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
        --env npm_config_cafile=/etc/ssl/certs/ca-certificates.crt "$c"
    $B commit --rm "$c" $BASE
fi

id_of() { $B inspect --type image --format '{{.FromImageID}}' "$1" 2>/dev/null; }
tag() {  # tag SRC NAME...: (re)point each name at SRC
    src=$1; shift
    want=$(id_of "$src")
    for n in "$@"; do
        [ "$(id_of "docker.io/library/$n")" = "$want" ] || $B tag "$src" "docker.io/library/$n"
    done
}
SHIMS=$(cd "$(dirname "$0")" && pwd)/alpine-shims
alpine() {  # alpine SRC DEST: SRC with BusyBox-style adduser/addgroup
    if ! exists "$2"; then
        c=$($B from --pull=never "$1")
        $B copy --chmod 0755 "$c" "$SHIMS/adduser" "$SHIMS/addgroup" /usr/local/sbin/
        $B commit --rm "$c" "$2"
    fi
}

# 3. python
PY=localhost/trials/python:bookworm
if ! exists $PY; then
    c=$($B from --pull=never $BASE)
    $RUN "$c" -- sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pip python3-venv python3-dev ca-certificates netbase tzdata && rm -rf /var/lib/apt/lists/*'
    $RUN "$c" -- sh -c 'pip3 install --break-system-packages --no-cache-dir --ignore-installed pip setuptools wheel \
        && ln -sf /usr/bin/python3 /usr/local/bin/python && ln -sf /usr/local/bin/pip3 /usr/local/bin/pip \
        && python --version && pip --version'
    $B config --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env LANG=C.UTF-8 --env PIP_BREAK_SYSTEM_PACKAGES=1 --env PYTHON_VERSION=3.11 \
        --cmd '["python3"]' "$c"
    $B commit --rm "$c" $PY
fi
alpine $PY localhost/trials/python:alpine-shim
tag localhost/trials/python:alpine-shim python:3.7-alpine python:3.9.2-alpine python:3.10-alpine python:alpine
tag $PY python:3 python:3-slim python:3.7-slim python:3.8 python:3.8-slim python:3.9 python:3.9-slim python:3.10 \
    python:3.10-slim python:3.11 python:3.11-slim python:3.11.3-slim-buster python:3.12 \
    python:3.11.4-slim-buster python:3.12-slim

PYO=docker.io/library/python:3-onbuild
if ! exists $PYO; then
    c=$($B from --pull=never $PY)
    $RUN "$c" -- mkdir -p /usr/src/app
    $B config --workingdir /usr/src/app \
        --onbuild 'COPY requirements.txt /usr/src/app/' \
        --onbuild 'RUN pip install --no-cache-dir -r requirements.txt' \
        --onbuild 'COPY . /usr/src/app' "$c"
    $B commit --format docker --rm "$c" $PYO
fi

# 4. node
NODE=localhost/trials/node:bookworm
if ! exists $NODE; then
    c=$($B from --pull=never $BASE)
    $RUN "$c" -- sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates && rm -rf /var/lib/apt/lists/*'
    $RUN "$c" -- sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node && node --version && npm --version'
    $B config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env NODE_VERSION=18 --cmd '["node"]' "$c"
    $B commit --rm "$c" $NODE
fi
tag $NODE node:current-slim node:18 node:18-slim node:20 node:20-slim
alpine $NODE localhost/trials/node:alpine-shim
tag localhost/trials/node:alpine-shim node:14.17.3-alpine3.14 node:18-alpine node:20-alpine node:lts-alpine node:alpine

# 5. go
GO=localhost/trials/golang:bookworm
if ! exists $GO; then
    c=$($B from --pull=never $BASE)
    $RUN "$c" -- sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends golang-go ca-certificates git && rm -rf /var/lib/apt/lists/* && mkdir -p /go/bin /go/src && go version'
    $B config --env GOPATH=/go --env PATH=/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --workingdir /go --cmd '["bash"]' "$c"
    $B commit --rm "$c" $GO
fi
tag $GO golang:1.18 golang:1.19 golang:1.21
alpine $GO localhost/trials/golang:alpine-shim
tag localhost/trials/golang:alpine-shim golang:1.18-alpine golang:1.21-alpine

# 6. debian
tag $BASE debian:bookworm-slim debian:bookworm debian:12-slim
$B images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -E 'trials|docker.io/library' || true
