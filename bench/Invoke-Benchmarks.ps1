#Requires -Version 7.4
<#
.SYNOPSIS
    LvsTools against ipvsadm and iproute2, in one kernel, as ratios of wall time (median of several runs).
.DESCRIPTION
    Run by `./build.sh Bench` inside the User-mode Linux kernel (the only IPVS kernel here). Every measurement
    runs in a network namespace of its own. Results go to bench/results/<timestamp>.md and .json, and are printed.
      import   Import-LvsConfiguration of 10,000 services x 4 real servers  vs  ipvsadm -R of the same rules
      read     Get-LvsService | Get-LvsRealServer (all objects kept)        vs  ipvsadm -Ln
      sync     Sync-LvsConfiguration of the unchanged document (0 writes)  vs  one full read (as above)
      vips     1,000 Add-LvsVirtualIp in a pipeline                          vs  ip -batch with 1,000 `addr add`
    Also: module import time, peak working set of this process after the 10k runs.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Services = 10000,
    [int] $RealServersPerService = 4,
    [int] $VirtualIps = 1000,
    [int] $Runs = 3,
    [string] $OutputDirectory = (Join-Path $PSScriptRoot 'results')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$importWatch = [Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath -Force
$importWatch.Stop()
$moduleImportMs = $importWatch.Elapsed.TotalMilliseconds

$work = Join-Path $PSScriptRoot "results/work-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null
New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null

function New-BenchNamespace {
    $name = 'lvsb-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    ip netns add $name
    ip -n $name link set lo up
    ip -n $name link add eth0 type dummy 2>$null
    if ($LASTEXITCODE) { ip -n $name link add eth0 type veth peer name eth1 }
    ip -n $name link set eth0 up
    $name
}

function Measure-Seconds([scriptblock] $Block) {
    $w = [Diagnostics.Stopwatch]::StartNew()
    & $Block | Out-Null
    $w.Stop()
    $w.Elapsed.TotalSeconds
}

function Get-Median([double[]] $Values) {
    $s = @($Values | Sort-Object)
    if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}

# --- the rules: 10,000 TCP services x 4 masquerading real servers -----------------------------------
Write-Host "Generating $Services services x $RealServersPerService real servers"
$rulesFile = Join-Path $work 'rules.txt'
$sb = [System.Text.StringBuilder]::new()
for ($i = 0; $i -lt $Services; $i++) {
    $vip = '10.{0}.{1}.{2}' -f (100 + [math]::Floor($i / 65536)), ([math]::Floor($i / 256) % 256), ($i % 256)
    [void]$sb.Append("-A -t ${vip}:80 -s wrr`n")
    for ($r = 1; $r -le $RealServersPerService; $r++) {
        [void]$sb.Append("-a -t ${vip}:80 -r 192.168.$r.$(($i % 250) + 1):8080 -m -w $r`n")
    }
}
[IO.File]::WriteAllText($rulesFile, $sb.ToString())
$docFile = Join-Path $work 'config.json'
$doc = Get-Content $rulesFile | ConvertFrom-IpvsadmRule
[IO.File]::WriteAllText($docFile, $doc.ToJson())
$lines = (Get-Content $rulesFile).Count
Write-Host "  $lines rule lines; document $([math]::Round((Get-Item $docFile).Length / 1MB, 1)) MB"

$results = [ordered]@{}
$ns = New-BenchNamespace
try {
    # --- import vs ipvsadm -R ----------------------------------------------------------------------
    $ipvsadmR = @(); $import = @()
    for ($run = 1; $run -le $Runs; $run++) {
        ip netns exec $ns ipvsadm -C
        $ipvsadmR += Measure-Seconds { bash -c "ip netns exec $ns ipvsadm -R < '$rulesFile'" }
        $n = (ip netns exec $ns ipvsadm -S -n | Measure-Object -Line).Lines
        if ($n -ne $lines) { throw "ipvsadm -R loaded $n of $lines rules" }
        ip netns exec $ns ipvsadm -C
        $import += Measure-Seconds { $script:lastImport = Import-LvsConfiguration -NetNamespace $ns -Path $docFile }
        if ($lastImport.Failed -or $lastImport.Applied -ne $lines) { throw "Import applied $($lastImport.Applied) of $lines ($($lastImport.Failed) failed)" }
        $n = (ip netns exec $ns ipvsadm -S -n | Measure-Object -Line).Lines
        if ($n -ne $lines) { throw "Import-LvsConfiguration loaded $n of $lines rules" }
        Write-Host ("  run {0}: ipvsadm -R {1:N2} s, Import-LvsConfiguration {2:N2} s" -f $run, $ipvsadmR[-1], $import[-1])
    }
    $results.import = [ordered]@{ ours = Get-Median $import; theirs = Get-Median $ipvsadmR; target = 0.25; ourRuns = $import; theirRuns = $ipvsadmR }

    # --- read: objects vs ipvsadm -Ln ---------------------------------------------------------------
    $ln = @(); $read = @()
    for ($run = 1; $run -le $Runs; $run++) {
        $ln += Measure-Seconds { bash -c "ip netns exec $ns ipvsadm -Ln > /dev/null" }
        $read += Measure-Seconds { $script:objects = @(Get-LvsService -NetNamespace $ns | Get-LvsRealServer) }
        if ($objects.Count -ne $Services * $RealServersPerService) { throw "read $($objects.Count) real servers" }
        $script:objects = $null
        Write-Host ("  run {0}: ipvsadm -Ln {1:N2} s, Get-LvsService | Get-LvsRealServer {2:N2} s" -f $run, $ln[-1], $read[-1])
    }
    $results.read = [ordered]@{ ours = Get-Median $read; theirs = Get-Median $ln; target = 1.0; ourRuns = $read; theirRuns = $ln }

    # --- sync of the unchanged document vs one full read ----------------------------------------------
    $sync = @()
    for ($run = 1; $run -le $Runs; $run++) {
        $sync += Measure-Seconds { $script:lastSync = Sync-LvsConfiguration -NetNamespace $ns -Path $docFile }
        if ($lastSync.Steps.Count -ne 0) { throw "Sync planned $($lastSync.Steps.Count) changes on an unchanged table" }
        Write-Host ("  run {0}: Sync-LvsConfiguration (unchanged) {1:N2} s, {2} changes" -f $run, $sync[-1], $lastSync.Steps.Count)
    }
    $results.sync = [ordered]@{ ours = Get-Median $sync; theirs = $results.read.ours; target = 1.5; ourRuns = $sync; theirRuns = $read; writes = 0 }
    $peakMb = [math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB)
    ip netns exec $ns ipvsadm -C
}
finally {
    ip netns del $ns
}

# --- 1,000 VIP aliases: pipeline vs ip -batch ------------------------------------------------------------
$batchFile = Join-Path $work 'addr.batch'
$vipList = 0..($VirtualIps - 1) | ForEach-Object { '10.{0}.{1}.{2}' -f 250, [math]::Floor($_ / 250), ($_ % 250 + 1) }
[IO.File]::WriteAllLines($batchFile, ($vipList | ForEach-Object { "addr add $_/32 dev eth0" }))
$ipBatch = @(); $vipRuns = @()
for ($run = 1; $run -le $Runs; $run++) {
    $a = New-BenchNamespace
    $b = New-BenchNamespace
    try {
        $ipBatch += Measure-Seconds { ip -n $a -batch $batchFile }
        $vipRuns += Measure-Seconds { $vipList | ForEach-Object { [pscustomobject]@{ IPAddress = $_ } } | Add-LvsVirtualIp -NetNamespace $b -InterfaceName eth0 -PrefixLength 32 }
        $na = (ip -n $a -4 -o addr show dev eth0 | Measure-Object -Line).Lines
        $nb = (ip -n $b -4 -o addr show dev eth0 | Measure-Object -Line).Lines
        if ($na -ne $VirtualIps -or $nb -ne $VirtualIps) { throw "ip -batch made $na, Add-LvsVirtualIp $nb addresses" }
        Write-Host ("  run {0}: ip -batch {1:N2} s, Add-LvsVirtualIp pipeline {2:N2} s" -f $run, $ipBatch[-1], $vipRuns[-1])
    }
    finally {
        ip netns del $a
        ip netns del $b
    }
}
$results.vips = [ordered]@{ ours = Get-Median $vipRuns; theirs = Get-Median $ipBatch; target = 1.0; ourRuns = $vipRuns; theirRuns = $ipBatch }

# --- report -------------------------------------------------------------------------------------------------
$stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss')
$names = [ordered]@{
    import = "Import-LvsConfiguration vs ipvsadm -R ($Services x $RealServersPerService)"
    read   = 'Get-LvsService | Get-LvsRealServer vs ipvsadm -Ln'
    sync   = 'Sync-LvsConfiguration (unchanged, 0 writes) vs one full read'
    vips   = "$VirtualIps x Add-LvsVirtualIp (pipeline) vs ip -batch"
}
$md = [System.Text.StringBuilder]::new()
[void]$md.AppendLine("# LvsTools benchmarks, $stamp UTC")
[void]$md.AppendLine('')
[void]$md.AppendLine("Kernel $(uname -r) (User-mode Linux), one CPU; median of $Runs runs; absolute times are UML's, compare ratios.")
[void]$md.AppendLine('')
[void]$md.AppendLine('| measurement | LvsTools (s) | reference (s) | ratio | target | met |')
[void]$md.AppendLine('| --- | ---: | ---: | ---: | ---: | :-: |')
foreach ($k in $names.Keys) {
    $r = $results[$k]
    $r.ratio = [math]::Round($r.ours / $r.theirs, 3)
    $r.met = $r.ratio -le $r.target
    [void]$md.AppendLine(('| {0} | {1:N2} | {2:N2} | {3:N3} | <= {4} | {5} |' -f $names[$k], $r.ours, $r.theirs, $r.ratio, $r.target, $(if ($r.met) { 'yes' } else { 'NO' })))
}
[void]$md.AppendLine('')
[void]$md.AppendLine(("Module import: {0:N0} ms. Peak working set of the benchmark process after the 10k runs: {1} MB." -f $moduleImportMs, $peakMb))
$results.moduleImportMs = [math]::Round($moduleImportMs)
$results.peakWorkingSetMb = $peakMb
$results.kernel = (uname -r)
$md.ToString() | Set-Content (Join-Path $OutputDirectory "$stamp.md")
$results | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $OutputDirectory "$stamp.json")
Remove-Item $work -Recurse -Force
Write-Host ''
Write-Host $md.ToString()
Write-Host "Written: bench/results/$stamp.md"
