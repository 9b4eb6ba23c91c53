#!/usr/bin/env bash
# Regenerates the golden netlink fixtures in this folder from real tools (see README.md).
#
#   tests/LvsTools.Core.Tests/Golden/capture.sh [--rtnl] [--ipvs] [--keep-traces DIR] [--from-traces DIR]
#
# --rtnl: iproute2 `ip` on the host kernel, inside a network namespace of its own (lvsh-<random>) with a veth
#         pair; nothing outside that namespace is touched, and the namespace is deleted afterwards.
# --ipvs: ipvsadm inside the User-mode Linux guest (tests/Uml/uml-run.sh), which has the IPVS modules.
# Default: both. Needs root, strace, iproute2, ipvsadm, python3, user-mode-linux.
# --keep-traces DIR keeps the raw strace logs; --from-traces DIR rewrites the fixtures from logs kept earlier
# (no new capture: use it after changing the annotations in nlgolden.py).
# (Internal: `capture.sh --in-guest DIR` is what runs inside the guest.)
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../../.." && pwd -P)
STRACE_ARGS=(-f -e trace=socket,sendmsg,recvmsg,sendto,recvfrom -e read=all -e write=all -xx -s 65535)

# trace DIR NAME COMMAND...: run COMMAND under strace, keep the log as DIR/NAME.strace and the command line
# as DIR/NAME.cmd. The command may fail (error replies are captured on purpose).
trace() {
    local dir=$1 name=$2
    shift 2
    printf '%s\n' "$*" >"$dir/$name.cmd"
    local rc=0
    strace -o "$dir/$name.strace" "${STRACE_ARGS[@]}" "$@" >"$dir/$name.out" 2>&1 || rc=$?
    echo "$rc" >"$dir/$name.rc"
}

# ---------------------------------------------------------------------------------------------------------
# Inside the UML guest: the ipvsadm sequence.
# ---------------------------------------------------------------------------------------------------------
in_guest() {
    local d=$1
    {
        echo "kernel=$(uname -r)"
        echo "ipvsadm=$(ipvsadm -v 2>&1 | head -1)"
        echo "strace=$(strace -V | head -1)"
    } >"$d/versions.guest"
    # Addresses the kernel accepts: lo up (done by the harness) plus a dummy link with both subnets.
    ip link add dummy0 type dummy
    ip addr add 10.0.0.1/24 dev dummy0
    ip addr add 10.0.1.1/24 dev dummy0
    ip link set dummy0 up
    ipvsadm -C

    trace "$d" add-service-tcp ipvsadm -A -t 10.0.0.1:80 -s rr
    trace "$d" add-service-udp6 ipvsadm -A -u '[2001:db8::1]:53' -s wlc -p 300
    trace "$d" add-service-fwmark ipvsadm -A -f 7 -s sh -b sh-fallback,sh-port
    trace "$d" add-dest-masq ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3
    trace "$d" add-dest-tunnel ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.12 -i --tun-type gue --tun-port 6080 -w 1 -x 100 -y 10
    trace "$d" edit-service ipvsadm -E -t 10.0.0.1:80 -s wrr
    trace "$d" delete-dest ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.11:8080
    trace "$d" add-service-exists ipvsadm -A -t 10.0.0.1:80 -s rr
    trace "$d" delete-service ipvsadm -D -t 10.0.0.1:80
    trace "$d" set-timeouts ipvsadm --set 900 120 300
    trace "$d" start-daemon ipvsadm --start-daemon master --mcast-interface lo --syncid 5
    trace "$d" list-daemon ipvsadm -L --daemon
    trace "$d" stop-daemon ipvsadm --stop-daemon master

    # -Ln with exactly one service and one real server
    ipvsadm -C
    ipvsadm -A -t 10.0.0.1:80 -s rr
    ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3
    trace "$d" list ipvsadm -Ln
    trace "$d" list-timeout ipvsadm -L --timeout
    trace "$d" zero ipvsadm -Z
    trace "$d" flush ipvsadm -C
    ipvsadm -Ln >"$d/final-state.txt" 2>&1
}

if [[ ${1:-} == --in-guest ]]; then
    in_guest "$2"
    exit 0
fi

# ---------------------------------------------------------------------------------------------------------
# Host side
# ---------------------------------------------------------------------------------------------------------
do_rtnl=0 do_ipvs=0 keep= from=
while (($# > 0)); do
    case $1 in
        --rtnl) do_rtnl=1 ;;
        --ipvs) do_ipvs=1 ;;
        --keep-traces) keep=$2; shift ;;
        --from-traces) from=$(cd -- "$2" && pwd -P); shift ;;
        *) echo "usage: $0 [--rtnl] [--ipvs] [--keep-traces DIR] [--from-traces DIR]" >&2; exit 2 ;;
    esac
    shift
done
((do_rtnl || do_ipvs)) || do_rtnl=1 do_ipvs=1
[[ -n $from ]] || ((EUID == 0)) || { echo "capture.sh: run as root (network namespaces, strace, UML)" >&2; exit 1; }
PY=${PYTHON:-python3}
NLG=("$PY" "$here/nlgolden.py")

if [[ -n $from ]]; then
    work=$from
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/lvstools-golden.XXXXXX")
fi
ns=
cleanup() {
    if [[ -n $ns ]]; then ip netns del "$ns" 2>/dev/null || true; fi
    [[ -z $from ]] || return 0
    if [[ -n $keep ]]; then mkdir -p "$keep" && cp -a "$work"/. "$keep"/; fi
    rm -rf -- "$work"
}
trap cleanup EXIT

# x DIR TRACE OUT DIRECTION TYPE [--cmd C] [--grep G]...: write one golden file
x() {
    local dir=$1 name=$2 out=$3 direction=$4 type=$5
    shift 5
    "${NLG[@]}" extract "$dir/$name.strace" "$here/$out" --dir "$direction" --type "$type" "$@" \
        --command "$(<"$dir/$name.cmd")" --captured "$captured" "${notes[@]}"
    echo "  $out"
}

if ((do_rtnl)); then
    r=$work/rtnl
    if [[ -z $from ]]; then
        mkdir -p "$r"
        ns=lvsh-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
        ip netns add "$ns"
        ip -n "$ns" link add veth0 type veth peer name veth1
        ip -n "$ns" link set lo up
        ip -n "$ns" link set veth0 up
        ip -n "$ns" link set veth1 up
        {
            echo "kernel=$(uname -r)"
            echo "ip=$(ip -V)"
            echo "strace=$(strace -V | head -1)"
            echo "links=$(ip -n "$ns" -o link show | awk '{ sub(/@.*/, "", $2); printf "%s%s index %s", sep, $2, $1; sep = ", " }' | tr -d ':')"
        } >"$r/versions.host"

        trace "$r" addr-add-ipv4 ip -n "$ns" addr add 192.168.31.173/24 brd + dev veth0 label veth0:1
        trace "$r" addr-show ip -n "$ns" addr show dev veth0
        trace "$r" link-show ip -n "$ns" link show
        trace "$r" addr-add-ipv6 ip -n "$ns" addr add 2001:db8::1/64 dev veth0
        trace "$r" addr-del-ipv4 ip -n "$ns" addr del 192.168.31.173/24 dev veth0
        ip netns del "$ns"
        ns=
    fi
    hk=$(sed -n 's/^kernel=//p' "$r/versions.host")
    captured="strace ${STRACE_ARGS[*]} (strace -o TRACE; $(sed -n 's/^strace=//p' "$r/versions.host")), $(sed -n 's/^ip=//p' "$r/versions.host"), host kernel $hk, inside a fresh network namespace (links: $(sed -n 's/^links=//p' "$r/versions.host"))"
    notes=(--note "strace's '-e read=all -e write=all' hex dumps are the exact buffers; MSG_PEEK reads are skipped" \
           --note "nlmsg_seq (iproute2 uses time(NULL)) and nlmsg_pid are as captured")
    echo "rtnetlink (host kernel $hk):"
    x "$r" addr-add-ipv4 ip-addr-add-ipv4.request.txt send RTM_NEWADDR
    x "$r" addr-add-ipv4 ip-addr-add-ipv4-ack.reply.txt recv NLMSG_ERROR --grep "(RTM_NEWADDR)"
    x "$r" addr-show ip-addr-show.request.txt send RTM_GETADDR
    x "$r" addr-show ip-addr-show-ipv4.reply.txt recv RTM_NEWADDR --grep "IFA_ADDRESS (type 1) = 192.168.31.173"
    x "$r" link-show ip-link-show.request.txt send RTM_GETLINK
    x "$r" link-show ip-link-show-veth0.reply.txt recv RTM_NEWLINK --grep 'IFLA_IFNAME (type 3) = "veth0"'
    x "$r" addr-add-ipv6 ip-addr-add-ipv6.request.txt send RTM_NEWADDR
    x "$r" addr-del-ipv4 ip-addr-del-ipv4.request.txt send RTM_DELADDR
fi

if ((do_ipvs)); then
    g=$work/ipvs
    if [[ -z $from ]]; then
        mkdir -p "$g"
        "$repo/tests/Uml/uml-run.sh" --timeout 600 --cwd "$g" -- "$here/capture.sh" --in-guest "$g"
    fi
    kver=$(sed -n 's/^kernel=//p' "$g/versions.guest")
    ipvsadm_v=$(sed -n 's/^ipvsadm=//p' "$g/versions.guest")
    strace_v=$(sed -n 's/^strace=//p' "$g/versions.guest")
    captured="strace ${STRACE_ARGS[*]} (strace -o TRACE; $strace_v), $ipvsadm_v, in the User-mode Linux guest (Linux $kver, tests/Uml/uml-run.sh)"
    notes=(--note "strace's '-e read=all -e write=all' hex dumps are the exact buffers; MSG_PEEK reads are skipped" \
           --note "nlmsg_seq (libnl uses time(NULL) for the first) and nlmsg_pid are as captured" \
           --note "guest setup: lo up; dummy0 up with 10.0.0.1/24 and 10.0.1.1/24")
    echo "IPVS (UML guest, Linux $kver):"
    x "$g" add-service-tcp ipvsadm-ctrl-getfamily.request.txt send GENL_ID_CTRL --cmd CTRL_CMD_GETFAMILY
    x "$g" add-service-tcp ipvsadm-ctrl-getfamily.reply.txt recv GENL_ID_CTRL --cmd CTRL_CMD_NEWFAMILY
    x "$g" add-service-tcp ipvsadm-add-service-tcp.request.txt send IPVS --cmd IPVS_CMD_NEW_SERVICE
    x "$g" add-service-tcp ipvsadm-add-service-tcp-ack.reply.txt recv NLMSG_ERROR --grep "(IPVS)"
    x "$g" add-service-udp6 ipvsadm-add-service-udp6-persistent.request.txt send IPVS --cmd IPVS_CMD_NEW_SERVICE
    x "$g" add-service-fwmark ipvsadm-add-service-fwmark-sched-flags.request.txt send IPVS --cmd IPVS_CMD_NEW_SERVICE
    x "$g" add-dest-masq ipvsadm-add-dest-masq.request.txt send IPVS --cmd IPVS_CMD_NEW_DEST
    x "$g" add-dest-tunnel ipvsadm-add-dest-tunnel-gue.request.txt send IPVS --cmd IPVS_CMD_NEW_DEST
    x "$g" edit-service ipvsadm-edit-service.request.txt send IPVS --cmd IPVS_CMD_SET_SERVICE
    x "$g" delete-dest ipvsadm-delete-dest.request.txt send IPVS --cmd IPVS_CMD_DEL_DEST
    x "$g" add-service-exists ipvsadm-add-service-exists-error.reply.txt recv NLMSG_ERROR --grep "(IPVS)"
    x "$g" delete-service ipvsadm-delete-service.request.txt send IPVS --cmd IPVS_CMD_DEL_SERVICE
    x "$g" set-timeouts ipvsadm-set-timeouts.request.txt send IPVS --cmd IPVS_CMD_SET_CONFIG
    x "$g" start-daemon ipvsadm-start-daemon.request.txt send IPVS --cmd IPVS_CMD_NEW_DAEMON
    x "$g" list-daemon ipvsadm-get-daemon.request.txt send IPVS --cmd IPVS_CMD_GET_DAEMON
    x "$g" list-daemon ipvsadm-get-daemon.reply.txt recv IPVS --cmd IPVS_CMD_NEW_DAEMON
    x "$g" stop-daemon ipvsadm-stop-daemon.request.txt send IPVS --cmd IPVS_CMD_DEL_DAEMON
    x "$g" list ipvsadm-get-info.request.txt send IPVS --cmd IPVS_CMD_GET_INFO
    x "$g" list ipvsadm-get-info.reply.txt recv IPVS --cmd IPVS_CMD_SET_INFO
    x "$g" list ipvsadm-list-get-service.request.txt send IPVS --cmd IPVS_CMD_GET_SERVICE
    x "$g" list ipvsadm-list-new-service.reply.txt recv IPVS --cmd IPVS_CMD_NEW_SERVICE
    x "$g" list ipvsadm-list-get-dest.request.txt send IPVS --cmd IPVS_CMD_GET_DEST
    x "$g" list ipvsadm-list-new-dest.reply.txt recv IPVS --cmd IPVS_CMD_NEW_DEST
    x "$g" list ipvsadm-list-done.reply.txt recv NLMSG_DONE
    x "$g" list-timeout ipvsadm-get-config.request.txt send IPVS --cmd IPVS_CMD_GET_CONFIG
    x "$g" list-timeout ipvsadm-get-config.reply.txt recv IPVS --cmd IPVS_CMD_SET_CONFIG
    x "$g" zero ipvsadm-zero.request.txt send IPVS --cmd IPVS_CMD_ZERO
    x "$g" flush ipvsadm-flush.request.txt send IPVS --cmd IPVS_CMD_FLUSH
fi

"${NLG[@]}" check "$here"/*.request.txt "$here"/*.reply.txt >/dev/null || {
    "${NLG[@]}" check "$here"/*.request.txt "$here"/*.reply.txt
    exit 1
}
echo "capture.sh: done"
