#!/bin/sh
# Every row of BENCHMARKS.md, in one run: `benches/all.sh`.
#
# Installs what a row needs where a Debian package exists (as root, with
# apt-get; otherwise the row says "not installed"), builds the release
# binary, then runs each bench. Each bench measures Proctor and its
# reference in the same interleaved run and prints Markdown rows.
# PROCTOR_BENCH_RUNS (default 5) sets the runs per row.
set -u
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=
    for pair in parallel:parallel python3:python3 Xvfb:xvfb xdotool:xdotool gdb:gdb bc:bc cc:gcc; do
        cmd=${pair%%:*}
        pkg=${pair#*:}
        command -v "$cmd" >/dev/null || missing="$missing $pkg"
    done
    if [ -n "$missing" ]; then
        echo "installing:$missing" >&2
        apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 ||
            echo "could not install:$missing (their rows say not installed)" >&2
    fi
fi
command -v pueue >/dev/null || echo "pueue: not installed (cargo install pueue to add its row)" >&2

# With its symbols: benches/footprint.sh counts the app's frames by them
# (and reports the size of the binary stripped). The same setting for
# every bench, so that one build serves them all.
export CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_BENCH_STRIP=false
cargo build --release --quiet || exit 1

echo "## Ingestion, journal, latency (benches/ingest.rs)"
cargo bench --quiet --bench ingest
echo
echo "## Pools beside xargs, GNU parallel, Python (benches/pool_speed.rs)"
cargo bench --quiet --bench pool_speed
echo
echo "## Stopping (benches/stop_speed.rs)"
cargo bench --quiet --bench stop_speed
echo
echo "## Timeline frame (benches/timeline_frame.rs)"
cargo bench --quiet --bench timeline_frame
if [ -f benches/log_frame.rs ]; then
    echo
    echo "## Log frame (benches/log_frame.rs)"
    cargo bench --quiet --bench log_frame
fi
echo
echo "## Footprint at rest (benches/footprint.sh)"
if command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v gdb >/dev/null; then
    benches/footprint.sh target/release/proctor:release
else
    echo "| release | not installed (Xvfb, xdotool, gdb) |"
fi
