#!/usr/bin/env bash
# install-deps.sh - installs the Debian 12 packages jmake needs to build and test (run as root, or with sudo available).
set -euo pipefail
packages=(
    build-essential cmake ninja-build pkg-config git
    libsqlite3-dev libuv1-dev libcjson-dev libxxhash-dev libzstd-dev libelf-dev libcmocka-dev
    libclang-dev zlib1g-dev nodejs
    clang llvm python3 procps valgrind distcc distcc-pump
    bash-completion zsh fish tmux man-db groff-base
    libclang-rt-dev   # libFuzzer and the sanitizer runtimes for clang (only recommended by clang)
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm (tree-sitter's Julia grammar for test_wrap.sh) comes with NodeSource's nodejs; Debian's nodejs needs its npm package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
