#Requires -Version 7.4
<#
.SYNOPSIS
    The warm read row (Get-LvsService | Get-LvsRealServer) of one or more builds of the module against the raw reader,
    in one kernel, alternating: the way to compare a change with main's module in the same UML boot.
.DESCRIPTION
    Loads the benchmark table (N TCP services x M masquerading real servers) with the raw batched writer into a namespace
    of its own, then runs -Rounds rounds; each round runs the raw reader (bench/RawIpvs read, one socket) and, for each
    -ModulePath in turn, a fresh pwsh that imports that module, reads once to warm up and then times, -Repeat times each:
      core     IpvsClient.GetServices + GetAllRealServers (Core's read, no PowerShell objects)
      cmdlets  @(Get-LvsService -NetNamespace NS | Get-LvsRealServer), all objects kept (the benchmark's read row)
    with the bytes allocated, the gen0/1/2 collections and their pauses, and the process's CPU time. Modules are separated
    by ';' (pwsh -File passes a list as one string); a module given twice ("A;B;B;A") balances the order. A module may end
    in @NAME=VALUE[,NAME=VALUE]: its child then runs with those environment variables (e.g. @DOTNET_GCgen0size=0x4000000,
    to see what collections cost). Prints per module the medians and their ratio to the raw reader's median of the same
    boot. Run inside the UML kernel, e.g.
      bash tests/Uml/uml-run.sh --timeout 1800 --mem 3G --cwd $PWD -- $PSHOME/pwsh -NoProfile -File bench/Measure-Read.ps1 `
          -ModulePath "$PWD/bench/results/main/LvsTools/LvsTools.psd1;$PWD/out/LvsTools/LvsTools.psd1"
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string[]] $ModulePath,
    [int] $Services = 10000,
    [int] $RealServersPerService = 4,
    [int] $Rounds = 3,
    [int] $Repeat = 2,
    # Internal: the child process's part (one module, one namespace); prints one JSON line.
    [string] $Child
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Measure-Read([string] $Name, [scriptblock] $Block) {
    $alloc = [GC]::GetTotalAllocatedBytes($true)
    $pause = [GC]::GetTotalPauseDuration()
    $cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    $gcs = 0..2 | ForEach-Object { [GC]::CollectionCount($_) }
    $w = [Diagnostics.Stopwatch]::StartNew()
    $count = & $Block
    $w.Stop()
    [pscustomobject]@{
        what = $Name; seconds = $w.Elapsed.TotalSeconds; count = $count
        allocMB = ([GC]::GetTotalAllocatedBytes($true) - $alloc) / 1MB
        gcPause = ([GC]::GetTotalPauseDuration() - $pause).TotalSeconds
        cpu = ([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - $cpu).TotalSeconds
        gc = (0..2 | ForEach-Object { [GC]::CollectionCount($_) - $gcs[$_] }) -join '/'
    }
}

if ($Child) {
    Import-Module (Resolve-Path $ModulePath[0]).Path
    $ns = $Child
    $null = @(Get-LvsService -NetNamespace $ns | Get-LvsRealServer) # warm-up: JIT, clients, the table's pages
    $ipvs = [LvsTools.Core.Ipvs.IpvsClient]::Open([LvsTools.Core.NetNamespace]::Resolve($ns))
    $null = $ipvs.GetAllRealServers()
    $runs = for ($i = 0; $i -lt $Repeat; $i++) {
        [GC]::Collect()
        Measure-Read core { $s = $ipvs.GetServices(); $r = $ipvs.GetAllRealServers($s); $r.Count }
        [GC]::Collect()
        Measure-Read cmdlets { $o = @(Get-LvsService -NetNamespace $ns | Get-LvsRealServer); $o.Count }
    }
    $ipvs.Dispose()
    $runs | ConvertTo-Json -Compress -AsArray
    return
}

. (Join-Path $PSScriptRoot 'BenchTable.ps1')
$raw = Get-RawIpvs
$pwsh = Join-Path $PSHOME 'pwsh'
# pwsh -File passes a list as one string: "a;b" is two modules.
$modules = @($ModulePath | ForEach-Object { $_ -split ';' } | Where-Object { $_ } | ForEach-Object { $p, $e = $_ -split '@', 2; (Resolve-Path $p).Path + $(if ($e) { "@$e" }) })
$work = Join-Path $PSScriptRoot "results/read-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null
$realServers = $Services * $RealServersPerService
$ns = New-BenchNamespace
try {
    $table = New-BenchTable -Directory $work -Services $Services -RealServersPerService $RealServersPerService -RulesOnly
    $w = ip netns exec $ns $raw write $table.RulesFile 256 | Select-Object -Last 1 | ConvertFrom-Json
    if ($LASTEXITCODE -or $w.failed -or $w.requests -ne $table.Lines) { throw "RawIpvs write: $($w.requests) requests, $($w.failed) failed" }
    Write-Host ("Table: {0} services x {1} real servers, written in {2:N2} s" -f $Services, $RealServersPerService, $w.seconds)
    $rawRuns = @(); $rows = @()
    for ($round = 1; $round -le $Rounds; $round++) {
        $r = ip netns exec $ns $raw read 1 | Select-Object -Last 1 | ConvertFrom-Json
        if ($LASTEXITCODE -or $r.realServers -ne $realServers) { throw "RawIpvs read parsed $($r.realServers) real servers" }
        $rawRuns += $r.seconds
        Write-Host ("round {0}: raw reader {1:N2} s" -f $round, $r.seconds)
        foreach ($m in $modules) {
            $path, $vars = $m -split '@', 2
            $set = @(if ($vars) { $vars -split ',' | ForEach-Object { , ($_ -split '=', 2) } })
            foreach ($v in $set) { [Environment]::SetEnvironmentVariable($v[0], $v[1]) }
            try { $out = & $pwsh -NoLogo -NoProfile -NonInteractive -File $PSCommandPath -ModulePath $path -Child $ns -Repeat $Repeat }
            finally { foreach ($v in $set) { [Environment]::SetEnvironmentVariable($v[0], $null) } }
            if ($LASTEXITCODE) { throw "child for $m exited with $LASTEXITCODE" }
            foreach ($x in ($out | Select-Object -Last 1 | ConvertFrom-Json)) {
                if ($x.count -ne $realServers) { throw "$m $($x.what) read $($x.count) real servers" }
                $rows += [pscustomobject]@{ module = $m; round = $round; what = $x.what; seconds = $x.seconds; allocMB = $x.allocMB; gc = $x.gc; gcPause = $x.gcPause; cpu = $x.cpu }
                Write-Host ("  {0}: {1} {2:N2} s (CPU {6:N2} s), {3:N1} MB allocated, GC {4} (paused {5:N2} s)" -f $m, $x.what, $x.seconds, $x.allocMB, $x.gc, $x.gcPause, $x.cpu)
            }
        }
    }
}
finally {
    ip netns del $ns
    Remove-Item $work -Recurse -Force
}

function Get-Median([double[]] $Values) {
    $s = @($Values | Sort-Object)
    if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}
$rawMedian = Get-Median $rawRuns
Write-Host ''
Write-Host ("Raw reader (1 socket): {0} -> median {1:N2} s; {2} UTC, kernel {3}" -f (($rawRuns | ForEach-Object { '{0:N2}' -f $_ }) -join ', '),
    $rawMedian, (Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm'), (uname -r))
'| module | read | runs (s) | median (s) | / raw reader | CPU (median, s) | MB allocated | GC 0/1/2 (last run) | GC pauses (median, s) |' | Write-Host
'| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |' | Write-Host
foreach ($g in ($rows | Group-Object module, what)) {
    $med = Get-Median @($g.Group.seconds)
    '| {0} | {1} | {2} | {3:N2} | {4:N2} | {5:N2} | {6:N1} | {7} | {8:N2} |' -f $g.Group[0].module, $g.Group[0].what,
        (($g.Group.seconds | ForEach-Object { '{0:N2}' -f $_ }) -join ', '), $med, ($med / $rawMedian), (Get-Median @($g.Group.cpu)),
        (Get-Median @($g.Group.allocMB)), $g.Group[-1].gc, (Get-Median @($g.Group.gcPause)) | Write-Host
}
