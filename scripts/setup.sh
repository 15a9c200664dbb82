#!/usr/bin/env bash
# Installs the Debian packages replrec builds and tests with, when they are missing.
# Uses sudo when not root. Safe to run again.
set -euo pipefail
packages=(pkg-config liblz4-dev libzstd-dev lz4 zstd rsync iproute2 pigz pbzip2 redis-server redis-tools sqlite3 postgresql)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
