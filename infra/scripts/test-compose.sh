#!/usr/bin/env bash
# Container end-to-end: the compose stack (infra/compose.yml) on a network of
# its own, sipp traffic through edge → core → media, torn down on exit.
#
#   bash infra/scripts/test-compose.sh
#
# Media: two real Asterisks (infra/compose.asterisk.yml) and issue #11's steps
# whenever $ASTERISK_IMAGE (strata/asterisk:22, built by `pnpm asterisk:image`)
# exists locally; otherwise the sipp UAS stand-in of infra/compose.standin.yml.
# STRATA_COMPOSE_MEDIA=asterisk|standin forces one (asterisk without the image
# fails at once). The first line of output says which; so does the last.
#
# Steps: images → redis + media healthy → network checks → harness self-test
# (sipp straight to the media) → cores + edge healthy → TEST_CALLS (500) at
# TEST_RATE (50) cps through edge → core → media, 0 failed → FAILOVER_CALLS
# (100) calls held FAILOVER_HOLD_MS, core-1 killed once they are confirmed,
# every call must still end with a 200 to its BYE (SKIP_FAILOVER=1 skips).
# Without the apps' entry points (apps/*/dist/main.js) it stops at the call
# step with a message saying so (exit 3).
#
# Env: STRATA_COMPOSE_MEDIA (auto|asterisk|standin), STRATA_ENGINE,
#      STRATA_COMPOSE, ASTERISK_IMAGE, REDIS_IMAGE,
#      STRATA_SUBNET (10.89.77.0/24), STRATA_E2E_PROJECT (strata-e2e),
#      EDGE_SIP_PORT (host port for the edge, 15060 here), TEST_CALLS,
#      TEST_RATE, FAILOVER_CALLS, FAILOVER_HOLD_MS, SKIP_FAILOVER=1,
#      KEEP_UP=1 (leave the stack running for a look),
#      TEST_COMPOSE_TIMEOUT (1080 s: the whole run, tool install and image
#      builds included, is killed and torn down after this).
# Tools: podman, runc, podman-compose, debootstrap are installed with apt-get
# when missing and running as root (infra/scripts/ensure-tools.sh); without root
# or apt it fails at once with a message saying what is missing.
set -euo pipefail

# Whole-run bound: on expiry TERM this script and its children; the EXIT trap tears down.
TEST_COMPOSE_TIMEOUT="${TEST_COMPOSE_TIMEOUT:-1080}"
(
  sleep "$TEST_COMPOSE_TIMEOUT" &
  wait $!
  printf '[infra] ERROR: test-compose.sh timed out after %s s (TEST_COMPOSE_TIMEOUT)\n' "$TEST_COMPOSE_TIMEOUT" >&2
  pkill -TERM -P $$ 2>/dev/null
  kill -TERM $$ 2>/dev/null
) &
WATCHDOG=$!
stop_watchdog() {
  pkill -P "$WATCHDOG" 2>/dev/null || true
  kill "$WATCHDOG" 2>/dev/null || true
}
trap stop_watchdog EXIT

[[ ":$PATH:" == *:/usr/sbin:* ]] || export PATH="$PATH:/usr/sbin"

# ------------------------------------------------------------------ media
# The real Asterisk whenever its image is on this machine (issue #11's steps:
# echo with RTP + play, asterisk-1 killed under load, core-1 killed with 50
# calls up, no channels left; infra/README.md, "Issue #11's runs"), the sipp
# stand-in otherwise. Decided before anything is installed or built so that it
# is the first line of output (no engine yet: no image, so the stand-in).
ASTERISK_IMAGE="${ASTERISK_IMAGE:-strata/asterisk:22}"
STRATA_COMPOSE_MEDIA="${STRATA_COMPOSE_MEDIA:-auto}"
asterisk_image_here() {
  command -v podman >/dev/null || command -v docker >/dev/null || return 1
  (source "$(dirname "$0")/lib.sh" && image_exists "$ASTERISK_IMAGE") 2>/dev/null
}
case "$STRATA_COMPOSE_MEDIA" in
  asterisk) MEDIA_KIND=asterisk ;;
  standin) MEDIA_KIND=standin ;;
  auto) if asterisk_image_here; then MEDIA_KIND=asterisk; else MEDIA_KIND=standin; fi ;;
  *) echo "STRATA_COMPOSE_MEDIA=$STRATA_COMPOSE_MEDIA: use auto, asterisk or standin" >&2; exit 2 ;;
esac
if [[ $MEDIA_KIND == asterisk ]]; then
  MEDIA_DESC="real Asterisk ($ASTERISK_IMAGE: asterisk-1 + asterisk-2, infra/compose.asterisk.yml)"
  FILES=(-f infra/compose.yml -f infra/compose.asterisk.yml)
else
  MEDIA_DESC="STAND-IN, not Asterisk: sipp UAS (infra/sipp/uas-standin.xml, infra/compose.standin.yml) in the asterisk role, signalling only"
  FILES=(-f infra/compose.yml -f infra/compose.standin.yml)
fi
why="image present"
[[ $STRATA_COMPOSE_MEDIA != auto ]] && why="STRATA_COMPOSE_MEDIA=$STRATA_COMPOSE_MEDIA"
[[ $STRATA_COMPOSE_MEDIA == auto && $MEDIA_KIND == standin ]] && why="no local $ASTERISK_IMAGE; \`pnpm asterisk:image\` builds it"
echo "media: $MEDIA_DESC ($why)"

bash "$(dirname "$0")/ensure-tools.sh"
source "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"
if [[ $MEDIA_KIND == asterisk ]] && ! image_exists "$ASTERISK_IMAGE"; then
  die "STRATA_COMPOSE_MEDIA=asterisk but there is no image $ASTERISK_IMAGE here: build it with \`pnpm asterisk:image\` (infra/README.md) or set ASTERISK_IMAGE"
fi
require_compose

PROJECT="${STRATA_E2E_PROJECT:-strata-e2e}"
NET="${PROJECT}_default"
export STRATA_SUBNET="${STRATA_SUBNET:-10.89.77.0/24}"
export EDGE_SIP_PORT="${EDGE_SIP_PORT:-15060}"
TEST_CALLS="${TEST_CALLS:-500}"
TEST_RATE="${TEST_RATE:-50}"
FAILOVER_CALLS_SET="${FAILOVER_CALLS:-}"
FAILOVER_CALLS="${FAILOVER_CALLS:-100}" # 50 `wait` calls with the real Asterisk (issue #11)
FAILOVER_HOLD_MS="${FAILOVER_HOLD_MS:-15000}"
LOG_DIR="$CACHE_DIR/test-compose"
mkdir -p "$LOG_DIR"
T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }
compose() { timeout "${COMPOSE_TIMEOUT:-180}" "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" "$@"; }
# counts LOG -> "N ok, M failed" from sipp's final statistics screen
counts() {
  awk -F'|' '/Successful call/ {s=$3} /Failed call/ {f=$3}
    END {gsub(/ /,"",s); gsub(/ /,"",f); printf "%s ok, %s failed", s, f}' "$1"
}

created_net=""
cleanup() {
  local rc=$?
  stop_watchdog
  if [[ -n "${KEEP_UP:-}" ]]; then
    log "KEEP_UP set: stack left running (project $PROJECT); tear down with:"
    log "  ${COMPOSE[*]} -p $PROJECT ${FILES[*]} down"
    exit "$rc"
  fi
  step "tearing down"
  "${ENGINE[@]}" rm -f "${PROJECT}-uac" "${PROJECT}-probe" "${PROJECT}-calls" "${PROJECT}-failover" >/dev/null 2>&1 || true
  compose down >"$LOG_DIR/down.log" 2>&1 || log "compose down failed (see $LOG_DIR/down.log)"
  if [[ -n "$created_net" ]]; then
    "${ENGINE[@]}" network rm -f "$NET" >/dev/null 2>&1 || true
  fi
  if [[ $rc -eq 0 ]]; then step "PASS — media: $MEDIA_DESC"; else step "FAIL (exit $rc) — media: $MEDIA_DESC; logs in $LOG_DIR"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ images
step "images (base images are built locally when no registry has them)"
images=(edge core sipp)
REDIS_IMAGE="${REDIS_IMAGE:-redis:7-bookworm}"
if ! image_exists "$REDIS_IMAGE" && ! { [[ -z "${STRATA_NO_PULL:-}" ]] &&
  timeout 60 "${ENGINE[@]}" pull -q "$REDIS_IMAGE" >/dev/null 2>&1; }; then
  REDIS_IMAGE=strata/redis:7-debian
  image_exists "$REDIS_IMAGE" || images+=(redis)
fi
export REDIS_IMAGE
timeout 900 bash infra/scripts/build-images.sh "${images[@]}"

apps_ready=1
for app in edge core; do
  if ! "${ENGINE[@]}" run --rm --no-healthcheck --entrypoint test "strata/$app:local" -f /app/dist/main.js; then
    log "strata/$app:local has no /app/dist/main.js: the $app entry point does not exist yet"
    apps_ready=0
  fi
done

# ------------------------------------------------------------------ network
# podman-compose 1.0.x ignores ipam; create the network with the subnet that
# infra/asterisk/pjsip.conf identifies the cores by.
if [[ "$ENGINE_NAME" == podman ]] && ! podman network exists "$NET"; then
  podman network create --subnet "$STRATA_SUBNET" \
    --label "io.podman.compose.project=$PROJECT" --label "com.docker.compose.project=$PROJECT" \
    "$NET" >/dev/null
  created_net=1
fi

# ------------------------------------------------------------------ stack
container_of() { # service -> container id
  "${ENGINE[@]}" ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{.ID}}' | head -1
}

wait_healthy() { # service timeout_s
  local svc="$1" deadline=$((SECONDS + $2)) id state
  while :; do
    id="$(container_of "$svc")"
    if [[ -n "$id" ]]; then
      state="$("${ENGINE[@]}" inspect --format '{{.State.Status}}' "$id" 2>/dev/null || echo gone)"
      if [[ "$state" != running && "$state" != created ]]; then
        "${ENGINE[@]}" logs --tail 20 "$id" >&2 2>&1 || true
        log "$svc is $state"
        return 1
      fi
      if [[ "$ENGINE_NAME" == podman ]]; then
        # podman drives healthchecks with systemd timers; without systemd, run them here
        podman healthcheck run "$id" >/dev/null 2>&1 && return 0
      else
        [[ "$(docker inspect --format '{{.State.Health.Status}}' "$id")" == healthy ]] && return 0
      fi
    fi
    ((SECONDS < deadline)) || { log "$svc not healthy after $2 s"; return 1; }
    sleep 2
  done
}

# The media services: the base file's `asterisk` (the stand-in, or with the real
# Asterisk an idle one the cores' depends_on names) and, with the real one, the
# media group asterisk-1 + asterisk-2 the cores send calls to.
MEDIA_SERVICES=(asterisk)
[[ $MEDIA_KIND == asterisk ]] && MEDIA_SERVICES=(asterisk asterisk-1 asterisk-2)
step "up: redis + media ($MEDIA_KIND: ${MEDIA_SERVICES[*]})"
compose up -d --no-build redis "${MEDIA_SERVICES[@]}" >"$LOG_DIR/up-infra.log" 2>&1 ||
  { tail -20 "$LOG_DIR/up-infra.log" >&2; die "compose up redis ${MEDIA_SERVICES[*]} failed"; }
wait_healthy redis 60
for svc in "${MEDIA_SERVICES[@]}"; do wait_healthy "$svc" 90; done

step "network: service names resolve and answer inside $NET"
"${ENGINE[@]}" run --rm --name "${PROJECT}-probe" --network "$NET" --no-healthcheck \
  "$REDIS_IMAGE" timeout 10 redis-cli -h redis ping | grep -q PONG || die "redis not reachable as 'redis'"
"${ENGINE[@]}" run --rm -i --name "${PROJECT}-probe" --network "$NET" --no-healthcheck \
  -e STRATA_HEALTH_HOST=asterisk -e SIP_PORT=5060 "${NODE_IMAGE:-node:20-bookworm-slim}" \
  node - <infra/docker/healthcheck.mjs >/dev/null || die "media not answering OPTIONS at asterisk:5060"
step "redis PONG and media OPTIONS 200 by service name"

# The same load as the call step, straight to the media: when this passes and
# the call step fails, the difference is Strata, not the network or sipp.
if [[ $MEDIA_KIND == asterisk ]]; then
  # control: echo calls with RTP (sipp's pcap play: root + NET_RAW) straight to each Asterisk
  for svc in asterisk-1 asterisk-2; do
    step "harness: 5 echo calls with RTP, sipp UAC → $svc directly (no Strata in the path)"
    timeout 60 "${ENGINE[@]}" run --rm --name "${PROJECT}-uac" --network "$NET" --no-healthcheck \
      --user root --cap-add NET_RAW -v "$INFRA_DIR/sipp:/sipp:ro" "strata/sipp:local" \
      "$svc:5060" -sf /sipp/uac-asterisk-echo.xml -s echo -m 5 -r 5 -d 9000 -cid_str "%u-harness-$svc-%p@%s" \
      -nostdin -timeout 40s -timeout_error >"$LOG_DIR/harness-$svc.log" 2>&1 ||
      { tail -30 "$LOG_DIR/harness-$svc.log" >&2; die "sipp UAC → $svc failed: the test harness itself is broken"; }
    step "harness $svc: $(counts "$LOG_DIR/harness-$svc.log")"
  done
else
step "harness: $TEST_CALLS calls at $TEST_RATE cps, sipp UAC → media directly (no Strata in the path)"
timeout 200 "${ENGINE[@]}" run --rm --name "${PROJECT}-uac" --network "$NET" --no-healthcheck \
  -v "$INFRA_DIR/sipp:/sipp:ro" "strata/sipp:local" \
  asterisk:5060 -sf /sipp/uac.xml -s wait -m "$TEST_CALLS" -r "$TEST_RATE" -d 1000 -cid_str "%u-harness-%p@%s" \
  -nostdin -timeout 150s -timeout_error >"$LOG_DIR/harness.log" 2>&1 ||
  { tail -30 "$LOG_DIR/harness.log" >&2; die "sipp UAC → media failed: the test harness itself is broken"; }
step "harness: $(counts "$LOG_DIR/harness.log")"
fi

if [[ $apps_ready == 1 ]]; then
  step "up: core-1, core-2, edge"
  compose up -d --no-build core-1 core-2 edge >"$LOG_DIR/up-apps.log" 2>&1 ||
    { tail -20 "$LOG_DIR/up-apps.log" >&2; die "compose up core-1 core-2 edge failed"; }
  wait_healthy core-1 60
  wait_healthy core-2 60
  wait_healthy edge 60
fi

# ------------------------------------------------------------------ calls
# uac NAME CALLS RATE HOLD_MS [SCENARIO [SERVICE [sipp args...]]]: starts a
# detached sipp UAC container → edge:5060 (default uac.xml, user "wait").
# UAC_RUN_OPTS: extra container options (pcap play needs root + NET_RAW).
# Each run gets its own local port and Call-IDs: sipp is PID 1 in every
# container and numbers its Via branches z9hG4bK-1-<call>-<n> and its Call-IDs
# <call>-1@<container IP>, and Docker hands a removed container's IP to the next
# one — the same Call-IDs again, which the sipp stand-in (holding ended calls
# for 33 s) took for its dead calls and ignored.
uac_port=5060
UAC_RUN_OPTS=()
uac() {
  local name="$1" calls="$2" rate="$3" hold="$4" sf="${5:-uac.xml}" svc="${6:-wait}"
  shift $(($# < 6 ? $# : 6))
  uac_port=$((uac_port + 1))
  "${ENGINE[@]}" rm -f "${PROJECT}-$name" >/dev/null 2>&1 || true
  "${ENGINE[@]}" run -d --name "${PROJECT}-$name" --network "$NET" --no-healthcheck \
    "${UAC_RUN_OPTS[@]}" -v "$INFRA_DIR/sipp:/sipp:ro" "strata/sipp:local" \
    edge:5060 -sf "/sipp/$sf" -s "$svc" -m "$calls" -r "$rate" -d "$hold" -p "$uac_port" \
    -cid_str "%u-$name-%p@%s" -nostdin -timeout 150s -timeout_error "$@" >/dev/null
}
# ast_channels SERVICE -> active channels on that Asterisk ("core show channels count")
ast_channels() {
  "${ENGINE[@]}" exec "$(container_of "$1")" asterisk -rx 'core show channels count' 2>/dev/null |
    awk '/active channel/ {print $1; f=1} END {if (!f) print "?"}'
}
# no_channels_left WHEN: each running Asterisk of the media group must count 0
# channels (within 15 s: the last BYEs may still be in flight)
no_channels_left() {
  [[ $MEDIA_KIND == asterisk ]] || return 0
  local svc n deadline=$((SECONDS + 15)) report
  while :; do
    report="" left=0
    for svc in asterisk-1 asterisk-2; do
      n="$(ast_channels "$svc")"
      report+="$svc $n, "
      [[ "$n" == 0 ]] || left=1
    done
    ((left == 0)) && { step "channels after $1: ${report%, } (core show channels)"; return 0; }
    ((SECONDS < deadline)) || die "channels left on the Asterisks after $1: ${report%, }"
    sleep 1
  done
}
# uac_wait NAME -> sipp's exit code (0: every call succeeded); log in $LOG_DIR/NAME.log
uac_wait() {
  local rc
  rc="$(timeout 200 "${ENGINE[@]}" wait "${PROJECT}-$1" 2>/dev/null | tail -1)" || rc=124
  "${ENGINE[@]}" logs "${PROJECT}-$1" >"$LOG_DIR/$1.log" 2>&1 || true
  "${ENGINE[@]}" rm -f "${PROJECT}-$1" >/dev/null 2>&1 || true
  return "${rc:-125}"
}
# confirmed_dialogs -> live dialogs summed over the running cores (dialogs.active of their /stats)
confirmed_dialogs() {
  local svc id n total=0
  for svc in core-1 core-2; do
    id="$(container_of "$svc")"
    [[ -n "$id" ]] || continue
    n="$("${ENGINE[@]}" exec "$id" node -e \
      "fetch('http://127.0.0.1:9070/stats').then(r=>r.json()).then(j=>console.log(j.dialogs?.active??j.dialogs?.confirmed??0)).catch(()=>console.log(0))" \
      2>/dev/null || echo 0)"
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

[[ $MEDIA_KIND == asterisk ]] ||
  step "calls: $TEST_CALLS at $TEST_RATE cps, sipp UAC → edge → core → media ($MEDIA_KIND)"
if [[ $apps_ready != 1 ]]; then
  cat >&2 <<EOF

FAIL at the call step (expected for now): the edge and core images have no
dist/main.js, so their containers cannot run — apps/edge and apps/core get
their entry points in issues #6 and #7. Everything before this step passed:
images build, the network and service-name DNS work, redis and the media
($MEDIA_KIND) are healthy.

EOF
  exit 3
fi
if [[ $MEDIA_KIND == asterisk ]]; then
  # issue #11: 200 calls at 20 cps — 100 `echo` with RTP (sipp streams its
  # g711a pcap, Asterisk echoes it, caller hangs up after 8 s) and 100 `play`
  # (Playback ≈ 30 s, then Asterisk's BYE reaches the UAC through core and edge
  # by the Record-Route set; -aa answers the cores' in-dialog OPTIONS), 10 cps each.
  step "calls (asterisk): 100 echo with RTP + 100 play, 20 cps together, sipp UAC → edge → core → asterisk-1/2"
  UAC_RUN_OPTS=(--user root --cap-add NET_RAW)
  uac echo 100 10 8000 uac-asterisk-echo.xml echo
  UAC_RUN_OPTS=()
  uac play 100 10 0 uac-wait-bye.xml play -aa
  rc=0
  uac_wait echo || rc=$?
  step "calls echo: $(counts "$LOG_DIR/echo.log")"
  uac_wait play || rc=$((rc ? rc : $?))
  step "calls play: $(counts "$LOG_DIR/play.log")"
  if [[ $rc -ne 0 ]]; then
    grep -hE "Aborting|unexpected" "$LOG_DIR/echo.log" "$LOG_DIR/play.log" | head -5 >&2 || true
    die "call step failed: echo $(counts "$LOG_DIR/echo.log"), play $(counts "$LOG_DIR/play.log") (logs: $LOG_DIR/echo.log, play.log)"
  fi
  no_channels_left "the echo + play calls"

  # kill asterisk-1 while calls are placed: probes mark it down, new calls go
  # to asterisk-2; only the calls up on asterisk-1 at the kill may fail
  step "media failover: 200 wait calls at 20 cps (2 s each), asterisk-1 killed after 4 s"
  uac mediafail 200 20 2000
  sleep 4
  up1="$(ast_channels asterisk-1)"
  "${ENGINE[@]}" kill "$(container_of asterisk-1)" >/dev/null
  step "media failover: asterisk-1 killed with $up1 channels up on it"
  uac_wait mediafail || true
  read -r ok failed < <(awk -F'|' '/Successful call/ {s=$3} /Failed call/ {f=$3}
    END {gsub(/ /,"",s); gsub(/ /,"",f); print s+0, f+0}' "$LOG_DIR/mediafail.log")
  # every INVITE must be answered (new calls went to asterisk-2); only calls up on
  # asterisk-1 may fail (their BYE times out). The count is taken just before the
  # kill: at 20 cps round-robin another 1-2 get answered there in between (+3).
  answered="$(awk '/200 <-+ +E-RTD1/ {print $4}' "$LOG_DIR/mediafail.log" | tail -1)"
  step "media failover: $ok ok, $failed failed, ${answered:-?}/200 INVITEs answered (bound: the $up1 calls up on asterisk-1 at the kill, +3)"
  ((ok + failed == 200)) || die "media failover: only $((ok + failed)) of 200 calls ended (log: $LOG_DIR/mediafail.log)"
  [[ "${answered:-0}" == 200 ]] || die "media failover: ${answered:-?} of 200 INVITEs answered: new calls did not all go to asterisk-2 (log: $LOG_DIR/mediafail.log)"
  [[ "$up1" =~ ^[0-9]+$ ]] && ((failed <= up1 + 3)) ||
    die "media failover: $failed calls failed, more than the $up1 up on asterisk-1 at the kill (+3) (log: $LOG_DIR/mediafail.log)"
  "${ENGINE[@]}" start "$(container_of asterisk-1)" >/dev/null
  wait_healthy asterisk-1 90
  sleep 6 # the cores' OPTIONS probes mark it up again
  no_channels_left "the asterisk-1 kill"
  FAILOVER_CALLS="${FAILOVER_CALLS_SET:-50}"
else
uac calls "$TEST_CALLS" "$TEST_RATE" 1000
if uac_wait calls; then rc=0; else rc=$?; fi
if [[ $rc -ne 0 ]]; then
  grep -E "Aborting|unexpected" "$LOG_DIR/calls.log" | head -5 >&2 || true
  die "call step failed: $(counts "$LOG_DIR/calls.log") (sipp exit $rc: 1 = some calls failed, 124 = timed out; log: $LOG_DIR/calls.log)"
fi
step "calls: $(counts "$LOG_DIR/calls.log")"
fi

# ------------------------------------------------------------------ failover
if [[ -n "${SKIP_FAILOVER:-}" ]]; then
  step "failover: skipped (SKIP_FAILOVER)"
  exit 0
fi
step "failover: $FAILOVER_CALLS calls held $FAILOVER_HOLD_MS ms, core-1 killed once they are all up"
uac failover "$FAILOVER_CALLS" 50 "$FAILOVER_HOLD_MS"
# wait (at most until 3 s before the first calls end) for all of them to be up
deadline=$((SECONDS + FAILOVER_HOLD_MS / 1000 - 3))
max=0
while n="$(confirmed_dialogs)" && ((n > max ? (max = n) : 1)) && ((n < FAILOVER_CALLS)) &&
  ((SECONDS < deadline)); do sleep 1; done
if ((max < FAILOVER_CALLS)); then
  uac_wait failover || true
  die "failover step failed before any core was killed: at most $max of $FAILOVER_CALLS calls were up at once (cores' dialogs.active); sipp: $(counts "$LOG_DIR/failover.log") (log: $LOG_DIR/failover.log)"
fi
step "failover: $n calls up on the cores; killing core-1"
"${ENGINE[@]}" kill "$(container_of core-1)" >/dev/null
if uac_wait failover; then rc=0; else rc=$?; fi
if [[ $rc -ne 0 ]]; then
  grep -E "Aborting|unexpected" "$LOG_DIR/failover.log" | head -5 >&2 || true
  die "failover step failed: $(counts "$LOG_DIR/failover.log") — every call must end with a 200 to its BYE after core-1 died (sipp exit $rc; log: $LOG_DIR/failover.log)"
fi
step "failover: $(counts "$LOG_DIR/failover.log"), every BYE answered 200 after core-1 died"
no_channels_left "the core-1 kill"
