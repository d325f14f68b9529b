#!/usr/bin/env bash
# Every test of the project, in one command (`make test`). Installs what it needs first.
# Under CI (CI set) nothing may skip: tests that need root or a tool fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "tools"
./scripts/ensure-tools.sh

step "format, lints, docs"
cargo fmt --all -- --check
cargo clippy --all-targets --all-features --quiet -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features --quiet

step "Rust tests (unit, integration, property, namespace, doc)"
cargo test --all-features

step "benchmarks compile and run once (criterion test mode)"
cargo test --benches --all-features --quiet

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  step "$(basename "$extra" .sh)"
  "$extra"
done

echo
echo "all tests passed"
