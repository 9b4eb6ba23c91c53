#!/usr/bin/env bash
# Run one command as root inside a User-mode Linux guest (kernel /usr/bin/linux.uml, with IPVS modules)
# whose root file system is the host's / (hostfs). See tests/Uml/README.md in the repository; Invoke-LvsLab runs it from the module folder.
#
#   uml-run.sh [--timeout SECONDS] [--mem SIZE] [--cwd DIR] [--env NAME=VALUE]... [--expose DIR]... [--verbose] -- COMMAND [ARGS...]
#
# Exit status: COMMAND's exit status; 124 on timeout; 125 when the guest failed to boot or never reported an
# exit status; 2 on a usage error; 130/143 when this script is interrupted by SIGINT/SIGTERM.
set -u -o pipefail

readonly PROG=uml-run
readonly EXIT_TIMEOUT=124
readonly EXIT_HARNESS=125
readonly EXIT_USAGE=2

usage() {
    cat >&2 <<'USAGE'
usage: uml-run.sh [--timeout SECONDS (default 900)] [--mem SIZE (default 2G)] [--cwd DIR (default: .)]
                            [--env NAME=VALUE]... [--expose DIR]... [--verbose] -- COMMAND [ARGS...]
Runs COMMAND as root in a User-mode Linux guest (host / as root file system, IPVS modules loaded) and exits
with its status (124: timeout, 125: guest failed to boot / reported no status). --verbose also copies the
guest's kernel console to stderr. --expose shows a host folder under /tmp, /run or /dev/shm that the guest's own
tmpfs mounts would hide (the working directory and the run folder are shown anyway).
USAGE
    exit "$EXIT_USAGE"
}

if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
    echo "$PROG: needs bash >= 5.1 (wait -n -p)" >&2
    exit 125
fi

die_usage() { echo "$PROG: $*" >&2; usage; }

timeout_s=900
mem=2G
cwd=$PWD
verbose=0
envs=()
exposes=()

while (($# > 0)); do
    case $1 in
        --timeout) (($# >= 2)) || die_usage "--timeout needs a value"; timeout_s=$2; shift 2 ;;
        --timeout=*) timeout_s=${1#*=}; shift ;;
        --mem) (($# >= 2)) || die_usage "--mem needs a value"; mem=$2; shift 2 ;;
        --mem=*) mem=${1#*=}; shift ;;
        --cwd) (($# >= 2)) || die_usage "--cwd needs a value"; cwd=$2; shift 2 ;;
        --cwd=*) cwd=${1#*=}; shift ;;
        --env) (($# >= 2)) || die_usage "--env needs NAME=VALUE"; envs+=("$2"); shift 2 ;;
        --env=*) envs+=("${1#*=}"); shift ;;
        --expose) (($# >= 2)) || die_usage "--expose needs a folder"; exposes+=("$2"); shift 2 ;;
        --expose=*) exposes+=("${1#*=}"); shift ;;
        --verbose|-v) verbose=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        *) die_usage "unexpected argument '$1' (the command goes after --)" ;;
    esac
done
(($# > 0)) || die_usage "no command given"
[[ $timeout_s =~ ^[0-9]+$ ]] && ((timeout_s > 0)) || die_usage "--timeout must be a positive number of seconds"
[[ $mem =~ ^([0-9]+)([KkMmGg]?)$ ]] || die_usage "--mem must look like 2G, 1536M or 1048576K"
case ${BASH_REMATCH[2]} in
    [Gg]) mem_kib=$((BASH_REMATCH[1] * 1024 * 1024)) ;;
    [Mm]) mem_kib=$((BASH_REMATCH[1] * 1024)) ;;
    [Kk]) mem_kib=${BASH_REMATCH[1]} ;;
    *) mem_kib=$((BASH_REMATCH[1] / 1024)) ;;
esac
((mem_kib >= 65536)) || die_usage "--mem must be at least 64M"
[[ -d $cwd ]] || die_usage "--cwd '$cwd' is not a directory"
cwd=$(cd -- "$cwd" && pwd -P) || die_usage "cannot resolve --cwd"
for e in "${envs[@]+"${envs[@]}"}"; do
    [[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die_usage "--env '$e' is not NAME=VALUE"
done

readonly UML=${LVSTOOLS_UML_KERNEL:-/usr/bin/linux.uml}
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
readonly GUEST_INIT=$script_dir/guest-init.sh
if [[ ! -x $UML ]]; then
    echo "$PROG: $UML not found: install the Debian package user-mode-linux (apt-get install --no-install-recommends user-mode-linux kmod iproute2)" >&2
    exit "$EXIT_HARNESS"
fi
[[ -r $GUEST_INIT ]] || { echo "$PROG: $GUEST_INIT is missing" >&2; exit "$EXIT_HARNESS"; }

# --- the run folder: unique, its name is on the UML command line (clean-up finds the processes by it) ---
run=$(mktemp -d "${TMPDIR:-/tmp}/lvstools-uml.XXXXXX") || { echo "$PROG: cannot create a run folder" >&2; exit "$EXIT_HARNESS"; }
run=$(cd -- "$run" && pwd -P)
readonly run
readonly run_name=${run##*/}
if [[ $run =~ [[:space:]] ]]; then
    rmdir -- "$run"
    echo "$PROG: the run folder '$run' contains white space: set TMPDIR to a plain path" >&2
    exit "$EXIT_HARNESS"
fi

uml_pid=
watchdog_pid=
reader_pids=()
cleaned=0

# End exactly the processes whose command line names this run folder (linux.uml and its helpers, which
# outlive a SIGKILL of the main process), never anything chosen by a broad name.
kill_run_processes() {
    local round pid found
    local -a argv
    for round in 1 2 3 4 5 6 7 8 9 10; do
        found=0
        for pid in /proc/[0-9]*; do
            pid=${pid#/proc/}
            [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
            mapfile -d '' argv 2>/dev/null <"/proc/$pid/cmdline" || continue
            if [[ "${argv[*]-}" == *"$run_name"* ]]; then
                kill -KILL "$pid" 2>/dev/null && found=1
            fi
        done
        ((found)) || return 0
        sleep 0.1
    done
    echo "$PROG: warning: processes of $run_name still present after clean-up" >&2
}

stop_everything() {
    local pid
    for pid in $uml_pid $watchdog_pid; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    uml_pid= watchdog_pid=
    kill_run_processes
    # The readers see EOF once every UML process holding the FIFOs is gone; give them a moment to drain.
    local i alive
    for i in $(seq 1 50); do
        alive=0
        for pid in "${reader_pids[@]+"${reader_pids[@]}"}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${reader_pids[@]+"${reader_pids[@]}"}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    reader_pids=()
    wait 2>/dev/null
}

cleanup() {
    ((cleaned)) && return 0
    cleaned=1
    stop_everything
    rm -rf -- "$run"
}

on_signal() {
    local sig=$1 code=$2
    trap - INT TERM HUP
    echo "$PROG: interrupted by SIG$sig: stopping the guest" >&2
    cleanup
    exit "$code"
}
trap 'cleanup' EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

# --- guest RAM: a file in TMPDIR (for linux.uml), which must allow PROT_EXEC ---
mem_dir=$run
if [[ -d /dev/shm && -w /dev/shm ]]; then
    shm_opts=$(findmnt -no OPTIONS --target /dev/shm 2>/dev/null || true)
    shm_avail_kib=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
    if [[ ,$shm_opts, != *,noexec,* && -n $shm_avail_kib ]] && ((shm_avail_kib > mem_kib + 65536)); then
        mem_dir=/dev/shm
    fi
fi
if [[ $mem_dir == "$run" ]]; then
    run_opts=$(findmnt -no OPTIONS --target "$run" 2>/dev/null || true)
    if [[ ,$run_opts, == *,noexec,* ]]; then
        echo "$PROG: /dev/shm is too small or noexec and ${TMPDIR:-/tmp} is noexec: the guest RAM file needs PROT_EXEC (set TMPDIR)" >&2
        exit "$EXIT_HARNESS"
    fi
fi

# --- the job: what the guest's init runs ---
{
    echo '# generated by uml-run.sh'
    for e in "${envs[@]+"${envs[@]}"}"; do
        printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
    done
    printf 'cd -- %q || exit 125\n' "$cwd"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} >"$run/job.sh"
printf '%s\n' "$cwd" >"$run/cwd"
# Further host folders the command needs (a module under /tmp, say): the guest hides /tmp, /run and /dev/shm
# behind its own tmpfs mounts and shows these again.
: >"$run/expose"
for d in "${exposes[@]+"${exposes[@]}"}"; do
    [[ -d $d ]] || die_usage "--expose '$d' is not a directory"
    (cd -- "$d" && pwd -P) >>"$run/expose"
done

mkfifo "$run/console.fifo" "$run/output.fifo" || exit "$EXIT_HARNESS"

# Readers first (a FIFO's open for writing waits for its reader). Their command lines do not name the run
# folder (the redirections are done by the shell), so the clean-up sweep leaves them to drain.
# If our stdout goes away (e.g. `| head`), the second cat keeps draining so UML never sees a broken pipe.
if ((verbose)); then
    { tee /dev/fd/4 >&2; cat >/dev/null; } <"$run/console.fifo" 4>"$run/console.log" &
else
    cat >"$run/console.log" <"$run/console.fifo" &
fi
reader_pids+=($!)
{ cat; cat >/dev/null; } <"$run/output.fifo" &
reader_pids+=($!)

started=$(date +%s.%N)
# con0 (kernel console, /dev/console) -> fd 2, con1 (/dev/tty1, the command's output) -> fd 3.
TMPDIR=$mem_dir "$UML" \
    mem="$mem" pty.legacy_count=0 \
    root=/dev/root rootfstype=hostfs rootflags=/ rw \
    uml_dir="$run" umid=uml \
    con=null ssl=null con0=null,fd:2 con1=null,fd:3 \
    init=/bin/bash \
    lvstools_run="$run" \
    -- "$GUEST_INIT" \
    </dev/null >"$run/uml.stdout" 2>"$run/console.fifo" 3>"$run/output.fifo" &
uml_pid=$!

sleep "$timeout_s" &
watchdog_pid=$!

finished=
while :; do
    wait -n -p finished "$uml_pid" "$watchdog_pid"
    (($? == 127)) && break # no such children (cannot happen): do not spin
    [[ -n $finished ]] && break
done

timed_out=0
if [[ $finished == "$watchdog_pid" ]]; then
    timed_out=1
    watchdog_pid=
    kill -KILL "$uml_pid" 2>/dev/null
    wait "$uml_pid" 2>/dev/null
else
    kill -KILL "$watchdog_pid" 2>/dev/null
    wait "$watchdog_pid" 2>/dev/null
    watchdog_pid=
fi
uml_pid=

stop_everything

status=
[[ -f $run/exit-code ]] && status=$(<"$run/exit-code")
elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

if ((timed_out)); then
    echo "$PROG: TIMEOUT: the command did not finish within ${timeout_s} s (--timeout); the guest was killed" >&2
    exit "$EXIT_TIMEOUT"
fi
if [[ ! $status =~ ^[0-9]+$ ]]; then
    echo "$PROG: the guest failed to boot or never reported an exit status (after ${elapsed} s); last kernel console lines:" >&2
    tail -n 40 -- "$run/console.log" 2>/dev/null | sed 's/^/  | /' >&2
    exit "$EXIT_HARNESS"
fi
if [[ -n ${LVSTOOLS_UML_TIMING:-} ]]; then
    echo "$PROG: guest ran for ${elapsed} s" >&2
fi
exit "$status"
