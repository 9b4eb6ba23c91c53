#!/usr/bin/env bash
# Installs what the LvsTools tests need on a Debian/Ubuntu machine (run as root, non-interactive, idempotent):
# the User-mode Linux kernel with IPVS modules (user-mode-linux), kmod, iproute2, ipvsadm, strace, python3,
# procps. Does nothing (quickly) when all are present. Prints one line saying what it did.
set -euo pipefail

packages=(user-mode-linux kmod iproute2 ipvsadm strace python3 procps)

missing=()
# One dpkg-query for all: prints "<package> <status>" for the installed ones, an error for unknown ones.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
for p in "${packages[@]}"; do
    grep -qx "$p installed" <<<"$installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "install-prerequisites: all present (${packages[*]}): nothing to do"
    exit 0
fi

if ((EUID != 0)); then
    echo "install-prerequisites: missing ${missing[*]}: run as root to install them" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/install-prerequisites.XXXXXX")
trap 'rm -f -- "$log"' EXIT
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat -- "$log" >&2
    echo "install-prerequisites: apt-get failed installing ${missing[*]}" >&2
    exit 1
fi
echo "install-prerequisites: installed ${missing[*]} (apt-get update + install --no-install-recommends)"
