#!/usr/bin/env bash
# Installs the external tools the test suite needs, when they are missing.
# Usage: scripts/ensure-tools.sh [apt] [python] [cbindgen] [cargo-fuzz]   (no argument = all)
set -euo pipefail

CBINDGEN_VERSION=0.29.4
CARGO_FUZZ_VERSION=0.13.2

wanted=("$@")
is_wanted() { [ ${#wanted[@]} -eq 0 ] && return 0; for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

apt_packages=(nftables iptables tshark iproute2 valgrind strace)
apt_commands=(nft iptables tshark ip valgrind strace)

if is_wanted apt; then
  missing=()
  for i in "${!apt_commands[@]}"; do
    command -v "${apt_commands[$i]}" >/dev/null 2>&1 || missing+=("${apt_packages[$i]}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
      echo "error: need root to install ${missing[*]}" >&2; exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer it up front.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if is_wanted python; then
  # The IPsec interop test decrypts our ESP with an independent implementation.
  if ! python3 -c 'import cryptography' 2>/dev/null; then
    echo "==> installing Python package cryptography"
    python3 -m pip install --quiet cryptography
  fi
fi

if is_wanted cbindgen; then
  if ! cbindgen --version 2>/dev/null | grep -q " ${CBINDGEN_VERSION}$"; then
    echo "==> installing cbindgen ${CBINDGEN_VERSION}"
    cargo install --quiet --locked cbindgen --version "${CBINDGEN_VERSION}"
  fi
fi

if is_wanted cargo-fuzz; then
  if ! cargo fuzz --version 2>/dev/null | grep -q "${CARGO_FUZZ_VERSION}"; then
    echo "==> installing cargo-fuzz ${CARGO_FUZZ_VERSION}"
    cargo install --quiet --locked cargo-fuzz --version "${CARGO_FUZZ_VERSION}"
  fi
fi
