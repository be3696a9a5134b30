#!/usr/bin/env bash
# Prepares the offline Asterisk source for infra/asterisk/Dockerfile
# (ASTERISK_SOURCE=local) from two git snapshots, without the internet:
#
#   bash infra/scripts/asterisk-source.sh ASTERISK_GIT_DIR PJPROJECT_GIT_DIR
#
#   ASTERISK_GIT_DIR   a clone (bare or not) of github.com/asterisk/asterisk
#   PJPROJECT_GIT_DIR  a clone (bare or not) of github.com/pjsip/pjproject
#
# Writes (git-ignored, never commit it: /infra/asterisk/src/ in .gitignore)
#   infra/asterisk/src/asterisk/                  git archive of $ASTERISK_REF
#                                                  (+ .version, as a release has)
#   infra/asterisk/src/externals/pjproject-V.tar.bz2
#       git archive --prefix=pjproject-V/ V | bzip2 -9, V from the Asterisk
#       tree's third-party/versions.mak; its md5 must equal
#       third-party/pjproject/pjproject-V.tar.bz2.md5 (checked, printed).
#       ./configure --with-externals-cache=<that dir> then builds the bundled
#       pjproject from it instead of downloading it.
#
# Env: ASTERISK_REF (default: branch 22, the LTS), OUT_DIR (infra/asterisk/src).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -eq 2 ]] || die "usage: $0 ASTERISK_GIT_DIR PJPROJECT_GIT_DIR"
AST_GIT="$1"
PJ_GIT="$2"
ASTERISK_REF="${ASTERISK_REF:-22}"
OUT_DIR="${OUT_DIR:-$INFRA_DIR/asterisk/src}"
for c in git bzip2 md5sum tar; do command -v "$c" >/dev/null || die "$c is needed"; done
git -C "$AST_GIT" rev-parse --git-dir >/dev/null 2>&1 || die "$AST_GIT is not a git repository"
git -C "$PJ_GIT" rev-parse --git-dir >/dev/null 2>&1 || die "$PJ_GIT is not a git repository"

# A bare mirror has the branch as refs/heads/22; a clone may only have origin/22.
resolve() { # git-dir ref -> commit
  local r
  for r in "$2" "refs/heads/$2" "refs/remotes/origin/$2" "refs/tags/$2"; do
    if git -C "$1" rev-parse -q --verify "$r^{commit}" 2>/dev/null; then return; fi
  done
  die "$1 has no ref '$2'"
}
ast_commit="$(resolve "$AST_GIT" "$ASTERISK_REF")"
pj_version="$(git -C "$AST_GIT" show "$ast_commit:third-party/versions.mak" \
  | sed -n 's/^PJPROJECT_VERSION=//p')"
[[ -n "$pj_version" ]] || die "no PJPROJECT_VERSION in third-party/versions.mak of $ASTERISK_REF"
expected_md5="$(git -C "$AST_GIT" show "$ast_commit:third-party/pjproject/pjproject-$pj_version.tar.bz2.md5" | awk '{print $1}')"
pj_commit="$(resolve "$PJ_GIT" "$pj_version")"
# A version name for the build (a git tree has no .version; a release tarball
# has): a tag as is, else GIT-<branch>-<commit> like Asterisk's make_version.
if git -C "$AST_GIT" rev-parse -q --verify "refs/tags/$ASTERISK_REF" >/dev/null; then
  ast_desc="$ASTERISK_REF"
else
  ast_desc="GIT-$ASTERISK_REF-${ast_commit:0:10}"
fi

log "asterisk $ASTERISK_REF = ${ast_commit:0:12} ($ast_desc), pjproject $pj_version = ${pj_commit:0:12}"
ast_dir="$OUT_DIR/asterisk"
ext_dir="$OUT_DIR/externals"
rm -rf "$ast_dir.tmp" && mkdir -p "$ast_dir.tmp" "$ext_dir"
git -C "$AST_GIT" archive "$ast_commit" | tar -x -C "$ast_dir.tmp"
printf '%s\n' "$ast_desc" >"$ast_dir.tmp/.version"
rm -rf "$ast_dir" && mv "$ast_dir.tmp" "$ast_dir"

pj_tar="$ext_dir/pjproject-$pj_version.tar.bz2"
git -C "$PJ_GIT" archive --prefix="pjproject-$pj_version/" "$pj_commit" | bzip2 -9 >"$pj_tar.tmp"
mv "$pj_tar.tmp" "$pj_tar"
actual_md5="$(md5sum "$pj_tar" | awk '{print $1}')"
echo "pjproject-$pj_version.tar.bz2 md5 $actual_md5 (expected $expected_md5)"
[[ "$actual_md5" == "$expected_md5" ]] \
  || die "md5 mismatch: the bundled-pjproject build would reject $pj_tar (wrong tag or a different bzip2?)"
# the Makefile checks the tarball against a copy of the .md5 next to it
cp "$ast_dir/third-party/pjproject/pjproject-$pj_version.tar.bz2.md5" "$ext_dir/"

log "ready: $ast_dir ($(du -sh "$ast_dir" | cut -f1)), $pj_tar ($(du -h "$pj_tar" | cut -f1))"
log "next: bash infra/scripts/build-asterisk-image.sh   (ASTERISK_SOURCE=local)"
