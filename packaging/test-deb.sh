#!/usr/bin/env bash
# Installs a built .deb (as root), checks what a user gets, and removes it
# again: the binary and its version, `proctor check` on an installed
# example, the manual page, the desktop entry, the metainfo, the icons and
# the MIME type; after `dpkg -r` none of its files may be left.
# Usage: packaging/test-deb.sh target/debian/proctor_VERSION_ARCH.deb
# Needs desktop-file-utils, appstream and man-db.
set -euo pipefail
deb=$(realpath "$1")
id=io.github.proctor.Proctor
version=$(dpkg-deb --field "$deb" Version)

if dpkg-query --show --showformat='${Status}' proctor 2>/dev/null | grep -q 'ok installed'; then
    echo "proctor is installed already; not replacing it" >&2
    exit 1
fi

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

echo "== install $deb"
if ! dpkg -i "$deb"; then
    # Missing dependencies: let apt bring them.
    apt-get install -f -y --no-install-recommends
fi
# Whatever fails below, the package does not stay installed.
trap 'dpkg -r proctor >/dev/null 2>&1 || true' EXIT
dpkg-query --show --showformat='${Status}' proctor | grep -q 'install ok installed' ||
    fail "proctor is not installed"
files=$(dpkg -L proctor)

echo "== proctor --version"
/usr/bin/proctor --version
[ "$(/usr/bin/proctor --version)" = "proctor ${version%%-*}" ] || fail "wrong version"

echo "== proctor check on an installed example"
/usr/bin/proctor check /usr/share/doc/proctor/examples/seeds.toml

echo "== the manual page"
page=$(man -w proctor)
echo "$page"
[ "$page" = /usr/share/man/man1/proctor.1.gz ] || fail "man -w proctor gave $page"
man -w proctor-run >/dev/null || fail "no page for proctor run"
zcat "$page" | grep -q '^\.TH proctor 1' || fail "not a manual page"

echo "== completions"
for f in /usr/share/bash-completion/completions/proctor \
    /usr/share/zsh/vendor-completions/_proctor \
    /usr/share/fish/vendor_completions.d/proctor.fish; do
    grep -q 'check' "$f" || fail "$f has no subcommands"
done

echo "== desktop entry, metainfo, icons, MIME type"
desktop-file-validate /usr/share/applications/$id.desktop
appstreamcli validate --no-net /usr/share/metainfo/$id.metainfo.xml
for n in 16 32 48 64 128 256 512; do
    [ -s /usr/share/icons/hicolor/${n}x$n/apps/$id.png ] || fail "no ${n}px icon"
done
[ -s /usr/share/icons/hicolor/scalable/apps/$id.svg ] || fail "no scalable icon"
grep -q 'application/x-proctor-session' /usr/share/mime/packages/$id.xml || fail "no MIME type"
if [ -e /usr/share/mime/globs2 ]; then
    # shared-mime-info's trigger has run.
    grep -q 'application/x-proctor-session:\*\.proctor\.toml' /usr/share/mime/globs2 ||
        fail "the MIME database does not know *.proctor.toml"
fi

echo "== remove"
dpkg -r proctor
trap - EXIT
if dpkg-query --show --showformat='${Status}' proctor 2>/dev/null | grep -q 'ok installed'; then
    fail "still installed"
fi
left=0
while IFS= read -r f; do
    if [ -f "$f" ] || [ -L "$f" ]; then
        echo "left behind: $f" >&2
        left=1
    fi
done <<<"$files"
[ "$left" = 0 ] || fail "files left after dpkg -r"
[ ! -e /usr/share/doc/proctor ] || fail "/usr/share/doc/proctor left"
echo "OK: installed, checked and removed cleanly"
