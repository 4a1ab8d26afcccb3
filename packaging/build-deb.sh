#!/usr/bin/env bash
# Builds the Debian package: the release binary, then the manual pages and
# shell completions it generates from its own command line definition, then
# `cargo deb` (install it with `cargo install cargo-deb`). Prints the path
# of the .deb on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || {
    echo "cargo-deb is missing: cargo install cargo-deb" >&2
    exit 1
}
cargo build --release --locked
bin=target/release/proctor
out=target/pkg
rm -rf "$out"
mkdir -p "$out/man" "$out/completions"
"$bin" man "$out/man"
gzip -9n "$out"/man/*.1
"$bin" completions bash >"$out/completions/proctor.bash"
"$bin" completions zsh >"$out/completions/_proctor"
"$bin" completions fish >"$out/completions/proctor.fish"
cargo deb --no-build >&2
ls -t target/debian/proctor_*.deb | head -n 1
