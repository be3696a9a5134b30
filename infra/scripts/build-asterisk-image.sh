#!/usr/bin/env bash
# Builds strata/asterisk:22 (infra/asterisk/Dockerfile) with podman or docker.
#
#   bash infra/scripts/build-asterisk-image.sh
#
# Source: ASTERISK_SOURCE=local when infra/asterisk/src/ has been prepared by
# infra/scripts/asterisk-source.sh (offline, like this machine), else release
# (the official tarball, downloaded during the build: needs internet).
# The compile (~3 min at -j2 here) is in a cached stage: rebuilding after a
# .conf change only redoes the runtime stage.
#
# Env: ASTERISK_SOURCE=local|release, ASTERISK_VERSION (release: 22-current),
#      ASTERISK_IMAGE (strata/asterisk:22), DEBIAN_IMAGE (debian:bookworm-slim),
#      MAKE_JOBS (2), STRATA_ENGINE, STRATA_NO_PULL=1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ASTERISK_IMAGE="${ASTERISK_IMAGE:-strata/asterisk:22}"
DEBIAN_IMAGE="${DEBIAN_IMAGE:-debian:bookworm-slim}"
CONTEXT="$INFRA_DIR/asterisk"
if [[ -z "${ASTERISK_SOURCE:-}" ]]; then
  if [[ -f "$CONTEXT/src/asterisk/configure" ]]; then ASTERISK_SOURCE=local; else ASTERISK_SOURCE=release; fi
fi
case "$ASTERISK_SOURCE" in
  local)
    if [[ ! -f "$CONTEXT/src/asterisk/configure" ]] || ! compgen -G "$CONTEXT/src/externals/pjproject-*.tar.bz2" >/dev/null; then
      die "no prepared source in $CONTEXT/src: run infra/scripts/asterisk-source.sh ASTERISK_GIT_DIR PJPROJECT_GIT_DIR"
    fi ;;
  release) ;;
  *) die "ASTERISK_SOURCE must be local or release" ;;
esac

if ! image_exists "$DEBIAN_IMAGE"; then
  if [[ -n "${STRATA_NO_PULL:-}" ]] || ! timeout 60 "${ENGINE[@]}" pull -q "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    log "$DEBIAN_IMAGE not available from a registry: building it locally"
    bash "$INFRA_DIR/scripts/build-base-image.sh"
  fi
fi

build_flags=(--build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --build-arg "ASTERISK_SOURCE=$ASTERISK_SOURCE"
  --build-arg "MAKE_JOBS=${MAKE_JOBS:-2}")
[[ -z "${ASTERISK_VERSION:-}" ]] || build_flags+=(--build-arg "ASTERISK_VERSION=$ASTERISK_VERSION")
if [[ "$ENGINE_NAME" == podman ]]; then
  # docker format keeps HEALTHCHECK (OCI drops it); --layers caches the compile
  build_flags+=(--format docker --layers)
fi

mkdir -p "$CACHE_DIR"
logf="$CACHE_DIR/build-asterisk.log"
start=$SECONDS
log "building $ASTERISK_IMAGE (ASTERISK_SOURCE=$ASTERISK_SOURCE, $ENGINE_NAME) — log: $logf"
if ! "${ENGINE[@]}" build "${build_flags[@]}" -f "$CONTEXT/Dockerfile" -t "$ASTERISK_IMAGE" "$CONTEXT" >"$logf" 2>&1; then
  tail -40 "$logf" >&2
  die "building $ASTERISK_IMAGE failed (full log: $logf)"
fi
size="$("${ENGINE[@]}" image inspect --format '{{.Size}}' "$ASTERISK_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
log "built $ASTERISK_IMAGE in $((SECONDS - start))s, $size: $("${ENGINE[@]}" run --rm "$ASTERISK_IMAGE" asterisk -V)"
