#!/bin/sh
# The app's footprint at rest and its cost per frame, under Xvfb.
#
#   benches/footprint.sh [BINARY[:LABEL] ...]    (default target/release/proctor:release)
#
# For each binary, PROCTOR_BENCH_RUNS times (default 3; the binaries take
# turns, run by run): starts the app with nothing running and an empty
# state folder, waits for its window, lets it settle 5 s, then reads
#   - its RSS (/proc/PID/status), and from /proc/PID/smaps the share of the
#     GL driver's mappings (Mesa's software renderer, LLVM and the libraries
#     only it loads, libGL/EGL, the X shared-memory image it draws into),
#     of the binary's own mappings, and of the heap and anonymous memory;
#   - the UI thread's CPU over 10 idle seconds;
#   - the CPU per frame: 200 mouse moves over the window's process table,
#     20 a second, redraw it (a move starts a few frames: the scroll bars
#     fade in and out). gdb counts the frames (calls of the app's `ui`,
#     found by its symbol: give an unstripped binary, e.g. built with
#     CARGO_PROFILE_RELEASE_STRIP=false; the size column is that of the
#     binary stripped). The UI thread's CPU and all threads' (Mesa's
#     rasterizer threads too) from /proc/PID/task/*/schedstat, divided by
#     the frames. A breakpoint hit costs the UI thread a few microseconds.
# Prints one Markdown row per binary: median (min–max) of the runs.
#
# Runs under Xvfb (started here on :97 if DISPLAY is unset), where Mesa's
# software renderer counts towards RSS and CPU.
set -eu
[ $# -gt 0 ] || set -- target/release/proctor:release
runs=${PROCTOR_BENCH_RUNS:-3}
for tool in Xvfb xdotool gdb nm strip bc; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
for spec in "$@"; do
    bin=${spec%%:*}
    [ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 1; }
done

xvfb=
app=
state=$(mktemp -d)
cleanup() {
    [ -n "$app" ] && kill "$app" 2>/dev/null || true
    [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT INT TERM
if [ -z "${DISPLAY:-}" ]; then
    Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    export DISPLAY=:97
    sleep 1
fi

# Nanoseconds on a CPU: of the main (UI) thread, or of every thread.
ui_ns() { awk '{print $1}' "/proc/$app/task/$app/schedstat"; }
all_ns() { cat /proc/"$app"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

# One run of one binary: appends "label rss nogl binary anon window idle ui all size" to $state/runs.
measure() {
    bin=$1
    label=$2
    home=$state/home
    rm -rf "$home"
    mkdir -p "$home"
    start=$(date +%s.%N)
    XDG_STATE_HOME=$home XDG_CONFIG_HOME=$home XDG_DATA_HOME=$home "$bin" >/dev/null 2>&1 &
    app=$!
    i=0
    until wid=$(xdotool search --name '^Proctor' 2>/dev/null | head -n 1) && [ -n "$wid" ]; do
        i=$((i + 1))
        [ $i -lt 300 ] || { echo "no window after 30 s" >&2; exit 1; }
        sleep 0.1
    done
    shown=$(date +%s.%N)
    sleep 5
    rss_kb=$(awk '/^VmRSS:/ {print $2}' /proc/$app/status)
    exe=$(readlink /proc/$app/exe)
    # Rss of each mapping by kind: the GL driver's, the binary's, anonymous.
    set -- $(awk -v exe="$exe" '
        /^[0-9a-f]+-[0-9a-f]+ / {
            name = $6
            kind = "lib"
            if (name == exe) kind = "bin"
            else if (name == "" || name == "[heap]") kind = "anon"
            else if (name ~ /(dri|gallium|LLVM|mesa|libGL|libEGL|vulkan|swrast|lvp|libgbm|libdrm|glapi|SYSV|libz3|libstdc\+\+|libicu|libxml2|libedit|libffi|libtinfo|libsensors|libelf|libxshmfence|libX11-xcb|libxcb-(dri|glx|present|sync|randr|shm|xfixes))/) kind = "gl"
        }
        /^Rss:/ { sum[kind] += $2 }
        END { print sum["gl"] + 0, sum["bin"] + 0, sum["anon"] + 0 }' /proc/$app/smaps)
    gl_kb=$1 bin_kb=$2 anon_kb=$3
    t0=$(ui_ns)
    sleep 10
    t1=$(ui_ns)
    # 200 moves between two points of the (empty) process table, 50 ms apart.
    moves=200
    args=
    n=0
    while [ $n -lt $moves ]; do
        x=$((800 + (n % 2) * 40))
        args="$args mousemove --window $wid $x 350 sleep 0.05"
        n=$((n + 1))
    done
    frames=0
    off=$(nm "$bin" 2>/dev/null | awk '/ProctorApp.*eframe\.\.epi\.\.App.*2ui17h/ {print $1; exit}')
    gdb_pid=
    if [ -n "$off" ]; then
        base=$(awk -v e="$exe" '$6 == e && $3 == "00000000" {split($1, a, "-"); print a[1]; exit}' /proc/$app/maps)
        printf 'set pagination off\nbreak *0x%x\ncommands\nsilent\nprintf "FRAME\\n"\ncontinue\nend\ncontinue\n' \
            $((0x$base + 0x$off)) >"$state/gdb"
        gdb -q -p "$app" -x "$state/gdb" >"$state/frames" 2>&1 &
        gdb_pid=$!
        sleep 3
    fi
    u0=$(ui_ns)
    a0=$(all_ns)
    # shellcheck disable=SC2086
    xdotool $args
    sleep 1
    u1=$(ui_ns)
    a1=$(all_ns)
    if [ -n "$gdb_pid" ]; then
        frames=$(grep -c FRAME "$state/frames" || true)
        kill -INT "$gdb_pid" 2>/dev/null || true
        wait "$gdb_pid" 2>/dev/null || true
    fi
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    app=
    per_frame="- - -"
    [ "$frames" -gt 0 ] && per_frame="$(((u1 - u0) / frames / 1000)) $(((a1 - a0) / frames / 1000)) $frames"
    echo "$label $rss_kb $((rss_kb - gl_kb)) $bin_kb $anon_kb $(echo "$shown - $start" | bc) $(((t1 - t0) / 1000)) $per_frame" >>"$state/runs"
}

r=0
while [ $r -lt "$runs" ]; do
    for spec in "$@"; do
        bin=${spec%%:*}
        label=${spec#*:}
        [ "$label" != "$spec" ] || label=$(basename "$bin")
        measure "$bin" "$label"
    done
    r=$((r + 1))
done

# Median (min–max) of one column for one label.
stat_of() {
    awk -v l="$1" -v c="$2" '$1 == l && $c != "-" {print $c}' "$state/runs" | sort -g | awk -v unit="$3" -v div="$4" -v fmt="$5" '
        { v[NR] = $1 / div }
        END {
            if (NR == 0) { printf "— (no symbols)"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf fmt "%s (" fmt "–" fmt ")", m, (unit == "" ? "" : " " unit), v[1], v[NR]
        }'
}
echo "| build | RSS | without the GL driver | of it the binary | of it heap and anonymous | window after | UI thread CPU, 10 s idle | frames | UI thread CPU per frame | all threads' CPU per frame | binary, stripped | runs |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for spec in "$@"; do
    bin=${spec%%:*}
    label=${spec#*:}
    [ "$label" != "$spec" ] || label=$(basename "$bin")
    echo "| $label | $(stat_of "$label" 2 MB 1024 %.0f) | $(stat_of "$label" 3 MB 1024 %.0f) | $(stat_of "$label" 4 MB 1024 %.0f) | $(stat_of "$label" 5 MB 1024 %.0f) | $(stat_of "$label" 6 s 1 %.2f) | $(stat_of "$label" 7 ms 1000 %.0f) | $(stat_of "$label" 10 "" 1 %.0f) | $(stat_of "$label" 8 ms 1000 %.2f) | $(stat_of "$label" 9 ms 1000 %.2f) | $(strip -o "$state/stripped" "$bin" && awk -v s="$(stat -c %s "$state/stripped")" 'BEGIN {printf "%.1f MB", s / 1048576}') | $runs |"
done
