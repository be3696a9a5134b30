#!/usr/bin/env bash
# Builds the Strata images with podman or docker, one at a time.
#
#   bash infra/scripts/build-images.sh                 # edge + core
#   bash infra/scripts/build-images.sh edge core sipp redis
#
# Images: strata/edge:local, strata/core:local (infra/docker/app.Dockerfile),
#         strata/sipp:local (infra/docker/sipp.Dockerfile),
#         strata/redis:7-debian (infra/docker/redis.Dockerfile; only needed
#         where the official redis image cannot be pulled).
# Builds the local base images first when NODE_IMAGE / debian:bookworm-slim
# are missing and cannot be pulled (infra/scripts/build-base-image.sh).
#
# Env: NODE_IMAGE (node:20-bookworm-slim), IMAGE_TAG (local),
#      STRATA_BUILD_REF=<git ref>  build from that commit (git archive) instead
#                                  of the working tree,
#      STRATA_ENGINE, STRATA_NO_PULL=1 (never try a registry),
#      BUILD_NODE_EXTRA_CA_CERTS (docker only: path, inside NODE_IMAGE, of a
#      CA bundle npm must trust during the build; podman mounts the host's).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NODE_IMAGE="${NODE_IMAGE:-node:20-bookworm-slim}"
IMAGE_TAG="${IMAGE_TAG:-local}"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(edge core)

ensure_base() {
  local img="$1"
  image_exists "$img" && return
  if [[ -z "${STRATA_NO_PULL:-}" ]] && timeout 60 "${ENGINE[@]}" pull -q "$img" >/dev/null 2>&1; then
    log "pulled $img"
    return
  fi
  log "$img not available from a registry: building it locally"
  bash "$INFRA_DIR/scripts/build-base-image.sh"
  image_exists "$img" || die "$img still missing after build-base-image.sh"
}

# Build context: the working tree, or a clean export of STRATA_BUILD_REF.
CONTEXT="$STRATA_ROOT"
if [[ -n "${STRATA_BUILD_REF:-}" ]]; then
  CONTEXT="$(mktemp -d "${TMPDIR:-/tmp}/strata-ctx.XXXXXX")"
  trap 'rm -rf "$CONTEXT"' EXIT
  git -C "$STRATA_ROOT" archive "$STRATA_BUILD_REF" | tar -x -C "$CONTEXT"
  # infra/ from the working tree, so image plumbing can be tested against any commit
  rm -rf "$CONTEXT/infra" && cp -r "$INFRA_DIR" "$CONTEXT/infra" && rm -rf "$CONTEXT/infra/.cache"
  cp "$STRATA_ROOT/.dockerignore" "$CONTEXT/.dockerignore"
  log "context: git archive $(git -C "$STRATA_ROOT" rev-parse --short "$STRATA_BUILD_REF") (+ working-tree infra/)"
fi

build_flags=()
if [[ "$ENGINE_NAME" == podman ]]; then
  # docker format keeps HEALTHCHECK/STOPSIGNAL (OCI format drops HEALTHCHECK)
  build_flags+=(--format docker --layers)
  # A host behind a TLS-intercepting proxy trusts an extra CA (NODE_EXTRA_CA_CERTS);
  # mount it for npm/pnpm during the build only. Nothing of it lands in a layer.
  # Unset (a user's machine, or a CI shell without it): the host's system bundle
  # when it has one, so npm in the build trusts what the host trusts; neither →
  # nothing is mounted and npm uses its built-in CAs.
  host_ca="${NODE_EXTRA_CA_CERTS:-}"
  if [[ -z "$host_ca" || ! -r "$host_ca" ]]; then
    [[ -n "$host_ca" ]] && log "NODE_EXTRA_CA_CERTS=$host_ca is not readable: ignored"
    host_ca=""
    for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
      [[ -r "$f" ]] && host_ca="$f" && break
    done
  fi
  if [[ -n "$host_ca" ]]; then
    build_flags+=(-v "$(readlink -f "$host_ca"):/run/host-ca.crt:ro"
      --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt)
  fi
fi

if [[ "$ENGINE_NAME" == docker ]]; then
  # RUN --mount=type=cache needs BuildKit: the default from Docker 23, opt-in
  # before (Debian bookworm's docker.io is 20.10)
  export DOCKER_BUILDKIT=1
  # docker build has no -v: behind a TLS-intercepting proxy, use a NODE_IMAGE
  # that carries the proxy's CA and name the file inside it here
  if [[ -n "${BUILD_NODE_EXTRA_CA_CERTS:-}" ]]; then
    build_flags+=(--build-arg NODE_EXTRA_CA_CERTS="$BUILD_NODE_EXTRA_CA_CERTS")
  fi
fi

build() { # name dockerfile tag [build-args...]
  local file="$2" tag="$3" start=$SECONDS logf="$CACHE_DIR/build-$1.log"
  shift 3
  mkdir -p "$CACHE_DIR"
  log "building $tag ($file) — log: $logf"
  if ! "${ENGINE[@]}" build "${build_flags[@]}" -f "$INFRA_DIR/docker/$file" -t "$tag" "$@" "$CONTEXT" >"$logf" 2>&1; then
    tail -30 "$logf" >&2
    die "building $tag failed (full log: $logf)"
  fi
  log "built $tag in $((SECONDS - start))s, $("${ENGINE[@]}" image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
}

for t in "${targets[@]}"; do
  case "$t" in
    edge)
      ensure_base "$NODE_IMAGE"
      build edge app.Dockerfile "strata/edge:$IMAGE_TAG" --build-arg NODE_IMAGE="$NODE_IMAGE" \
        --build-arg APP=edge --build-arg SIP_PORT=5060 ;;
    core)
      ensure_base "$NODE_IMAGE"
      build core app.Dockerfile "strata/core:$IMAGE_TAG" --build-arg NODE_IMAGE="$NODE_IMAGE" \
        --build-arg APP=core --build-arg SIP_PORT=5070 ;;
    sipp)
      ensure_base debian:bookworm-slim
      build sipp sipp.Dockerfile "strata/sipp:$IMAGE_TAG" ;;
    redis)
      ensure_base debian:bookworm-slim
      build redis redis.Dockerfile "strata/redis:7-debian" ;;
    *) die "unknown image '$t' (edge, core, sipp, redis)" ;;
  esac
done
