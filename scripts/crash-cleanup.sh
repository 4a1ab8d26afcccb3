#!/usr/bin/env bash
# Kills `proctor run` with SIGKILL while its child has started grandchildren
# in other sessions (setsid, double fork), then measures how long until no
# process of the tree is left. Usage: scripts/crash-cleanup.sh [RUNS]
set -euo pipefail
runs=${1:-20}
proctor=${PROCTOR:-target/release/proctor}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/s.toml" <<'TOML'
[[task]]
name = "tree"
run = ["sh", "-c", "echo pid $$; setsid sleep 60 & echo pid $!; sh -c 'setsid sleep 61 & echo pid $!'; sh -c 'sleep 62 & echo pid $!'; wait"]
TOML
survivors=0
worst=0
for i in $(seq "$runs"); do
  "$proctor" run --no-journal "$dir/s.toml" > "$dir/out" 2>/dev/null &
  p=$!
  until [ "$(grep -c 'stdout: pid' "$dir/out" 2>/dev/null || true)" -ge 4 ]; do sleep 0.01; done
  pids=$(sed -n 's/.*stdout: pid \([0-9]*\).*/\1/p' "$dir/out")
  kill -9 "$p"; wait "$p" 2>/dev/null || true
  t0=$(date +%s%N)
  while :; do
    alive=0
    for q in $pids; do
      if [ -e "/proc/$q" ] && ! grep -q '^State:.*Z' "/proc/$q/status" 2>/dev/null; then alive=1; fi
    done
    [ $alive = 0 ] && break
    if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 5000 ]; then survivors=$((survivors + 1)); break; fi
    sleep 0.005
  done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$ms" -gt "$worst" ] && worst=$ms
done
echo "runs=$runs survivors=$survivors worst_ms=$worst"
