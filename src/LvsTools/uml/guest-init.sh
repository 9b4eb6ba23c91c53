#!/bin/bash
# Init (PID 1) of the User-mode Linux guest started by uml-run.sh (beside it).
# The kernel runs it as `init=/bin/bash -- guest-init.sh`; lvstools_run=<run folder> comes from the kernel
# command line as an environment variable. The guest's / is the host's / (hostfs, read-write): everything
# this script writes goes to fresh tmpfs mounts or to the run folder.
#
# Output: this script's own messages go to /dev/console (the kernel console, the host's console.log);
# the command's stdout+stderr go to /dev/tty1 (streamed to the host script's stdout).

RUN=${lvstools_run:-}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { local up; read -r up _ </proc/uptime 2>/dev/null; echo "guest-init: [$up] $*" >/dev/console 2>/dev/null; }

power_off() {
    sync
    echo o >/proc/sysrq-trigger
    # If init exits the guest panics: stay alive until the power-off happens.
    while :; do sleep 3600; done
}

mount -t proc proc /proc 2>/dev/null
log "start"
if [[ -z $RUN ]]; then
    log "no lvstools_run= on the kernel command line"
    power_off
fi

# Each external command costs a fork+exec through ptrace: check mounts with builtins.
mounts=$(</proc/mounts)
is_mounted() { [[ $mounts == *" $1 "* ]]; }
is_mounted /sys || mount -t sysfs sysfs /sys
is_mounted /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
is_mounted /dev/pts || mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
[[ -e /dev/ptmx ]] || ln -s pts/ptmx /dev/ptmx
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
[[ -e /dev/stdin ]] || ln -s /proc/self/fd/0 /dev/stdin
[[ -e /dev/stdout ]] || ln -s /proc/self/fd/1 /dev/stdout
[[ -e /dev/stderr ]] || ln -s /proc/self/fd/2 /dev/stderr

# Fresh, guest-private scratch space (the host's /tmp, /run, /dev/shm stay untouched).
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -p -m 1777 /run/lock
mkdir -p /run/netns /run/user
log "mounts"

# The run folder (and the working directory) may live under a folder the tmpfs mounts just hid: show the
# host's copy again through a hostfs mount at the same path.
expose_host_dir() {
    local dir=$1
    case $dir in
        /tmp/?*|/run/?*|/dev/shm/?*)
            mkdir -p -- "$dir" && mount -t hostfs -o "$dir" hostfs "$dir" || log "cannot expose $dir"
            ;;
    esac
}
expose_host_dir "$RUN"
if [[ -r $RUN/cwd ]]; then
    cwd=$(<"$RUN/cwd")
    [[ $cwd == "$RUN" ]] || expose_host_dir "$cwd"
fi
if [[ -r $RUN/expose ]]; then
    while IFS= read -r dir; do
        [[ -n $dir ]] && expose_host_dir "$dir"
    done <"$RUN/expose"
fi
if [[ ! -r $RUN/job.sh ]]; then
    log "run folder $RUN not visible in the guest"
    power_off
fi

# Kernel modules: the UML kernel's own tree (Debian: /usr/lib/uml/modules/<uname -r>). Where the host has a
# /lib/modules folder, bind-mount the tree over it (guest-only). Where it has none (containers), do not create
# one on the host: point kmod at a guest-private root instead (modprobe -d), through a wrapper that the
# kernel's module autoloader (/proc/sys/kernel/modprobe) and the job's PATH both use.
kver=$(uname -r)
if [[ ! -d /usr/lib/uml/modules/$kver ]]; then
    log "no /usr/lib/uml/modules/$kver: modules will not load"
elif [[ -d /lib/modules ]]; then
    mount --bind /usr/lib/uml/modules /lib/modules || log "cannot bind-mount /lib/modules"
else
    mkdir -p /run/lvstools-uml/kmod/lib/modules /run/lvstools-uml/sbin
    mount --bind /usr/lib/uml/modules /run/lvstools-uml/kmod/lib/modules
    printf '#!/bin/sh\nexec /sbin/modprobe -d /run/lvstools-uml/kmod "$@"\n' >/run/lvstools-uml/sbin/modprobe
    chmod 755 /run/lvstools-uml/sbin/modprobe
    echo /run/lvstools-uml/sbin/modprobe >/proc/sys/kernel/modprobe
    PATH=/run/lvstools-uml/sbin:$PATH
fi
log "modules"
# One modprobe for all (dependencies: crc_ccitt, ipv6, nf_defrag_ipv4/6, nf_conntrack, ...).
modules=(ip_vs)
for m in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos; do modules+=("ip_vs_$m"); done
modules+=(ip_vs_pe_sip ip_vs_ftp dummy veth)
modprobe -a -q "${modules[@]}" 2>/dev/null
loaded=$(</proc/modules)
for m in "${modules[@]}"; do
    [[ $loaded == *"$m "* || -d /sys/module/$m ]] || log "module $m not loaded"
done
log "modules done"
ip link set lo up || log "cannot bring lo up"
hostname lvstools-uml

stty -F /dev/tty1 raw -echo 2>/dev/null || log "stty on /dev/tty1 failed"

cmd_env=(
    HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8
    PATH=${PATH%%/usr/local/sbin:*}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/dotnet:/root/.dotnet/tools
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
    LVSTOOLS_KERNEL=uml
)
log "running job"
# A pipe, not the tty, is the command's stdout/stderr (like CI); cat copies it to the console tty1. Wait for
# the command itself, not for the pipe's EOF: background processes it leaves behind may hold the pipe open.
exec 5> >(exec cat >/dev/tty1)
copier=$!
env -i "${cmd_env[@]}" /bin/bash "$RUN/job.sh" </dev/null >&5 2>&1
rc=$?
exec 5>&-
log "job exited with $rc"
for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$copier" 2>/dev/null || break
    sleep 0.1
done

echo "$rc" >"$RUN/exit-code.tmp" && mv -f "$RUN/exit-code.tmp" "$RUN/exit-code"
power_off
