#!/usr/bin/env bash
# Test "hosts": one OpenSSH server per loopback address, each in a PID
# namespace of its own, so that killing the namespace's first process takes
# the whole "host" down, its connections and the processes they started
# included.
#
#   tests/remote/sshd.sh start DIR [ADDR...]   (default 127.0.0.2 127.0.0.3 127.0.0.4)
#   tests/remote/sshd.sh revive DIR ADDR    (start a killed host again)
#   tests/remote/sshd.sh stop DIR
#
# PROCTOR_TEST_MAX_SESSIONS sets every server's MaxSessions (100 unless set).
#
# start writes, in DIR:
#   ssh_config         a client config: `ssh -F DIR/ssh_config ADDR` logs in as
#                      the test user (proctortest, shell /bin/sh, added if
#                      missing) with the generated key, host keys known already
#   ADDR.pid           the host PID of that namespace's first process (sshd)
#   ADDR.unshare.pid   the PID of the unshare that holds it
#   port               the port every server listens on
# and prints `ready` when every server answers. Needs root, sshd, ssh-keygen
# and unshare; exits non-zero with a reason on stderr when any is missing.
set -euo pipefail

die() { echo "sshd.sh: $*" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop DIR [ADDR...]"
shift 2 || true

stop() {
    # The namespace's first process first: unshare then reaps it and ends.
    for f in "$dir"/*.pid; do
        [ -e "$f" ] || continue
        case $f in *.unshare.pid) continue ;; esac
        kill -KILL "$(cat "$f")" 2>/dev/null || true
    done
    sleep 0.2
    for f in "$dir"/*.unshare.pid; do
        [ -e "$f" ] || continue
        kill -KILL "$(cat "$f")" 2>/dev/null || true
    done
}

# One "host": its sshd in a PID namespace of its own, on its address.
start_one() {
    local a=$1
    setsid unshare --pid --fork --mount-proc "$sshd" -D -e -f "$dir/sshd_$a.conf" \
        </dev/null >"$dir/sshd_$a.log" 2>&1 &
    echo $! >"$dir/$a.unshare.pid"
}

# The namespace's first process of a host: unshare's one child.
find_init() {
    local a=$1 u child=""
    u=$(cat "$dir/$a.unshare.pid")
    for _ in $(seq 100); do
        child=$(cat /proc/"$u"/task/"$u"/children 2>/dev/null | awk '{print $1}')
        [ -n "$child" ] && break
        sleep 0.05
    done
    [ -n "$child" ] || { stop; die "sshd on $a did not start: $(cat "$dir/sshd_$a.log")"; }
    echo "$child" >"$dir/$a.pid"
}

sshd=$(command -v sshd || echo /usr/sbin/sshd)

case $cmd in
stop)
    stop
    exit 0
    ;;
revive)
    # A host killed (kill_host) started again, as it was.
    a=${1:?revive needs an address}
    kill -KILL "$(cat "$dir/$a.unshare.pid")" 2>/dev/null || true
    start_one "$a"
    find_init "$a"
    echo ready
    exit 0
    ;;
start) ;;
*) die "unknown command $cmd" ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (sshd in a PID namespace)"
[ -x "$sshd" ] || die "no sshd (apt-get install openssh-server)"
command -v ssh >/dev/null || die "no ssh (apt-get install openssh-client)"
command -v ssh-keygen >/dev/null || die "no ssh-keygen"
command -v unshare >/dev/null || die "no unshare (util-linux)"

# The remote user: one whose login shell is /bin/sh and whose home is
# empty, so that no rc file of this machine's root (which may start slow
# tools, or take locks a killed "host" leaves behind) runs at each login.
user=proctortest
if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir / --shell /bin/sh "$user" 2>/dev/null ||
        die "cannot add the test user $user"
fi
# Unlocked (sshd refuses a locked account), with no password.
usermod -p '*' -d / -s /bin/sh "$user" 2>/dev/null || die "cannot unlock the test user $user"


addrs=("$@")
[ ${#addrs[@]} -gt 0 ] || addrs=(127.0.0.2 127.0.0.3 127.0.0.4)

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Readable by the test user: sshd reads authorized_keys as that user.
chmod 755 "$dir"
# sshd refuses to start without its privilege separation folder.
mkdir -p /run/sshd
chmod 755 /run/sshd

# A free port on every address: tests start their hosts side by side, so
# a random one, checked.
port=""
for _ in $(seq 30); do
    p=$((20000 + RANDOM % 30000))
    busy=0
    for a in "${addrs[@]}"; do
        if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then busy=1; fi
    done
    if [ $busy = 0 ]; then port=$p; break; fi
done
[ -n "$port" ] || die "no free port"
echo "$port" >"$dir/port"

rm -f "$dir/host_key" "$dir/host_key.pub" "$dir/id" "$dir/id.pub"
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" -C proctor-test-host
ssh-keygen -q -t ed25519 -N '' -f "$dir/id" -C proctor-test-client
cp "$dir/id.pub" "$dir/authorized_keys"
chmod 644 "$dir/authorized_keys"
: >"$dir/known_hosts"
for a in "${addrs[@]}"; do
    echo "[$a]:$port $(cut -d' ' -f1,2 "$dir/host_key.pub")" >>"$dir/known_hosts"
done

cat >"$dir/ssh_config" <<CFG
Host *
    User $user
    Port $port
    IdentityFile $dir/id
    IdentitiesOnly yes
    UserKnownHostsFile $dir/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    ConnectTimeout 5
    ServerAliveInterval 2
    ServerAliveCountMax 3
    LogLevel ERROR
CFG

for a in "${addrs[@]}"; do
    cat >"$dir/sshd_$a.conf" <<CFG
ListenAddress $a:$port
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
# Every worker slot of a host is one session over its one master connection.
MaxSessions ${PROCTOR_TEST_MAX_SESSIONS:-100}
MaxStartups 100:30:200
ClientAliveInterval 2
ClientAliveCountMax 3
LogLevel ERROR
CFG
    # -D: no daemon, so it is the namespace's first process; -e: log to stderr.
    start_one "$a"
done

for a in "${addrs[@]}"; do
    find_init "$a"
done

for a in "${addrs[@]}"; do
    ok=0
    for _ in $(seq 100); do
        if ssh -F "$dir/ssh_config" -o BatchMode=yes "$a" true 2>/dev/null; then ok=1; break; fi
        sleep 0.1
    done
    [ $ok = 1 ] || { stop; die "cannot log in to $a: $(cat "$dir/sshd_$a.log")"; }
done
echo ready
