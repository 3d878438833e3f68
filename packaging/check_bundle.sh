#!/usr/bin/env bash
# Prove that a built (or installed) bundle runs, without touching anyone's data:
#
#     packaging/check_bundle.sh dist/supportline-<version>     # or /opt/supportline/current
#
# In a new, temporary SUPPORTLINE_HOME and with QT_QPA_PLATFORM=offscreen: `supportline-cli
# --version` (must print the bundle's VERSION when it has one), `demo --calls 50`, `self-test`
# (resources, fonts, PostgreSQL driver, Qt plugins, main window), then the GUI executable itself,
# started until its log says "ready for sign-in" (database open, schema current, main window
# built) and stopped. Exits non-zero, with the output, at the first step that fails.
set -euo pipefail

bundle="${1:?usage: packaging/check_bundle.sh BUNDLE_FOLDER}"
cli="$bundle/supportline-cli"
gui="$bundle/supportline"
for exe in "$cli" "$gui"; do
    [ -x "$exe" ] || { echo "check_bundle: $exe is missing or not executable" >&2; exit 1; }
done

work="$(mktemp -d)"
gui_pid=""
cleanup() {
    if [ -n "$gui_pid" ] && kill -0 "$gui_pid" 2>/dev/null; then kill "$gui_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
export QT_QPA_PLATFORM=offscreen
export SUPPORTLINE_HOME="$work/home"
unset SUPPORTLINE_DB_URL
step() { printf -- '--> %s\n' "$*"; }

step "--version"
printed="$("$cli" --version)"
echo "$printed"
if [ -f "$bundle/VERSION" ] && [ "$printed" != "supportline $(cat "$bundle/VERSION")" ]; then
    echo "check_bundle: --version printed '$printed', the bundle is $(cat "$bundle/VERSION")" >&2
    exit 1
fi

step "demo --calls 50"
printf 'demo passphrase 2026\n' | timeout 300 "$cli" demo --calls 50 --seed 7 --password-stdin

step "self-test"
timeout 300 "$cli" self-test

step "the GUI executable, until it is ready for sign-in"
log="$SUPPORTLINE_HOME/logs/supportline.log"
"$gui" >"$work/gui.out" 2>&1 &
gui_pid=$!
started=$SECONDS
until grep -q "ready for sign-in" "$log" 2>/dev/null; do
    if ! kill -0 "$gui_pid" 2>/dev/null; then
        wait "$gui_pid" && code=0 || code=$?
        echo "check_bundle: the GUI exited (status $code) before it was ready for sign-in" >&2
        cat "$work/gui.out" "$log" >&2 2>/dev/null || true
        exit 1
    fi
    if [ $((SECONDS - started)) -ge 90 ]; then
        echo "check_bundle: the GUI was not ready for sign-in within 90 s" >&2
        cat "$work/gui.out" "$log" >&2 2>/dev/null || true
        exit 1
    fi
    sleep 0.5
done
grep "ready for sign-in" "$log"
kill "$gui_pid"
wait "$gui_pid" 2>/dev/null || true
gui_pid=""
echo "check_bundle: $bundle runs (GUI ready for sign-in after $((SECONDS - started)) s)"
