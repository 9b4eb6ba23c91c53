# Keepalived: keepalived (Debian's package, 2.2.7) as the reference a health-checking director is compared with,
# run by the tests inside a lab's director namespace (New-LvsLab), plus an IPVS table sampler that
# records when each real server's weight changed.
#
# - New-KeepalivedVirtualServer: one `virtual_server` block (TCP_CHECK / HTTP_GET / MISC_CHECK, delay_loop, retry,
#   connect_timeout, inhibit_on_failure, quorum, hysteresis, sorry_server, alpha); New-KeepalivedConfig wraps blocks
#   into a whole keepalived.conf.
# - Start-Keepalived / Stop-Keepalived: only the checker subsystem (-C), in the foreground (-n), logging to a file
#   (-l -D -G: console, detailed, no syslog), with pid files of its own (-p -c -r); SIGTERM stops it, and then
#   keepalived removes what it put in IPVS.
# - Start-IpvsSampler / Stop-IpvsSampler / Get-IpvsTransition / Wait-IpvsWeight: one python3 process in the
#   namespace reads /proc/net/ip_vs (the same table `ipvsadm -Ln` prints, without starting a process per sample,
#   which costs seconds in a loaded UML guest) every ~100 ms and writes a line per change with its time.
# - Start-NamespacePython / Stop-NamespacePython: what starts and ends the sampler (and the benchmark's wire capture,
#   bench/check-wire.py): a python3 script in a namespace, in the background, that names its pid in its output file.
# - Get-ProcessCpuSecond: utime + stime of processes from /proc/PID/stat.
#
# Times are Unix seconds (double, CLOCK_REALTIME) everywhere, so "kill at t0, weight 0 at t1" is t1 - t0.
# The tools are used here only as the independent reference; the module under test never calls them.
Set-StrictMode -Version Latest

$script:SamplerPy = @'
import os, sys, time
out, interval = sys.argv[1], float(sys.argv[2])
def addr(h):
    # /proc/net/ip_vs prints IPv4 as 8 hex digits + ':' + 4 hex digits of port; IPv6 as [..]:port in hex.
    if h.startswith('['):
        a, _, p = h.rpartition(':')
        return '%s:%d' % (a, int(p, 16))
    a, _, p = h.partition(':')
    if not p:
        return h
    return '%d.%d.%d.%d:%d' % (int(a[0:2], 16), int(a[2:4], 16), int(a[4:6], 16), int(a[6:8], 16), int(p, 16))
def read():
    table, svc = {}, None
    with open('/proc/net/ip_vs') as f:
        for line in f.read().splitlines()[3:]:
            w = line.split()
            if not w:
                continue
            if w[0] == '->':
                table[(svc, addr(w[1]))] = (w[3], w[2])
            else:
                svc = w[0] + ' ' + addr(w[1])
    return table
last = {}
n = 0
with open(out + '.tmp', 'w') as f:
    f.write('pid\t%d\n' % os.getpid())
os.rename(out + '.tmp', out)
f = open(out, 'a', buffering=1)
while True:
    t = time.time()
    try:
        now = read()
    except OSError as e:
        f.write('%.3f\terror\t%s\n' % (t, e))
        time.sleep(interval)
        continue
    for k in sorted(set(last) | set(now)):
        if last.get(k) != now.get(k):
            v = now.get(k)
            f.write('%.3f\t%s\t%s\t%s\t%s\n' % (t, k[0], k[1], v[0] if v else '-', v[1] if v else '-'))
    last = now
    n += 1
    if n % 10 == 0:
        f.write('%.3f\ttick\n' % t)
    time.sleep(interval)
'@

function Get-KeepalivedPath {
    foreach ($p in '/usr/sbin/keepalived', '/sbin/keepalived', '/usr/local/sbin/keepalived') { if (Test-Path $p) { return $p } }
    $null
}

function Test-KeepalivedAvailable { [bool](Get-KeepalivedPath) }

function Get-UnixTime { [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0 }

<#
.SYNOPSIS
One keepalived `virtual_server` block. The controller's words map as: interval -> delay_loop, fall -> retry
(fall - 1 retries, delay_before_retry = interval), timeout -> connect_timeout, onFailure inhibit ->
inhibit_on_failure. keepalived has no rise: one good check brings a server back.
.PARAMETER RealServer
Addresses (the real servers' port is -RealServerPort, default -Port).
.PARAMETER Check
Tcp (TCP_CHECK), Http (HTTP_GET with -Path, -ExpectStatus, -ExpectBody as a regex), Command (MISC_CHECK running
-CommandPath with the address and port as arguments).
#>
function New-KeepalivedVirtualServer {
    param(
        [Parameter(Mandatory)] [string] $VirtualAddress,
        [Parameter(Mandatory)] [int] $Port,
        [Parameter(Mandatory)] [string[]] $RealServer,
        [int] $RealServerPort,
        [int[]] $Weight,
        [ValidateSet('Masquerade', 'DirectRouting')] [string] $ForwardingMethod = 'Masquerade',
        [string] $Scheduler = 'rr',
        [ValidateSet('Tcp', 'Http', 'Command')] [string] $Check = 'Tcp',
        [string] $Path = '/',
        [int[]] $ExpectStatus = @(200),
        [string] $ExpectBody,
        [string] $CommandPath,
        [double] $Interval = 1,
        [ValidateRange(1, 100)] [int] $Fall = 2,
        [double] $Timeout = 1,
        [switch] $Remove,
        [int] $Quorum,
        [int] $Hysteresis,
        [string] $SorryServer,
        [int] $SorryServerPort,
        [switch] $Alpha,
        # keepalived spreads the first checks over a random delay of up to delay_loop unless told otherwise; -Warmup 0
        # starts them at once.
        [Nullable[double]] $Warmup
    )
    if (-not $RealServerPort) { $RealServerPort = $Port }
    $kind = if ($ForwardingMethod -eq 'Masquerade') { 'NAT' } else { 'DR' }
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $n = { param($x) ([double]$x).ToString('0.###', $inv) }
    $l = [Collections.Generic.List[string]]::new()
    $l.Add("virtual_server $VirtualAddress $Port {")
    $l.Add("    delay_loop $(& $n $Interval)")
    $l.Add("    lb_algo $Scheduler")
    $l.Add("    lb_kind $kind")
    $l.Add('    protocol TCP')
    if ($Alpha) { $l.Add('    alpha') }
    if ($PSBoundParameters.ContainsKey('Quorum')) { $l.Add("    quorum $Quorum") }
    if ($PSBoundParameters.ContainsKey('Hysteresis')) { $l.Add("    hysteresis $Hysteresis") }
    if ($SorryServer) {
        $sp = if ($SorryServerPort) { $SorryServerPort } else { $RealServerPort }
        $l.Add("    sorry_server $SorryServer $sp")
    }
    for ($i = 0; $i -lt $RealServer.Count; $i++) {
        $w = if ($Weight -and $i -lt $Weight.Count) { $Weight[$i] } else { 1 }
        $l.Add("    real_server $($RealServer[$i]) $RealServerPort {")
        $l.Add("        weight $w")
        if (-not $Remove) { $l.Add('        inhibit_on_failure') }
        $common = @("connect_timeout $(& $n $Timeout)", "retry $($Fall - 1)", "delay_before_retry $(& $n $Interval)")
        if ($null -ne $Warmup) { $common += "warmup $(& $n $Warmup)" }
        switch ($Check) {
            'Tcp' {
                $l.Add('        TCP_CHECK {')
                $common | ForEach-Object { $l.Add("            $_") }
            }
            'Http' {
                $l.Add('        HTTP_GET {')
                $l.Add('            url {')
                $l.Add("                path $Path")
                $l.Add("                status_code $($ExpectStatus -join ' ')")
                if ($ExpectBody) { $l.Add("                regex `"$($ExpectBody -replace '"', '\"')`"") }
                $l.Add('            }')
                $common | ForEach-Object { $l.Add("            $_") }
            }
            'Command' {
                if (-not $CommandPath) { throw 'New-KeepalivedVirtualServer: -Check Command needs -CommandPath.' }
                $l.Add('        MISC_CHECK {')
                $l.Add("            misc_path `"$CommandPath $($RealServer[$i]) $RealServerPort`"")
                $l.Add("            misc_timeout $([math]::Max(1, [math]::Ceiling($Timeout)))")
                $common | Where-Object { $_ -notlike 'connect_timeout*' } | ForEach-Object { $l.Add("            $_") }
            }
        }
        $l.Add('        }')
        $l.Add('    }')
    }
    $l.Add('}')
    $l -join "`n"
}

<#
.SYNOPSIS
A whole keepalived.conf: global_defs (scripts run as root, as the tests' own programs) and the given blocks.
#>
function New-KeepalivedConfig {
    param([Parameter(Mandatory)] [string[]] $VirtualServer, [string] $RouterId = 'lvstools-test')
    $g = @('global_defs {', "    router_id $RouterId", '    script_user root', '    enable_script_security', '}')
    (@($g) + @($VirtualServer)) -join "`n"
}

<#
.SYNOPSIS
Starts keepalived's checker (only: -C) in NAMESPACE with the given configuration, in the foreground of a shell
started in the background, logging to Directory/keepalived.log. Returns once the checker reported "Startup
complete" (or throws with the log).
.OUTPUTS
Namespace, Directory, ConfigPath, LogPath, Pid (the parent), CheckerPid, StartTime (Unix seconds).
#>
function Start-Keepalived {
    param(
        [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $Config,
        [Parameter(Mandatory)] [string] $Directory,
        [string] $Name = 'keepalived',
        [int] $StartTimeoutSec = 60
    )
    $exe = Get-KeepalivedPath
    if (-not $exe) { throw 'Keepalived: keepalived is not installed (tools/install-prerequisites.sh).' }
    $null = New-Item -ItemType Directory -Path $Directory -Force
    $conf = Join-Path $Directory "$Name.conf"
    $log = Join-Path $Directory "$Name.log"
    $pidFile = Join-Path $Directory "$Name.pid"
    $checkerPidFile = Join-Path $Directory "$Name-checker.pid"
    [IO.File]::WriteAllText($conf, $Config + "`n")
    foreach ($f in $log, $pidFile, $checkerPidFile) { if (Test-Path -LiteralPath $f) { Remove-Item -LiteralPath $f -Force } }
    $q = { param($w) "'" + ($w -replace "'", "'\''") + "'" }
    # `ip netns exec` execs keepalived, so $! is keepalived's own pid (-n: it does not fork away from it).
    $sh = 'ip netns exec {0} {1} -n -l -D -G -C -f {2} -p {3} -c {4} -r {5} </dev/null >{6} 2>&1 & echo $!' -f (& $q $Namespace),
        (& $q $exe), (& $q $conf), (& $q $pidFile), (& $q $checkerPidFile), (& $q (Join-Path $Directory "$Name-vrrp.pid")), (& $q $log)
    $t0 = Get-UnixTime
    $parent = [int](& /bin/sh -c $sh)
    $deadline = [DateTime]::UtcNow.AddSeconds($StartTimeoutSec)
    while ($true) {
        $text = if (Test-Path -LiteralPath $log) { [IO.File]::ReadAllText($log) } else { '' }
        if ($text -match 'Startup complete' -and (Test-Path -LiteralPath $checkerPidFile)) { break }
        if (-not (Test-Path "/proc/$parent") -or [DateTime]::UtcNow -gt $deadline) {
            throw "Keepalived: keepalived did not start in $Namespace (pid $parent): $text"
        }
        Start-Sleep -Milliseconds 100
    }
    [pscustomobject]@{
        PSTypeName = 'KeepalivedInstance'
        Namespace  = $Namespace
        Directory  = $Directory
        ConfigPath = $conf
        LogPath    = $log
        Pid        = $parent
        CheckerPid = [int]([IO.File]::ReadAllText($checkerPidFile).Trim())
        StartTime  = $t0
    }
}

<#
.SYNOPSIS
SIGTERM to keepalived's parent (which stops its checker and removes its IPVS entries); waits until both are
gone, SIGKILL after -TimeoutSec. Returns the seconds it took and what its log says about CPU use.
#>
function Stop-Keepalived {
    param([Parameter(Mandatory, ValueFromPipeline)] $Instance, [int] $TimeoutSec = 20)
    process {
        $t0 = Get-UnixTime
        $procs = @($Instance.Pid, $Instance.CheckerPid) | Where-Object { Test-KeepalivedPid $_ $Instance.ConfigPath }
        foreach ($p in $procs) { if ($p -eq $Instance.Pid) { $null = & kill -TERM $p 2>&1 } }
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while (@($procs | Where-Object { Test-KeepalivedPid $_ $Instance.ConfigPath }).Count -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }
        $killed = $false
        foreach ($p in $procs) {
            if (Test-KeepalivedPid $p $Instance.ConfigPath) { $null = & kill -KILL $p 2>&1; $killed = $true }
        }
        $global:LASTEXITCODE = 0
        [pscustomobject]@{ Seconds = (Get-UnixTime) - $t0; Killed = $killed }
    }
}

# Alive (not a zombie) and still the keepalived started with that configuration (a recycled pid would not be).
function Test-KeepalivedPid([int] $ProcessId, [string] $ConfigPath) {
    try {
        $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat")
        $state = $stat.Substring($stat.LastIndexOf(')') + 2, 1)
        $state -ne 'Z' -and $state -ne 'X' -and [IO.File]::ReadAllText("/proc/$ProcessId/cmdline").Contains($ConfigPath)
    } catch { $false }
}

<#
.SYNOPSIS
utime + stime of the given processes (their threads included), in seconds, from /proc/PID/stat.
#>
function Get-ProcessCpuSecond {
    param([Parameter(Mandatory)] [int[]] $ProcessId)
    $ticks = 0L
    foreach ($p in $ProcessId) {
        $stat = [IO.File]::ReadAllText("/proc/$p/stat")
        $f = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        # fields after "(comm)": state=0 ... utime=11 stime=12 (stat(5) fields 14 and 15)
        $ticks += [long]$f[11] + [long]$f[12]
    }
    $ticks / 100.0   # USER_HZ is 100 on Linux
}

<#
.SYNOPSIS
Starts SCRIPT with python3 in NAMESPACE, in the background: its arguments are Path and -Argument, its output and errors
go to Path.log. The script writes "pid<TAB>N" as the first line of Path (through a file it renames, so the line is whole
when Path appears); returns Namespace, Path, Pid and ScriptPath once it has.
#>
function Start-NamespacePython {
    param(
        [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $ScriptPath,
        [Parameter(Mandatory)] [string] $Path,
        [string[]] $Argument = @(),
        [string] $Python = $(if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' })
    )
    if (Test-Path -LiteralPath $Path) { Remove-Item -LiteralPath $Path -Force }
    $q = { param($w) "'" + ($w -replace "'", "'\''") + "'" }
    $command = @($Python, '-I', '-S', $ScriptPath, $Path) + $Argument | ForEach-Object { & $q $_ }
    $sh = 'ip netns exec {0} {1} </dev/null >{2} 2>&1 &' -f (& $q $Namespace), ($command -join ' '), (& $q "$Path.log")
    & /bin/sh -c $sh
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while (-not (Test-Path -LiteralPath $Path)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "$([IO.Path]::GetFileName($ScriptPath)): did not start: $(Get-Content -Raw -LiteralPath "$Path.log" -ErrorAction SilentlyContinue)" }
        Start-Sleep -Milliseconds 50
    }
    $first = [IO.File]::ReadAllLines($Path)[0] -split "`t"
    [pscustomobject]@{ Namespace = $Namespace; Path = $Path; Pid = [int]$first[1]; ScriptPath = $ScriptPath }
}

<#
.SYNOPSIS
Ends a script Start-NamespacePython started (only if its pid still runs that script: a pid can be reused).
#>
function Stop-NamespacePython {
    param([Parameter(Mandatory, ValueFromPipeline)] $Process)
    process {
        try {
            if ([IO.File]::ReadAllText("/proc/$($Process.Pid)/cmdline").Contains($Process.ScriptPath)) {
                ([Diagnostics.Process]::GetProcessById($Process.Pid)).Kill()
            }
        } catch { Write-Verbose "$([IO.Path]::GetFileName($Process.ScriptPath)): $_" }
    }
}

<#
.SYNOPSIS
Starts the table sampler in NAMESPACE: one python3 process reading /proc/net/ip_vs every -IntervalMs and
writing one line per change (time, service, real server, weight, forwarding) to Path.
#>
function Start-IpvsSampler {
    param(
        [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $Path,
        [ValidateRange(20, 5000)] [int] $IntervalMs = 100,
        [string] $Python = $(if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' })
    )
    $script = "$Path.py"
    [IO.File]::WriteAllText($script, $script:SamplerPy)
    $p = Start-NamespacePython -Namespace $Namespace -ScriptPath $script -Path $Path -Python $Python `
        -Argument ($IntervalMs / 1000.0).ToString([Globalization.CultureInfo]::InvariantCulture)
    $p.PSObject.TypeNames.Insert(0, 'IpvsSampler')
    $p
}

function Stop-IpvsSampler {
    param([Parameter(Mandatory, ValueFromPipeline)] $Sampler)
    process { Stop-NamespacePython $Sampler }
}

<#
.SYNOPSIS
The changes the sampler recorded: Time (Unix seconds), Service ("TCP 192.0.2.100:8080"), RealServer
("10.77.0.11:8080"), Weight ($null when the real server is not in the table), Forward. -Since keeps the later
ones; -RealServer matches the address with or without the port.
#>
function Get-IpvsTransition {
    param([Parameter(Mandatory)] $Sampler, [double] $Since = 0, [string] $RealServer, [string] $Service, [string[]] $Lines)
    foreach ($line in $(if ($PSBoundParameters.ContainsKey('Lines')) { $Lines } else { [IO.File]::ReadAllLines($Sampler.Path) })) {
        $f = $line -split "`t"
        if ($f.Count -lt 5) { continue }
        $t = [double]::Parse($f[0], [Globalization.CultureInfo]::InvariantCulture)
        if ($t -lt $Since) { continue }
        if ($RealServer -and $f[2] -ne $RealServer -and ($f[2] -replace ':\d+$') -ne $RealServer) { continue }
        if ($Service -and $f[1] -ne $Service -and $f[1] -notlike "* $Service") { continue }
        [pscustomobject]@{
            Time       = $t
            Service    = $f[1]
            RealServer = $f[2]
            Weight     = if ($f[3] -eq '-') { $null } else { [int]$f[3] }
            Forward    = if ($f[4] -eq '-') { $null } else { $f[4] }
        }
    }
}

<#
.SYNOPSIS
Waits until the sampler saw REALSERVER at -Weight (or, with -Absent, out of the table) at or after -Since; returns
that transition, or $null after -TimeoutSec.
#>
function Wait-IpvsWeight {
    param(
        [Parameter(Mandatory)] $Sampler,
        [Parameter(Mandatory)] [string] $RealServer,
        [int] $Weight,
        [switch] $Absent,
        [double] $Since = 0,
        [string] $Service,
        [double] $TimeoutSec = 30
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    # Only the lines the sampler added since the last look are parsed: the wait shares the guest's one CPU with the engine
    # it measures, and reading the whole file ten times a second would take more of it the longer the file grows.
    $offset = 0L; $partial = ''
    while ($true) {
        $stream = [IO.File]::Open($Sampler.Path, 'Open', 'Read', 'ReadWrite')
        try {
            $null = $stream.Seek($offset, 'Begin')
            $text = $partial + [IO.StreamReader]::new($stream).ReadToEnd()
            $offset = $stream.Position
        } finally { $stream.Dispose() }
        $cut = $text.LastIndexOf("`n")
        $partial = $text.Substring($cut + 1)
        if ($cut -ge 0) {
            $hit = Get-IpvsTransition -Sampler $Sampler -Since $Since -RealServer $RealServer -Service $Service -Lines $text.Substring(0, $cut).Split("`n") |
                Where-Object { if ($Absent) { $null -eq $_.Weight } else { $_.Weight -eq $Weight } } | Select-Object -First 1
            if ($hit) { return $hit }
        }
        if ([DateTime]::UtcNow -gt $deadline) { return $null }
        Start-Sleep -Milliseconds 100
    }
}

Export-ModuleMember -Function Get-KeepalivedPath, Test-KeepalivedAvailable, Get-UnixTime, New-KeepalivedVirtualServer,
    New-KeepalivedConfig, Start-Keepalived, Stop-Keepalived, Get-ProcessCpuSecond, Start-NamespacePython, Stop-NamespacePython,
    Start-IpvsSampler, Stop-IpvsSampler, Get-IpvsTransition, Wait-IpvsWeight
