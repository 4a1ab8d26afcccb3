#!/bin/sh
# The app's footprint at rest: RSS with nothing running, with and without
# the GL driver's share (from /proc/PID/smaps), the time until its window
# appears, the UI thread's CPU over 10 idle seconds, and the binary's size.
#
#   benches/footprint.sh [BINARY] [LABEL]
#
# Runs under Xvfb (started here on :97 if DISPLAY is unset), where Mesa's
# software renderer counts towards RSS. Prints one Markdown table row.
set -eu
bin=${1:-target/release/proctor}
label=${2:-$(basename "$bin")}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 1; }
for tool in Xvfb xdotool; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done

xvfb=
if [ -z "${DISPLAY:-}" ]; then
    Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    export DISPLAY=:97
    sleep 1
fi
state=$(mktemp -d)
cleanup() {
    [ -n "${app:-}" ] && kill "$app" 2>/dev/null || true
    [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT INT TERM

start=$(date +%s.%N)
XDG_STATE_HOME=$state XDG_CONFIG_HOME=$state "$bin" >/dev/null 2>&1 &
app=$!
i=0
until xdotool search --name Proctor >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 300 ] || { echo "no window after 30 s" >&2; exit 1; }
    sleep 0.1
done
shown=$(date +%s.%N)
# Settle, then measure.
sleep 5
rss_kb=$(awk '/^VmRSS:/ {print $2}' /proc/$app/status)
gl_kb=$(awk '
    /^[0-9a-f]+-[0-9a-f]+ / { gl = ($6 ~ /(dri|gallium|LLVM|mesa|libGL|libEGL|vulkan|swrast|lvp|libgbm|libdrm|glapi)/) }
    /^Rss:/ { if (gl) sum += $2 }
    END { print sum + 0 }' /proc/$app/smaps)
ticks() { awk '{print $14 + $15}' "/proc/$app/task/$app/stat"; }
t0=$(ticks)
sleep 10
t1=$(ticks)
hz=$(getconf CLK_TCK)
size=$(stat -c %s "$bin")
echo "| $label | $((rss_kb / 1024)) MB | $(((rss_kb - gl_kb) / 1024)) MB | $(echo "$shown - $start" | bc) s | $(echo "scale=3; ($t1 - $t0) / $hz" | bc) s | $((size / 1024 / 1024)) MB |"
