#Requires -Version 7.4
<#
.SYNOPSIS
    Start-LvsController against keepalived (Debian's 2.2.7, checker only), in one UML boot, as ratios.
.DESCRIPTION
    Run inside the User-mode Linux kernel (see bench/README.md for the command). Both run in the director namespace
    of one lab (New-LvsLab -Mode Nat: the module's own HTTP servers in namespaces; a failure is Set-LvsLabServer
    -State Down, which refuses connections as a stopped server does), one after the other, on the same service and
    the same failures; the IPVS table is sampled from /proc/net/ip_vs every -SampleMs (tests/Pester/Keepalived.psm1),
    and the killed server's checks are seen on the wire (bench/check-wire.py: each SYN and its answer, kernel times),
    with, through an nlmon device in the namespace, each engine's IPVS write of that server's weight: weight 0 is then
    the write's time, not when the sampler next looked (without nlmon, the sampler's, and the rows say so).
      detection  kill -> weight 0 of a real server, TCP check every -Interval s, fall -Fall (keepalived: delay_loop,
                 retry = fall - 1, delay_before_retry = interval), median of -Runs kills        target <= 1.0x
      detectionAdjusted  the same, without the spread of where the kill falls between two checks: first refused
                 check -> weight 0, plus half the engine's own check period (mean of -Runs)   target <= 1.0x
      cpu        -Services services x 4 real servers, TCP checks every -CheckInterval s, all healthy, -CpuSeconds s:
                 utime + stime of the controller's pwsh vs keepalived's two processes           target <= 1.5x,
                 and the writes the controller sent meanwhile (its Applied events)              0 writes
      oneWrite   the writes of the controller's cycle that took the killed server out          exactly 1
    Without Start-LvsController in the module only keepalived's figures are measured and the rows say so.
    Results: bench/results/controller-<timestamp>.md and .json (not committed), and printed.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Runs = 5,
    # Kills before the measured ones, for both engines alike, not in the rows: a controller that has run for a while has
    # its reaction's code loaded and recompiled (the .NET runtime recompiles a method, optimized, after 30 calls), as a
    # benchmark harness warms up before it measures. Their figures are printed beside the rows.
    [ValidateRange(0, 100)] [int] $WarmUpRuns = 15,
    [double] $Interval = 1,
    [int] $Fall = 2,
    [int] $Services = 1000,
    [double] $CheckInterval = 5,
    [int] $CpuSeconds = 120,
    [int] $WarmUpSeconds = 15,
    [switch] $SkipCpu,
    [switch] $SkipDetection,
    [ValidateRange(20, 1000)] [int] $SampleMs = 50,
    # After the CPU window: the controller's system calls traced by strace -f for this many seconds (0: not), by call and by thread, with the
    # checks made meanwhile, for the notes (the tracing slows it: calls per check, not time).
    [ValidateRange(0, 600)] [int] $StraceSeconds = 0,
    # Environment variables of the controller's process: by default those of the systemd unit in Start-LvsController's
    # help (what an operator runs); @{} for none, others to try runtime settings.
    [hashtable] $ControllerEnvironment = @{ DOTNET_GCgen0size = '0x4000000' },
    [string] $OutputDirectory = (Join-Path $PSScriptRoot 'results')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath -Force
$pester = Join-Path (Split-Path $PSScriptRoot -Parent) 'tests/Pester'
Import-Module (Join-Path $pester 'Keepalived.psm1') -Force
Import-Module (Join-Path $pester 'LvsControllerProcess.psm1') -Force
$haveController = [bool](Get-Command Start-LvsController -Module LvsTools -ErrorAction SilentlyContinue)
if (-not (Test-KeepalivedAvailable)) { throw 'keepalived is not installed (tools/install-prerequisites.sh).' }
if (-not (Test-Path /proc/net/ip_vs)) { throw 'no IPVS in this kernel: run it in the UML guest (bench/README.md).' }
New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null
$inv = [Globalization.CultureInfo]::InvariantCulture
function Get-Median([double[]] $Values) {
    $s = @($Values | Sort-Object)
    if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}
function Format-Seconds($x) { if ($null -eq $x) { '-' } else { ([double]$x).ToString('0.00', $inv) } }

# A version 2 document of services (each: vip, port, real server addresses) with TCP checks.
function New-ControllerDocument([string] $Path, [object[]] $ServiceList, [double] $CheckEvery, [int] $FallCount, [double] $Timeout) {
    $doc = [ordered]@{
        schemaVersion = 2
        services      = @(foreach ($s in $ServiceList) {
                [ordered]@{
                    protocol = 'tcp'; address = $s.Vip; port = $s.Port; scheduler = 'rr'
                    healthCheck = [ordered]@{ type = 'tcp'; timeout = $Timeout; interval = $CheckEvery; rise = 1; fall = $FallCount }
                    realServers = @(foreach ($a in $s.RealServers) { [ordered]@{ address = $a; port = $s.Port; forwarding = 'masquerade'; weight = 1 } })
                }
            })
    }
    [IO.File]::WriteAllText($Path, ($doc | ConvertTo-Json -Depth 8))
}

function Clear-DirectorTable([string] $Namespace) {
    Get-LvsService -NetNamespace $Namespace | Remove-LvsService -Confirm:$false -ErrorAction SilentlyContinue
}

# The checks of one real server on the wire (bench/check-wire.py in the director's namespace): when each engine's checks
# start (SYN) and how the server answered them, with the kernel's packet times.
function Start-CheckWire([string] $Namespace, [string] $Path, [string] $Address, [int] $Port) {
    Start-NamespacePython -Namespace $Namespace -ScriptPath (Join-Path $PSScriptRoot 'check-wire.py') -Path $Path -Argument $Address, "$Port"
}

# What the wire saw, in one pass over its file: Checks, each with Time (the SYN's), Accepted ($true, $false: refused, $null:
# no answer yet) and Answered (the answer's time); and Weights, the IPVS writes of the server's weight seen on netlink
# (nlmon), each with Time (the kernel's) and Weight. -Tail reads only the file's last bytes (while check-wire.py writes it:
# the first line, cut short, is left out).
function Read-Wire($Wire, [long] $Tail = 0) {
    $checks = [Collections.Generic.List[object]]::new()
    $weights = [Collections.Generic.List[object]]::new()
    $open = @{}
    $stream = [IO.File]::Open($Wire.Path, 'Open', 'Read', 'ReadWrite')
    try {
        $from = if ($Tail -gt 0) { [Math]::Max(0, $stream.Length - $Tail) } else { 0 }
        $null = $stream.Seek($from, 'Begin')
        $lines = [IO.StreamReader]::new($stream).ReadToEnd().Split("`n")
    } finally { $stream.Dispose() }
    # The text after the last newline (empty when the file ends with one) is a line still being written.
    for ($i = [int]($from -gt 0); $i -lt $lines.Count - 1; $i++) {
        $f = $lines[$i] -split "`t"
        $t = 0.0
        if ($f.Count -lt 3 -or -not [double]::TryParse($f[0], [Globalization.NumberStyles]::Float, $inv, [ref] $t)) { continue }
        switch ($f[1]) {
            'SYN' { $c = [pscustomobject]@{ Time = $t; Accepted = $null; Answered = $null }; $checks.Add($c); $open[$f[2]] = $c }
            'WEIGHT' { $weights.Add([pscustomobject]@{ Time = $t; Weight = [int]$f[2] }) }
            default {
                # the first answer to a check's SYN decides it (a later RST of an accepted connection is not a refusal)
                $c = $open[$f[2]]
                if ($c -and $null -eq $c.Accepted) { $c.Accepted = $f[1] -eq 'ACCEPT'; $c.Answered = $t }
            }
        }
    }
    [pscustomobject]@{ Checks = $checks; Weights = $weights }
}

# An nlmon device in the namespace: check-wire.py then sees every IPVS write too (false when the kernel has no nlmon).
function Add-NetlinkMonitor([string] $Namespace) {
    & modprobe nlmon 2>$null
    & ip -n $Namespace link add lvsnlmon0 type nlmon 2>$null
    if ($LASTEXITCODE -ne 0) { return $false }
    & ip -n $Namespace link set lvsnlmon0 up 2>$null
    $LASTEXITCODE -eq 0
}

# The median time between two checks that follow each other, both accepted: the engine's check period while healthy
# ($null without two such checks).
function Get-CheckPeriod([object[]] $Checks) {
    $gaps = @(for ($i = 1; $i -lt $Checks.Count; $i++) {
            $gap = $Checks[$i].Time - $Checks[$i - 1].Time
            if ($Checks[$i - 1].Accepted -and $Checks[$i].Accepted -and $gap -lt 3 * $Interval) { $gap }
        })
    if ($gaps.Count) { Get-Median $gaps }
}

# Where each kill falls between two checks, as a fraction of the check period: the same evenly spread set for both
# engines (i + 0.5) / Runs, in one shuffled order (a fixed seed), so that the raw row compares the engines on the same
# failures and not on where random kills happened to fall (over 30 random kills that alone moved the raw ratio 0.82-1.20).
function Get-KillPhases([int] $Count) {
    if ($Count -le 0) { return @() }
    $random = [Random]::new(9)
    @(0..($Count - 1) | ForEach-Object { ($_ + 0.5) / $Count } | Sort-Object { $random.Next() })
}

# The last check of the watched server the wire has seen (Time: its SYN's) and the engine's check period while healthy so
# far (Get-CheckPeriod over the file's last 4 KB, about 30 checks; the nominal interval until it has two), or $null.
function Get-LastCheck($Wire) {
    $checks = @((Read-Wire $Wire -Tail 4096).Checks)
    if (-not $checks.Count) { return $null }
    $period = Get-CheckPeriod $checks
    [pscustomobject]@{ Time = $checks[-1].Time; Period = if ($period) { $period } else { $Interval } }
}

# Sleeps until the kill of run I is to be asked for: at least -Least seconds from now, at its phase of the engine's own
# check period after one of its checks (the wire's last SYN plus whole periods), less half of how long the kill command
# took so far (the change takes effect inside it; -Kills, the runs so far). Without a wire: a random pause, as before.
function Wait-KillPhase($Wire, [double] $Phase, [double] $Least, [object[]] $Kills) {
    $last = if ($Wire) { Get-LastCheck $Wire }
    if ($null -eq $last) { Start-Sleep -Milliseconds ([int]($Least * 1000) + (Get-Random -Maximum 1000)); return }
    $lead = if ($Kills.Count) { (Get-Median @($Kills | ForEach-Object { $_.Killed - $_.Asked })) / 2 } else { 0 }
    $earliest = (Get-UnixTime) + $Least
    $at = $last.Time + $Phase * $last.Period
    while ($at - $lead -lt $earliest) { $at += $last.Period }
    $ms = [int](($at - $lead - (Get-UnixTime)) * 1000)
    if ($ms -gt 0) { Start-Sleep -Milliseconds $ms }
}

# Takes rs1 down -Runs times while ENGINE watches it; returns the down -> weight 0 and up -> weight 1 times (from the
# moment Set-LvsLabServer returned: the change is in force by then).
function Measure-Detection($Lab, $Sampler, [string] $Engine, $Controller, $Wire) {
    $rs1 = "$($Lab.RealServerAddresses[0]):$($Lab.Port)"
    $down = @(); $up = @(); $writes = @(); $seen = @(); $lag = @(); $kills = @(); $warmKills = @()
    $phases = @((Get-KillPhases $WarmUpRuns) + (Get-KillPhases $Runs))
    if (-not (Wait-IpvsWeight -Sampler $Sampler -RealServer $rs1 -Weight 1 -Since $Sampler.Started -TimeoutSec 120)) { throw "$Engine never put $rs1 at weight 1" }
    for ($i = 1 - $WarmUpRuns; $i -le $Runs; $i++) {
        $warm = $i -le 0
        # Each run at its own phase against the engine's checks (see Get-KillPhases).
        Wait-KillPhase $Wire $phases[$i + $WarmUpRuns - 1] 1.5 @($warmKills + $kills)
        # The change takes effect somewhere inside Set-LvsLabServer, and the cmdlet can take a while to return in a loaded
        # guest: the table is searched from before the call (an engine may act before it returns), the time counted from
        # after it (when the change is surely in force).
        $asked = Get-UnixTime
        Set-LvsLabServer -Lab $Lab -Index 0 -State Down -Confirm:$false
        $killed = Get-UnixTime
        $d = Wait-IpvsWeight -Sampler $Sampler -RealServer $rs1 -Weight 0 -Since $asked -TimeoutSec 60
        if (-not $d) {
            if ($Controller) { Get-LvsControllerEvent $Controller -Since ($killed - 1) | Format-Table Time, Kind, RealServer, Detail -AutoSize -Wrap | Out-String -Width 200 | Write-Host }
            throw "$Engine did not take $rs1 out within 60 s (run $i)"
        }
        $kill = [pscustomobject]@{ Asked = $asked; Killed = $killed; Down = $d.Time; Until = $null; Written = $null }
        if ($warm) { $warmKills += $kill } else { $down += $d.Time - $killed; $kills += $kill }
        if ($Controller -and -not $warm) {
            Start-Sleep -Milliseconds 500
            # Where the time went: kill -> the probe result that crossed the fall (ServerDown), and from there to the write.
            $events = @(Get-LvsControllerEvent $Controller -Since $killed)
            $applied = $events | Where-Object { $_.Kind -eq 'Applied' -and $_.Time -le ($d.Time + 0.5) } | Select-Object -First 1
            $writes += @($applied | ForEach-Object Writes)
            $downEvent = $events | Where-Object { $_.Kind -eq 'ServerDown' -and $_.RealServer -eq $rs1 } | Select-Object -First 1
            if ($downEvent -and $applied) { $seen += $downEvent.Time - $killed; $lag += $applied.Time - $downEvent.Time }
        }
        # A different phase against the check timer for the restart too: a fixed pause would tie it to the detection's.
        Start-Sleep -Milliseconds (500 + (Get-Random -Maximum 1000))
        $asked = Get-UnixTime
        $kill.Until = $asked
        Set-LvsLabServer -Lab $Lab -Index 0 -State Up -Confirm:$false
        $started = Get-UnixTime
        $u = Wait-IpvsWeight -Sampler $Sampler -RealServer $rs1 -Weight 1 -Since $asked -TimeoutSec 60
        if (-not $u) {
            # What the controller saw and did since the kill, for the failure's diagnosis (the work folder goes with the guest).
            if ($Controller) { Get-LvsControllerEvent $Controller -Since ($killed - 1) | Format-Table Time, Kind, RealServer, Detail -AutoSize -Wrap | Out-String -Width 200 | Write-Host }
            throw "$Engine did not put $rs1 back within 60 s (run $i)"
        }
        if ($warm) { Write-Host ("  {0} warm-up run {1}: kill -> weight 0 {2} s" -f $Engine, ($i + $WarmUpRuns), (Format-Seconds ($d.Time - $killed))); continue }
        $up += $u.Time - $started
        Write-Host ("  {0} run {1}: kill -> weight 0 {2} s, restart -> weight 1 {3} s" -f $Engine, $i, (Format-Seconds $down[-1]), (Format-Seconds $up[-1]))
    }
    $result = [pscustomobject]@{ Down = $down; Up = $up; Writes = $writes; Seen = $seen; Lag = $lag; Period = $null; Wire = @()
        Sampled = $down; Kills = $kills; Written = $false; Checks = $null; WarmKills = $warmKills; WarmWire = @() }
    if ($Wire) {
        $seenOnWire = Read-Wire $Wire
        $result.Checks = $seenOnWire.Checks
        # The write of weight 0 on netlink: the first between the kill and the restart (the sampler stamps a sample before
        # it reads the table, so its time can come a little before the write's).
        $zero = @($seenOnWire.Weights | Where-Object Weight -EQ 0)
        foreach ($k in @($warmKills + $kills)) {
            $k.Written = $zero | Where-Object { $_.Time -ge $k.Asked -and $_.Time -le $k.Until } | Select-Object -First 1 | ForEach-Object Time
        }
        $result.Written = $kills.Count -and -not (@($warmKills + $kills) | Where-Object { $null -eq $_.Written })
    }
    $result
}

# The wire's figures of one engine's kills, weight 0 taken from the writes on netlink when -Exact (both engines have them
# for every kill), else from the table sampler.
function Complete-Detection($Result, [bool] $Exact) {
    $kills = $Result.Kills
    if ($Exact) {
        foreach ($k in @($Result.WarmKills + $kills)) { $k.Down = $k.Written }
        $Result.Down = @($kills | ForEach-Object { $_.Down - $_.Killed })
    }
    if ($null -eq $Result.Checks) { return }
    $checks = @($Result.Checks)
    $Result.Period = Get-CheckPeriod $checks
    $Result.Wire = Get-KillWire $kills $checks
    $Result.WarmWire = Get-KillWire $Result.WarmKills $checks
}

# Per kill, from the wire: the first refused check (its SYN), the fall-th (the one that decided, by its RST), and so the
# part of the detection that does not depend on where the kill fell between two checks.
function Get-KillWire([object[]] $Kills, [object[]] $Checks) {
    @(foreach ($k in $Kills) {
            $refused = @($Checks | Where-Object { $_.Time -ge $k.Asked -and $_.Time -le $k.Down -and $_.Accepted -eq $false })
            if ($refused.Count -lt $Fall) { continue }
            [pscustomobject]@{
                Phase     = $refused[0].Time - $k.Killed             # kill -> the next check
                FirstDown = $k.Down - $refused[0].Time              # that check -> weight 0
                Retry     = $refused[$Fall - 1].Time - $refused[0].Time
                Decided   = $k.Down - $refused[$Fall - 1].Answered  # the deciding RST -> weight 0
            }
        })
}

# CPU seconds of each thread of a process by thread id, with its name (/proc/PID/task/TID/comm: ".NET TP Worker",
# "LvsTools TCP c", ...), for the CPU row's notes: where the controller's time goes.
function Get-ThreadCpuSecond([int] $ProcessId) {
    $threads = @{}
    foreach ($t in Get-ChildItem -LiteralPath "/proc/$ProcessId/task" -ErrorAction SilentlyContinue) {
        try { $stat = [IO.File]::ReadAllText("$($t.FullName)/stat") } catch { continue } # the thread ended meanwhile
        $open = $stat.IndexOf('('); $close = $stat.LastIndexOf(')')
        $f = $stat.Substring($close + 2).Split(' ')
        $threads[$t.Name] = [pscustomobject]@{ Name = $stat.Substring($open + 1, $close - $open - 1); Seconds = ([long]$f[11] + [long]$f[12]) / 100.0 }
    }
    $threads
}

# The CPU in a window of the threads alive at its end (less what each had used before it), summed by name, largest first:
# "'name' S s (N threads)". A thread that ended inside the window is not in it.
function Format-ThreadCpu($Before, $After) {
    @($After.Keys | ForEach-Object {
            $was = if ($Before.ContainsKey($_)) { $Before[$_].Seconds } else { 0 }
            [pscustomobject]@{ Name = $After[$_].Name; Seconds = $After[$_].Seconds - $was }
        } | Group-Object Name | ForEach-Object {
            [pscustomobject]@{ Name = $_.Name; Seconds = ($_.Group | Measure-Object Seconds -Sum).Sum; Threads = $_.Count }
        } | Sort-Object Seconds -Descending | Select-Object -First 8 |
        ForEach-Object { "'$($_.Name)' $(Format-Seconds $_.Seconds) s ($($_.Threads) thread$(if ($_.Threads -ne 1) { 's' }))" }) -join ', '
}

# The connections a namespace has opened so far (Tcp ActiveOpens in its /proc/net/snmp): over the CPU window, the checks
# an engine made. An engine short of CPU falls behind its schedule and makes fewer.
function Get-ActiveOpens([string] $Namespace) {
    $lines = @(& ip netns exec $Namespace cat /proc/net/snmp | Where-Object { $_ -like 'Tcp:*' })
    $names = $lines[0] -split '\s+'
    [long](($lines[1] -split '\s+')[[array]::IndexOf($names, 'ActiveOpens')])
}

# Minor page faults of processes so far (stat(5) field 10): in User-mode Linux each costs a round trip to the host.
function Get-MinorFaults([int[]] $ProcessId) {
    $n = 0L
    foreach ($p in $ProcessId) {
        $stat = [IO.File]::ReadAllText("/proc/$p/stat")
        $n += [long]$stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')[7]
    }
    $n
}

# The checks an engine made in the window, for the notes: "N checks (R a second, C ms of CPU each)".
function Format-Checks([long] $Opened, [double] $Cpu) {
    if ($Opened -le 0) { return '0 checks' }
    "$Opened checks ($(($Opened / $CpuSeconds).ToString('0', $inv)) a second, $(($Cpu * 1000 / $Opened).ToString('0.00', $inv)) ms of CPU each)"
}

function Get-Mean([double[]] $Values) { ($Values | Measure-Object -Average).Average }

$stamp = [DateTime]::UtcNow.ToString('yyyyMMdd-HHmmss')
$lab = New-LvsLab -Mode Nat -RealServerCount 4 -Name "ctlbench$PID" -Confirm:$false
$d = $lab.Director
$work = Join-Path ([IO.Path]::GetTempPath()) "lvstools-bench-controller-$stamp"
$null = New-Item -ItemType Directory -Path $work -Force
$rows = [Collections.Generic.List[object]]::new()
$notes = [Collections.Generic.List[string]]::new()
try {
    $addresses = @($lab.RealServerAddresses | ForEach-Object { "$_" })
    $svc = [pscustomobject]@{ Vip = "$($lab.Vip)"; Port = $lab.Port; RealServers = $addresses[0..1] }

    # --- detection ---------------------------------------------------------------------------------------
    if (-not $SkipDetection) {
    Write-Host "Detection: TCP check every $Interval s, fall $Fall, $Runs kills each, spread evenly over the check period, after $WarmUpRuns warm-up kills"
    if ($ControllerEnvironment.Count) {
        $notes.Add("Start-LvsController ran with $(($ControllerEnvironment.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ' ')")
    }
    $netlink = Add-NetlinkMonitor $d
    if (-not $netlink) { $notes.Add("no nlmon device in this kernel: weight 0 is the time the table sampler saw it (every $SampleMs ms), not the write's") }
    $sampler = Start-IpvsSampler -Namespace $d -Path (Join-Path $work 'ka-table.tsv') -IntervalMs $SampleMs
    $sampler | Add-Member Started (Get-UnixTime)
    $wire = Start-CheckWire $d (Join-Path $work 'ka-wire.tsv') $svc.RealServers[0] $svc.Port
    $ka = Start-Keepalived -Namespace $d -Directory $work -Name detect -Config (New-KeepalivedConfig -VirtualServer (
            New-KeepalivedVirtualServer -VirtualAddress $svc.Vip -Port $svc.Port -RealServer $svc.RealServers -Interval $Interval -Fall $Fall -Timeout 1))
    $kaDetect = Measure-Detection $lab $sampler 'keepalived' $null $wire
    $null = Stop-Keepalived $ka
    Stop-IpvsSampler $sampler; Stop-NamespacePython $wire
    Clear-DirectorTable $d
    $ctlDetect = $null
    if ($haveController) {
        $doc = Join-Path $work 'detect.json'
        New-ControllerDocument $doc @($svc) $Interval $Fall 1
        $sampler = Start-IpvsSampler -Namespace $d -Path (Join-Path $work 'ctl-table.tsv') -IntervalMs $SampleMs
        $sampler | Add-Member Started (Get-UnixTime)
        $wire = Start-CheckWire $d (Join-Path $work 'ctl-wire.tsv') $svc.RealServers[0] $svc.Port
        $ctl = Start-LvsControllerProcess -ModulePath $ModulePath -Path $doc -Directory $work -NetNamespace $d -Interval $Interval -Name detect -Environment $ControllerEnvironment
        try { $ctlDetect = Measure-Detection $lab $sampler 'Start-LvsController' $ctl $wire }
        finally { $null = Stop-LvsControllerProcess $ctl; Stop-IpvsSampler $sampler; Stop-NamespacePython $wire }
        Clear-DirectorTable $d
    }
    if ($netlink) { & ip -n $d link del lvsnlmon0 2>$null }
    $exact = $kaDetect.Written -and (-not $ctlDetect -or $ctlDetect.Written)
    Complete-Detection $kaDetect $exact
    if ($ctlDetect) { Complete-Detection $ctlDetect $exact }
    $weight0 = if ($exact) { 'weight 0 written (netlink)' } else { 'weight 0 seen (table sampled)' }
    if ($exact) {
        $notes.Add("weight 0 is the kernel's time of the write on netlink (nlmon); the table sampler (every $SampleMs ms) saw it, median: keepalived " +
            "$(Format-Seconds (Get-Median $kaDetect.Sampled)) s" + $(if ($ctlDetect) { ", Start-LvsController $(Format-Seconds (Get-Median $ctlDetect.Sampled)) s" } else { '' }))
    }
    $kaMed = Get-Median $kaDetect.Down
    $ctlMed = if ($ctlDetect) { Get-Median $ctlDetect.Down } else { $null }
    $rows.Add([pscustomobject]@{ Row = 'detection'; Measurement = "kill -> $weight0, TCP check every $Interval s, fall $Fall (median of $Runs kills at the same phases for both)"
            LvsTools = $ctlMed; Reference = $kaMed; Unit = 's'; Ratio = if ($ctlMed) { $ctlMed / $kaMed } else { $null }; Target = '<= 1.0'
            Met = if ($ctlMed) { ($ctlMed / $kaMed) -le 1.0 } else { $null } })
    $kaUp = Get-Median $kaDetect.Up
    $ctlUp = if ($ctlDetect) { Get-Median $ctlDetect.Up } else { $null }
    $notes.Add("restart -> weight 1 (median): keepalived $(Format-Seconds $kaUp) s (one good check), Start-LvsController $(Format-Seconds $ctlUp) s (rise 1)")
    $notes.Add("kill -> weight 0, every run: keepalived $(($kaDetect.Down | ForEach-Object { Format-Seconds $_ }) -join ', ') s" +
        $(if ($ctlDetect) { "; Start-LvsController $(($ctlDetect.Down | ForEach-Object { Format-Seconds $_ }) -join ', ') s" } else { '' }))
    $kaMean = Get-Mean $kaDetect.Down
    $ctlMean = if ($ctlDetect) { Get-Mean $ctlDetect.Down } else { $null }
    $notes.Add("kill -> weight 0 (mean): keepalived $(Format-Seconds $kaMean) s, Start-LvsController $(Format-Seconds $ctlMean) s" +
        $(if ($ctlMean) { " (ratio $(($ctlMean / $kaMean).ToString('0.00', $inv)))" } else { '' }))
    if ($ctlDetect -and @($ctlDetect.Lag).Count) {
        $notes.Add("Start-LvsController, kill -> ServerDown (the probe that crossed the fall), median $(Format-Seconds (Get-Median $ctlDetect.Seen)) s; " +
            "ServerDown -> Applied, every run (ms): $(($ctlDetect.Lag | ForEach-Object { ($_ * 1000).ToString('0', $inv) }) -join ', ')")
    }
    # The kill falls at a random point between two checks, the same way for both engines: that wait is half a check period
    # on average, and over 30 kills its spread (a third of a period, alone) hides differences of a few per cent. Measured
    # from the first refused check on the wire, the rest of the detection does not depend on it: the phase-adjusted
    # detection is that rest plus half the engine's own check period (measured on the wire too), the same expectation.
    $adjusted = @{}
    foreach ($e in @(@('keepalived', $kaDetect), @('Start-LvsController', $ctlDetect))) {
        $name, $m = $e
        if (-not $m -or -not @($m.Wire).Count) { continue }
        $seen = @($m.Wire)
        $adjusted[$name] = (Get-Mean @($seen.FirstDown)) + $m.Period / 2
        $notes.Add("$name on the wire ($($seen.Count) of $Runs kills): the kill command took $(((Get-Median @($m.Kills | ForEach-Object { $_.Killed - $_.Asked })) * 1000).ToString('0', $inv)) ms (median; detection counts from its end); " +
            "check period while healthy $($m.Period.ToString('0.000', $inv)) s; " +
            "kill -> first refused check mean $(Format-Seconds (Get-Mean @($seen.Phase))) s; first refused check -> $weight0 mean " +
            "$((Get-Mean @($seen.FirstDown)).ToString('0.000', $inv)) s (median $((Get-Median @($seen.FirstDown)).ToString('0.000', $inv))); " +
            "first -> fall-th refused check median $((Get-Median @($seen.Retry)).ToString('0.000', $inv)) s; the deciding refusal -> $weight0 " +
            "median $(((Get-Median @($seen.Decided)) * 1000).ToString('0.0', $inv)) ms, mean $(((Get-Mean @($seen.Decided)) * 1000).ToString('0.0', $inv)) ms")
    }
    if ($WarmUpRuns -gt 0) {
        $parts = foreach ($e in @(@('keepalived', $kaDetect), @('Start-LvsController', $ctlDetect))) {
            $name, $m = $e
            if (-not $m -or -not @($m.WarmWire).Count) { continue }
            $ms = @($m.WarmWire | ForEach-Object { $_.Decided * 1000 })
            "$name median $((Get-Median $ms).ToString('0.0', $inv)) ms, mean $((Get-Mean $ms).ToString('0.0', $inv)) ms, the first kill $($ms[0].ToString('0.0', $inv)) ms"
        }
        $notes.Add("$WarmUpRuns warm-up kills per engine came before the measured ones (not in the rows); in them the deciding refusal -> ${weight0}: " +
            $(if ($parts) { $parts -join '; ' } else { 'not seen on the wire' }))
    }
    if ($adjusted['keepalived'] -and $adjusted['Start-LvsController']) {
        $ratio = $adjusted['Start-LvsController'] / $adjusted['keepalived']
        $rows.Add([pscustomobject]@{ Row = 'detectionAdjusted'; Measurement = "kill -> $weight0, phase-adjusted: first refused check -> $weight0 + half a check period (mean of $Runs)"
                LvsTools = $adjusted['Start-LvsController']; Reference = $adjusted['keepalived']; Unit = 's'; Ratio = $ratio; Target = '<= 1.0'; Met = $ratio -le 1.0 })
    }
    if ($ctlDetect) {
        $w = @($ctlDetect.Writes)
        $rows.Add([pscustomobject]@{ Row = 'oneWrite'; Measurement = 'writes of the cycle that set one weight to 0 (each kill)'
                LvsTools = ($w -join ', '); Reference = $null; Unit = 'writes'; Ratio = $null; Target = '1 each'
                Met = ($w.Count -eq $Runs -and -not ($w | Where-Object { $_ -ne 1 })) })
    }
    }

    # --- CPU ---------------------------------------------------------------------------------------------
    if (-not $SkipCpu) {
        Write-Host "CPU: $Services services x 4 real servers, TCP check every $CheckInterval s, $CpuSeconds s after $WarmUpSeconds s of warm-up"
        # The checks only connect: a listener that accepts and closes (backlog 4096) on port 9000 of each real server
        # keeps up with 800 connections a second where the lab's HTTP server (one request at a time) drops some.
        $listener = Join-Path $work 'accept.py'
        [IO.File]::WriteAllText($listener, "import socket`ns = socket.socket()`ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)`ns.bind(('0.0.0.0', 9000))`ns.listen(4096)`nwhile True:`n    s.accept()[0].close()`n")
        $sh = @($lab.RealServers | ForEach-Object { "ip netns exec '$_' /usr/bin/python3 -I -S '$listener' </dev/null >/dev/null 2>&1 &" }) -join "`n"
        & /bin/sh -c $sh
        Start-Sleep -Seconds 3
        $many = @(for ($i = 0; $i -lt $Services; $i++) {
                [pscustomobject]@{ Vip = '10.{0}.{1}.{2}' -f (100 + [math]::Floor($i / 65536)), ([math]::Floor($i / 256) % 256), ($i % 256)
                    Port = 9000; RealServers = $addresses }
            })
        $blocks = @($many | ForEach-Object {
                New-KeepalivedVirtualServer -VirtualAddress $_.Vip -Port $_.Port -RealServer $_.RealServers -Interval $CheckInterval -Fall 3 -Timeout 2
            })
        $ka = Start-Keepalived -Namespace $d -Directory $work -Name cpu -Config (New-KeepalivedConfig -VirtualServer $blocks) -StartTimeoutSec 300
        Start-Sleep -Seconds $WarmUpSeconds
        $o0 = Get-ActiveOpens $d
        $c0 = Get-ProcessCpuSecond $ka.Pid, $ka.CheckerPid
        $f0 = Get-MinorFaults $ka.Pid, $ka.CheckerPid
        Start-Sleep -Seconds $CpuSeconds
        $c1 = Get-ProcessCpuSecond $ka.Pid, $ka.CheckerPid
        $kaFaults = (Get-MinorFaults $ka.Pid, $ka.CheckerPid) - $f0
        $kaOpened = (Get-ActiveOpens $d) - $o0
        $kaTable = @(& ip netns exec $d cat /proc/net/ip_vs | Where-Object { $_ -match '^\s+->\s+\S+\s+\S+\s+1\s' }).Count
        $null = Stop-Keepalived $ka -TimeoutSec 120
        $kaCpu = $c1 - $c0
        Write-Host "  keepalived: $(Format-Seconds $kaCpu) CPU seconds in $CpuSeconds s"
        $notes.Add("keepalived: $kaTable real servers at weight 1 at the end of the CPU window (of $($Services * 4)); $(Format-Checks $kaOpened $kaCpu) in it (the schedule asks for $(($Services * 4 / $CheckInterval).ToString('0', $inv)) a second), $kaFaults minor page faults")
        Clear-DirectorTable $d
        $ctlCpu = $null; $ctlWrites = $null
        if ($haveController) {
            $doc = Join-Path $work 'cpu.json'
            New-ControllerDocument $doc $many $CheckInterval 3 2
            $ctl = Start-LvsControllerProcess -ModulePath $ModulePath -Path $doc -Directory $work -NetNamespace $d -Interval 1 -Name cpu -StartTimeoutSec 600 -Environment $ControllerEnvironment
            try {
                # The first cycle creates the table: wait for it (a creation not seen is an error, never a window that
                # starts before it and counts it), then the warm-up.
                $created = Wait-LvsControllerEvent -Process $ctl -Kind Applied -TimeoutSec 900
                if (-not $created) { throw "Start-LvsController did not create the table within 900 s: $(Get-Content -Raw $ctl.OutputPath)" }
                $notes.Add("Start-LvsController: the first cycle created the table in $($created.Writes) writes, $(Format-Seconds ($created.Time - $ctl.StartTime)) s after the process started")
                Start-Sleep -Seconds $WarmUpSeconds
                $o0 = Get-ActiveOpens $d
                $t0 = Get-UnixTime
                $c0 = Get-ProcessCpuSecond $ctl.Pid
                $f0 = Get-MinorFaults $ctl.Pid
                $threads0 = Get-ThreadCpuSecond $ctl.Pid
                Start-Sleep -Seconds $CpuSeconds
                $c1 = Get-ProcessCpuSecond $ctl.Pid
                $ctlFaults = (Get-MinorFaults $ctl.Pid) - $f0
                $threads1 = Get-ThreadCpuSecond $ctl.Pid
                $t1 = Get-UnixTime
                $ctlCpu = $c1 - $c0
                $ctlOpened = (Get-ActiveOpens $d) - $o0
                $applied = @(Get-LvsControllerEvent $ctl -Since $t0 -Kind Applied | Where-Object Time -LE $t1)
                $ctlWrites = 0
                foreach ($a in $applied) {
                    $ctlWrites += [int]$a.Writes
                    $notes.Add("Applied in the window, $(Format-Seconds ($a.Time - $t0)) s in: $($a.Detail.Substring(0, [math]::Min(200, $a.Detail.Length)))")
                }
                $downs = @(Get-LvsControllerEvent $ctl -Kind ServerDown).Count
                $ctlTable = @(& ip netns exec $d cat /proc/net/ip_vs | Where-Object { $_ -match '^\s+->\s+\S+\s+\S+\s+1\s' }).Count
                Write-Host "  Start-LvsController: $(Format-Seconds $ctlCpu) CPU seconds in $CpuSeconds s, $ctlWrites writes"
                $notes.Add("Start-LvsController: $ctlTable real servers at weight 1 at the end of the CPU window; $downs ServerDown events in the whole run; $(Format-Checks $ctlOpened $ctlCpu) in the window, $ctlFaults minor page faults")
                $notes.Add("Start-LvsController's CPU in the window by thread (the threads alive at its end): $(Format-ThreadCpu $threads0 $threads1)")
                if ($StraceSeconds -gt 0 -and (Get-Command strace -ErrorAction SilentlyContinue)) {
                    $trace = Join-Path $work 'cpu-strace.txt'
                    $o0 = Get-ActiveOpens $d
                    & timeout -s INT $StraceSeconds strace -f -qq -p $ctl.Pid -o $trace 2>$null
                    $traced = (Get-ActiveOpens $d) - $o0
                    # One line a call, "TID name(args) = result" (a call split by another thread's: "TID name(args <unfinished ...>").
                    $names = @{}
                    foreach ($task in Get-ChildItem "/proc/$($ctl.Pid)/task" -ErrorAction SilentlyContinue) {
                        $names[$task.Name] = (Get-Content -LiteralPath "$($task.FullName)/comm" -ErrorAction SilentlyContinue)
                    }
                    $lines = @(Get-Content -LiteralPath $trace -ErrorAction SilentlyContinue | ForEach-Object {
                            if ($_ -match '^(\d+)\s+(\w+)\(') {
                                [pscustomobject]@{ Thread = if ($names[$Matches[1]]) { $names[$Matches[1]] } else { 'ended' }; Name = $Matches[2] }
                            }
                        })
                    if ($traced -gt 0 -and $lines.Count) {
                        $perCheck = { param($n) ($n / $traced).ToString('0.00', $inv) }
                        $notes.Add("Start-LvsController under strace -f for $StraceSeconds s after the window: $traced checks, $(($lines.Count / $traced).ToString('0.0', $inv)) system calls a check: " +
                            (($lines | Group-Object Name | Sort-Object Count -Descending | Select-Object -First 12 | ForEach-Object { "$($_.Name) $(& $perCheck $_.Count)" }) -join ', '))
                        $notes.Add('the same by thread: ' + (($lines | Group-Object Thread | Sort-Object Count -Descending | ForEach-Object {
                                        "'$($_.Name)' $(& $perCheck $_.Count) (" + (($_.Group | Group-Object Name | Sort-Object Count -Descending | Select-Object -First 6 |
                                                    ForEach-Object { "$($_.Name) $(& $perCheck $_.Count)" }) -join ', ') + ')'
                                    }) -join '; '))
                    }
                }
            } finally { $null = Stop-LvsControllerProcess $ctl -TimeoutSec 120 }
            Clear-DirectorTable $d
        }
        $rows.Add([pscustomobject]@{ Row = 'cpu'; Measurement = "CPU seconds, $Services x 4, TCP every $CheckInterval s, $CpuSeconds s, all healthy"
                LvsTools = $ctlCpu; Reference = $kaCpu; Unit = 's'; Ratio = if ($null -ne $ctlCpu -and $kaCpu -gt 0) { $ctlCpu / $kaCpu } else { $null }
                Target = '<= 1.5'; Met = if ($null -ne $ctlCpu -and $kaCpu -gt 0) { ($ctlCpu / $kaCpu) -le 1.5 } else { $null } })
        if ($haveController) {
            $rows.Add([pscustomobject]@{ Row = 'cpuWrites'; Measurement = 'writes sent by the controller in that window'
                    LvsTools = $ctlWrites; Reference = $null; Unit = 'writes'; Ratio = $null; Target = '0'; Met = ($ctlWrites -eq 0) })
        }
    }
} finally {
    # the wire, the sampled tables and the controller's event logs go beside the results, for a second look
    Get-ChildItem -LiteralPath $work -Include '*.tsv', '*.jsonl' -Recurse -ErrorAction SilentlyContinue |
        Copy-Item -Destination { Join-Path $OutputDirectory "controller-$stamp-$($_.Name)" } -ErrorAction SilentlyContinue
    Remove-LvsLab -InputObject $lab -Confirm:$false
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}

if (-not $haveController) { $notes.Add('Start-LvsController is not in this module: only keepalived was measured.') }
$md = [Collections.Generic.List[string]]::new()
$md.Add('| row | measurement | Start-LvsController | keepalived | ratio | target | met |')
$md.Add('| --- | --- | ---: | ---: | ---: | ---: | :-: |')
foreach ($r in $rows) {
    $f = { param($x) if ($null -eq $x) { '-' } elseif ($x -is [double]) { $x.ToString('0.00', $inv) + " $($r.Unit)" } else { "$x" } }
    $ratio = if ($null -eq $r.Ratio) { '-' } else { $r.Ratio.ToString('0.00', $inv) }
    $met = if ($null -eq $r.Met) { '' } elseif ($r.Met) { 'yes' } else { 'NO' }
    $md.Add("| $($r.Row) | $($r.Measurement) | $(& $f $r.LvsTools) | $(& $f $r.Reference) | $ratio | $($r.Target) | $met |")
}
$md.Add('')
$notes | ForEach-Object { $md.Add("- $_") }
$md | ForEach-Object { Write-Host $_ }
[IO.File]::WriteAllLines((Join-Path $OutputDirectory "controller-$stamp.md"), $md)
[pscustomobject]@{ Rows = $rows; Notes = $notes; Kernel = (uname -r) } | ConvertTo-Json -Depth 5 |
    Set-Content (Join-Path $OutputDirectory "controller-$stamp.json")
