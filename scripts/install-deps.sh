#!/usr/bin/env bash
# install-deps.sh - installs the Debian 12 packages jmake needs to build and test (run as root, or with sudo available).
set -euo pipefail
packages=(
    build-essential cmake ninja-build pkg-config git
    libsqlite3-dev libuv1-dev libcjson-dev libxxhash-dev libzstd-dev libelf-dev libcmocka-dev
    clang llvm python3 procps valgrind distcc
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
