#!/usr/bin/env bash
# Consumer test (issue 10, item 4): every package works from its tarball, in ESM and in CJS, and the
# browser entries bundle without Node built-ins and run in Chromium. The packages are built, packed
# with pnpm (workspace:* becomes a version) and installed with npm into fresh folders outside the
# workspace, so nothing of the monorepo's node_modules can hide a packaging bug.
#   bash test/consumer/run.sh     (any cwd; KEEP=1 keeps the temp folder and its logs)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
export MCSC_ROOT="$ROOT" # browser scripts take playwright-core and esbuild (via tsup) from the workspace
LC_NUMERIC=C             # EPOCHREALTIME with a "." for the timings
ORT=1.30.0               # the onnxruntime-node / -web peers the packages are built and tested against
PACKAGES=(graph core infer train)

WORK="$(mktemp -d)"
case "$WORK/" in "$ROOT"/*) echo "mktemp -d gave $WORK, inside the workspace; set TMPDIR elsewhere" >&2; exit 1 ;; esac
if [ "${KEEP:-0}" = 1 ]; then echo "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
APP="$WORK/app"        # all four packages and both runtimes
CORE="$WORK/core-only" # @mcsc/core and its @mcsc/graph only: no runtime, no native code
mkdir -p "$WORK/tarballs" "$WORK/logs" "$APP" "$CORE"

passed=0
failed=0
failures=()
# check NAME CMD...: runs CMD (output in logs/NAME.log) and prints one line: PASS with the time and
# CMD's last output line, or FAIL followed by the end of the log. Returns CMD's status.
check() {
  local name=$1 t0=$EPOCHREALTIME status=0
  shift
  "$@" >"$WORK/logs/$name.log" 2>&1 || status=$?
  local secs
  secs=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }")
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    printf 'PASS  %-16s %6ss  %s\n' "$name" "$secs" "$(tail -n 1 "$WORK/logs/$name.log")"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL  %-16s %6ss  (exit %s)\n' "$name" "$secs" "$status"
    tail -n 40 "$WORK/logs/$name.log" | sed 's/^/      | /'
  fi
  return "$status"
}

# The closing line counts checks; any failure makes the script exit non-zero.
finish() {
  [ "$failed" -eq 0 ] || echo "failed: ${failures[*]}"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0 || exit 1
}

# at DIR CMD...: runs CMD in DIR (a subshell, so the script's cwd stays put).
at() { (cd "$1" && shift && "$@"); }

# Note: set -e does not apply inside functions that check() runs (they run in an `||` context), so
# the steps below chain with && and `|| return 1`.

pack_all() {
  for p in "${PACKAGES[@]}"; do (cd "packages/$p" && pnpm pack --pack-destination "$WORK/tarballs" >/dev/null) || return 1; done
  for t in "$WORK"/tarballs/*.tgz; do
    if tar -xOzf "$t" package/package.json | grep '"workspace:' >/dev/null; then echo "$(basename "$t") still has workspace: ranges" >&2; return 1; fi
  done
  (cd "$WORK/tarballs" && du -k ./*.tgz | awk '{ printf "%s%s %d KiB", (NR > 1 ? ", " : ""), substr($2, 3), $1 } END { print "" }')
}

# tarball NAME: the path of @mcsc/NAME's tarball, whatever its version.
tarball() { compgen -G "$WORK/tarballs/mcsc-$1-*.tgz"; }

# The consumer: npm init, the four tarballs and the runtime peers. ONNXRUNTIME_NODE_INSTALL=skip: the
# postinstall of onnxruntime-node would download CUDA libraries on Linux x64 (the CPU build ships inside).
install_app() (
  cd "$APP" && npm init -y >/dev/null &&
    ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund \
      "$(tarball graph)" "$(tarball core)" "$(tarball infer)" "$(tarball train)" "onnxruntime-node@$ORT" "onnxruntime-web@$ORT" &&
    cp "$HERE"/scripts/* "$HERE"/browser/* . || return 1
  echo "4 tarballs + onnxruntime-node/-web $ORT: du -sm node_modules = $(du -sm node_modules | cut -f1) MiB"
)

# Core alone: both tarballs go to npm (core depends on @mcsc/graph 0.1.0, which no registry has).
# The install must hold no native addon and stay under 20 MiB.
install_core_only() (
  cd "$CORE" && npm init -y >/dev/null &&
    npm install --no-audit --no-fund "$(tarball core)" "$(tarball graph)" &&
    cp "$HERE"/scripts/* . || return 1
  local mib natives
  mib=$(du -sm node_modules | cut -f1)
  natives=$(find node_modules -name '*.node' | wc -l)
  echo "core-only install: $(ls node_modules | wc -l) top-level entries, du -sm node_modules = $mib MiB, $natives *.node files"
  [ "$natives" -eq 0 ] || { echo "native addons in a core-only install:" >&2; find node_modules -name '*.node' >&2; return 1; }
  [ "$mib" -le 20 ] || { echo "core-only install is $mib MiB, over 20 MiB" >&2; return 1; }
)

echo "consumer test in $WORK (node $(node --version), npm $(npm --version), pnpm $(pnpm --version))"
# Build, pack and install are prerequisites: without them nothing else can run.
check build pnpm build || finish
check pack pack_all || finish
check install install_app || finish

check manifests at "$APP" node manifests.cjs || true
for pkg in core graph infer train; do
  check "$pkg-esm" at "$APP" timeout 300 node "$pkg.mjs" || true
  check "$pkg-cjs" at "$APP" timeout 300 node "$pkg.cjs" || true
done
check train-cli at "$APP" timeout 300 node train-cli.mjs || true
if check browser-bundle at "$APP" timeout 300 node bundle.mjs; then
  check browser-core at "$APP" timeout 300 node run.mjs core || true
  check browser-infer at "$APP" timeout 300 node run.mjs infer || true
fi
if check core-only-size install_core_only; then
  check core-only-esm at "$CORE" timeout 300 node pure.mjs || true
  check core-only-cjs at "$CORE" timeout 300 node pure.cjs || true
fi
finish
