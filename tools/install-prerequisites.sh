#!/usr/bin/env bash
# Installs what the LvsTools tests need on a Debian/Ubuntu machine (run as root, non-interactive, idempotent):
# the User-mode Linux kernel with IPVS modules (user-mode-linux), kmod, iproute2, ipvsadm, strace, python3,
# procps, keepalived (the reference the controller's tests and benchmarks compare against; installed but
# never started on this machine: the tests run it themselves, inside the UML guest's namespaces), and
# openssh-server (the remoting tests start their own sshd in each "machine" namespace; the service is never started).
# Does nothing (quickly) when all are present. Prints one line saying what it did.
set -euo pipefail

packages=(user-mode-linux kmod iproute2 ipvsadm strace python3 procps keepalived openssh-server)

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
# Debian's maintainer scripts start services through invoke-rc.d, which asks /usr/sbin/policy-rc.d first: exit
# code 101 means "action forbidden", so keepalived is unpacked and configured but never started on the host. Ours
# is there only while apt-get runs: a policy-rc.d the machine already had (Docker images ship one) is put aside
# and restored afterwards, whatever happens.
policy=/usr/sbin/policy-rc.d
saved=
restore_policy() {
    rm -f -- "$policy"
    if [[ -n $saved ]]; then mv -f -- "$saved" "$policy"; fi
}
if [[ -e $policy || -L $policy ]]; then
    saved=$policy.install-prerequisites.$$
    mv -- "$policy" "$saved"
fi
trap 'rm -f -- "$log"; restore_policy' EXIT
printf '#!/bin/sh\n# install-prerequisites.sh: no service starts while packages are installed\nexit 101\n' >"$policy"
chmod 755 "$policy"
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat -- "$log" >&2
    echo "install-prerequisites: apt-get failed installing ${missing[*]}" >&2
    exit 1
fi
# Belt and braces: under systemd the unit may have been enabled; keep it from starting at boot and make sure none
# runs now (the tests start their own, with their own configuration, in their own namespaces).
if [[ " ${missing[*]} " == *" openssh-server "* ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
fi
if [[ " ${missing[*]} " == *" keepalived "* ]]; then
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        systemctl disable --now keepalived.service >/dev/null 2>&1 || true
    fi
    if pid=$(cat /run/keepalived.pid 2>/dev/null) && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == keepalived ]]; then
        kill -TERM "$pid" || true
        echo "install-prerequisites: stopped the keepalived service the package started (pid $pid)" >&2
    fi
fi
echo "install-prerequisites: installed ${missing[*]} (apt-get update + install --no-install-recommends)"
