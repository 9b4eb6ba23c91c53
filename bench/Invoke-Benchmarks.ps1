#Requires -Version 7.4
<#
.SYNOPSIS
    LvsTools against ipvsadm, iproute2 and a raw netlink client, in one kernel, as ratios of wall time (median of runs).
.DESCRIPTION
    Run by `./build.sh Bench` inside the User-mode Linux kernel (the only IPVS kernel here). Every measurement
    runs in a network namespace of its own. Results go to bench/results/<timestamp>.md and .json, and are printed.
      import     Import-LvsConfiguration of 10,000 services x 4 real servers  vs  ipvsadm -R of the same rules
      importRaw  the same Import                                              vs  the raw batched writer (RawIpvs write)
      read       Get-LvsService | Get-LvsRealServer (all objects kept)        vs  ipvsadm -Ln
      readRaw    the same read, warm, in this process                         vs  the raw reader (RawIpvs read)
      readCold   the same read in a fresh pwsh (start + Import-Module + read)  vs  a fresh process of the raw reader;
                 printed beside it: a bare fresh pwsh (-Command exit) and a fresh pwsh that only imports the module
      sync       Sync-LvsConfiguration of the unchanged document (0 writes)  vs  one full read (the read row's time)
      memory     peak resident set (VmHWM) of a fresh pwsh that ran import + read + sync of the table, vs 150 MB
      vips       1,000 Add-LvsVirtualIp in a pipeline                          vs  ip -batch with 1,000 `addr add`
    The raw client (bench/RawIpvs) is the yardstick of what the kernel allows: 256 requests per send() with an ACK on
    the last; one service dump then one destination dump per service over 1, 2 or 4 sockets (the best is kept).
    Its warm times are the ones it reports itself (socket open to last reply); cold rows are wall times of processes.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Services = 10000,
    [int] $RealServersPerService = 4,
    [int] $VirtualIps = 1000,
    [int] $Runs = 3,
    # ipvsadm -R takes minutes per run in UML and is far from its target: once is enough (0: the row is not run).
    [ValidateRange(0, 100)] [int] $RestoreRuns = 1,
    # Socket counts the raw reader tries; the fastest is its yardstick.
    [int[]] $ReaderSockets = @(1, 2, 4),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot 'results')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$ModulePath = (Resolve-Path $ModulePath).Path
$importWatch = [Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath -Force
$importWatch.Stop()
$moduleImportMs = $importWatch.Elapsed.TotalMilliseconds
. (Join-Path $PSScriptRoot 'BenchTable.ps1')
$raw = Get-RawIpvs
$pwsh = Join-Path $PSHOME 'pwsh'
$hostLoad = if ($env:LVSTOOLS_BENCH_HOST_LOAD) { $env:LVSTOOLS_BENCH_HOST_LOAD } else { 'not given' }
Write-Host "Host load average before the boot: $hostLoad"

$work = Join-Path $PSScriptRoot "results/work-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null
New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null

# Each timed block starts after a full collection of this process, as a benchmark harness does before each iteration:
# the objects an earlier row dropped (a read keeps 50,000) are collected here, not inside the next row's time.
function Measure-Seconds([scriptblock] $Block) {
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    $w = [Diagnostics.Stopwatch]::StartNew()
    & $Block | Out-Null
    $w.Stop()
    $w.Elapsed.TotalSeconds
}

function Get-Median([double[]] $Values) {
    $s = @($Values | Sort-Object)
    if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}

function Get-RuleCount([string] $Namespace) { (ip netns exec $Namespace ipvsadm -S -n | Measure-Object -Line).Lines }

# Runs the raw client in the namespace; returns its JSON line as an object, with the process's wall time added.
function Invoke-Raw([string] $Namespace, [string[]] $Arguments) {
    $w = [Diagnostics.Stopwatch]::StartNew()
    $out = ip netns exec $Namespace $raw @Arguments
    $w.Stop()
    if ($LASTEXITCODE) { throw "RawIpvs $($Arguments -join ' ') exited with $LASTEXITCODE" }
    $r = $out | Select-Object -Last 1 | ConvertFrom-Json
    $r | Add-Member -NotePropertyName wall -NotePropertyValue $w.Elapsed.TotalSeconds -PassThru
}

# --- the rules: 10,000 TCP services x 4 masquerading real servers -----------------------------------
Write-Host "Generating $Services services x $RealServersPerService real servers"
$table = New-BenchTable -Directory $work -Services $Services -RealServersPerService $RealServersPerService
$rulesFile = $table.RulesFile; $docFile = $table.DocumentFile; $lines = $table.Lines
$realServers = $Services * $RealServersPerService
Write-Host "  $lines rule lines; document $([math]::Round((Get-Item $docFile).Length / 1MB, 1)) MB"

$results = [ordered]@{}
# Every writer starts from a namespace of its own that never held a table. A flushed table is not an empty one: the
# kernel keeps deleted real servers in a per-namespace trash list for about two minutes, and every NEW_DEST scans that
# list first (ip_vs_trash_get_dest), so a writer that follows `ipvsadm -C` of 40,000 real servers pays a linear scan per
# request that the writer before it did not. The namespaces are deleted at the end, not in between (their teardown
# would run in the background of the next measurement).
$spent = [System.Collections.Generic.List[string]]::new()
function New-WriterNamespace { $n = New-BenchNamespace; $spent.Add($n); $n }
$ns = $null
try {
    # --- import vs ipvsadm -R and vs the raw batched writer ---------------------------------------------
    $ipvsadmR = @(); $import = @(); $rawWrite = @(); $rawWriteWall = @()
    for ($run = 1; $run -le $Runs; $run++) {
        if ($run -le $RestoreRuns) {
            $nsR = New-WriterNamespace
            $ipvsadmR += Measure-Seconds { bash -c "ip netns exec $nsR ipvsadm -R < '$rulesFile'" }
            $n = Get-RuleCount $nsR
            if ($n -ne $lines) { throw "ipvsadm -R loaded $n of $lines rules" }
        }
        $nsW = New-WriterNamespace
        $w = Invoke-Raw $nsW @('write', $rulesFile, '256')
        if ($w.failed -or $w.requests -ne $lines) { throw "RawIpvs write: $($w.requests) requests, $($w.failed) failed" }
        if ($run -eq 1) { $n = Get-RuleCount $nsW; if ($n -ne $lines) { throw "RawIpvs write loaded $n of $lines rules" } }
        $rawWrite += $w.seconds; $rawWriteWall += $w.wall
        # The last import's namespace holds the table the read and sync rows measure.
        $ns = New-WriterNamespace
        $import += Measure-Seconds { $script:lastImport = Import-LvsConfiguration -NetNamespace $ns -Path $docFile }
        if ($lastImport.Failed -or $lastImport.Applied -ne $lines) { throw "Import applied $($lastImport.Applied) of $lines ($($lastImport.Failed) failed)" }
        $n = Get-RuleCount $ns
        if ($n -ne $lines) { throw "Import-LvsConfiguration loaded $n of $lines rules" }
        Write-Host ("  run {0}: {1}raw writer {2:N2} s ({3:N2} s with process start, {4} sends), Import-LvsConfiguration {5:N2} s" -f $run,
            $(if ($run -le $RestoreRuns) { 'ipvsadm -R {0:N2} s, ' -f $ipvsadmR[-1] } else { '' }), $w.seconds, $w.wall, $w.sends, $import[-1])
    }
    if ($RestoreRuns -gt 0) { $results.import = [ordered]@{ ours = Get-Median $import; theirs = Get-Median $ipvsadmR; target = 0.25; ourRuns = $import; theirRuns = $ipvsadmR } }
    $results.importRaw = [ordered]@{ ours = Get-Median $import; theirs = Get-Median $rawWrite; target = 1.5; ourRuns = $import; theirRuns = $rawWrite; theirWallRuns = $rawWriteWall }

    # --- read: objects vs ipvsadm -Ln, and vs the raw reader (warm) -------------------------------------
    $ln = @(); $read = @()
    for ($run = 1; $run -le $Runs; $run++) {
        $ln += Measure-Seconds { bash -c "ip netns exec $ns ipvsadm -Ln > /dev/null" }
        $read += Measure-Seconds { $script:objects = @(Get-LvsService -NetNamespace $ns | Get-LvsRealServer) }
        if ($objects.Count -ne $realServers) { throw "read $($objects.Count) real servers" }
        $script:objects = $null
        Write-Host ("  run {0}: ipvsadm -Ln {1:N2} s, Get-LvsService | Get-LvsRealServer {2:N2} s" -f $run, $ln[-1], $read[-1])
    }
    $results.read = [ordered]@{ ours = Get-Median $read; theirs = Get-Median $ln; target = 1.0; ourRuns = $read; theirRuns = $ln }

    $probe = [ordered]@{}
    foreach ($k in $ReaderSockets) {
        $r = Invoke-Raw $ns @('read', "$k")
        if ($r.services -ne $Services -or $r.realServers -ne $realServers) { throw "RawIpvs read $k parsed $($r.services) services, $($r.realServers) real servers" }
        $probe["$k"] = $r.seconds
        Write-Host ("  raw reader, {0} socket(s): {1:N2} s ({2:N2} s with process start)" -f $k, $r.seconds, $r.wall)
    }
    $sockets = [int]($probe.GetEnumerator() | Sort-Object Value | Select-Object -First 1).Key
    $rawRead = @($probe["$sockets"])
    for ($run = 2; $run -le $Runs; $run++) {
        $r = Invoke-Raw $ns @('read', "$sockets")
        if ($r.realServers -ne $realServers) { throw "RawIpvs read parsed $($r.realServers) real servers" }
        $rawRead += $r.seconds
    }
    Write-Host ("  raw reader with {0} socket(s): {1}" -f $sockets, (($rawRead | ForEach-Object { '{0:N2} s' -f $_ }) -join ', '))
    $results.readRaw = [ordered]@{ ours = Get-Median $read; theirs = Get-Median $rawRead; target = 1.5; ourRuns = $read; theirRuns = $rawRead; sockets = $sockets; socketProbe = $probe }

    # --- read in a fresh process: pwsh start + module import + read, vs a fresh raw reader ---------------
    # Beside the row, not in it: a bare fresh pwsh (its own start, a floor no module can go below) and a fresh pwsh that
    # only imports the module, started the same way in the same namespace.
    $cold = @(); $rawCold = @(); $bare = @(); $importOnly = @()
    $coldScript = "Import-Module '$ModulePath'; `$o = @(Get-LvsService | Get-LvsRealServer); `$o.Count"
    for ($run = 1; $run -le $Runs; $run++) {
        $r = Invoke-Raw $ns @('read', "$sockets")
        if ($r.realServers -ne $realServers) { throw "RawIpvs read parsed $($r.realServers) real servers" }
        $rawCold += $r.wall
        $out = $null
        $cold += Measure-Seconds { $script:out = ip netns exec $ns $pwsh -NoLogo -NoProfile -NonInteractive -Command $coldScript }
        if ($LASTEXITCODE -or "$out".Trim() -ne "$realServers") { throw "fresh pwsh read: exit $LASTEXITCODE, output '$out'" }
        $bare += Measure-Seconds { ip netns exec $ns $pwsh -NoLogo -NoProfile -NonInteractive -Command exit }
        if ($LASTEXITCODE) { throw "bare pwsh: exit $LASTEXITCODE" }
        $importOnly += Measure-Seconds { ip netns exec $ns $pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'" }
        if ($LASTEXITCODE) { throw "fresh pwsh + Import-Module: exit $LASTEXITCODE" }
        Write-Host ("  run {0}: fresh raw reader {1:N2} s, fresh pwsh + Import-Module + read {2:N2} s; bare pwsh {3:N2} s, pwsh + Import-Module {4:N2} s" -f
            $run, $rawCold[-1], $cold[-1], $bare[-1], $importOnly[-1])
    }
    $results.readCold = [ordered]@{ ours = Get-Median $cold; theirs = Get-Median $rawCold; target = 1.5; ourRuns = $cold; theirRuns = $rawCold; sockets = $sockets
        barePwsh = Get-Median $bare; barePwshRuns = $bare; pwshImport = Get-Median $importOnly; pwshImportRuns = $importOnly }

    # --- sync of the unchanged document vs one full read ----------------------------------------------
    $sync = @(); $writes = @()
    for ($run = 1; $run -le $Runs; $run++) {
        $sync += Measure-Seconds { $script:lastSync = Sync-LvsConfiguration -NetNamespace $ns -Path $docFile }
        if ($lastSync.Steps.Count -ne 0) { throw "Sync planned $($lastSync.Steps.Count) changes on an unchanged table" }
        $writes += $lastSync.WritesSent
        Write-Host ("  run {0}: Sync-LvsConfiguration (unchanged) {1:N2} s, {2} changes, {3} writes, {4} requests" -f $run, $sync[-1],
            $lastSync.Steps.Count, $lastSync.WritesSent, $lastSync.RequestsSent)
    }
    $results.sync = [ordered]@{ ours = Get-Median $sync; theirs = $results.read.ours; target = 1.1; ourRuns = $sync; theirRuns = $read
        writes = ($writes | Measure-Object -Maximum).Maximum; requests = $lastSync.RequestsSent }

    # --- peak memory: a fresh pwsh runs import + read (objects kept) + sync, then reads its own VmHWM ----------
    $ns = New-WriterNamespace
    $memScript = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$i = Import-LvsConfiguration -NetNamespace $ns -Path '$docFile'
`$o = @(Get-LvsService -NetNamespace $ns | Get-LvsRealServer)
`$s = Sync-LvsConfiguration -NetNamespace $ns -Path '$docFile'
`$status = Get-Content /proc/self/status
`$kb = { param(`$n) [long](((`$status -match "^`${n}:") -split '\s+')[1]) }
[ordered]@{ applied = `$i.Applied; objects = `$o.Count; syncSteps = `$s.Steps.Count; syncWrites = `$s.WritesSent
  vmHwmKb = & `$kb VmHWM; vmRssKb = & `$kb VmRSS; managedHeapMb = [math]::Round([GC]::GetTotalMemory(`$false) / 1MB) } | ConvertTo-Json -Compress
"@
    $memOut = & $pwsh -NoLogo -NoProfile -NonInteractive -Command $memScript
    if ($LASTEXITCODE) { throw "memory run exited with $LASTEXITCODE" }
    $mem = $memOut | Select-Object -Last 1 | ConvertFrom-Json
    if ($mem.applied -ne $lines -or $mem.objects -ne $realServers -or $mem.syncSteps -ne 0) { throw "memory run: $memOut" }
    $peakMb = [math]::Round($mem.vmHwmKb / 1024)
    Write-Host ("  fresh pwsh, import + read + sync: VmHWM {0} MB, VmRSS at the end {1} MB, managed heap {2} MB" -f $peakMb,
        [math]::Round($mem.vmRssKb / 1024), $mem.managedHeapMb)
    $results.memory = [ordered]@{ ours = $peakMb; theirs = $null; target = 150; vmRssMb = [math]::Round($mem.vmRssKb / 1024); managedHeapMb = $mem.managedHeapMb }
}
finally {
    foreach ($n in $spent) { ip netns del $n }
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
    import    = "Import-LvsConfiguration vs ipvsadm -R ($Services x $RealServersPerService)"
    importRaw = "Import-LvsConfiguration vs raw batched writer ($Services x $RealServersPerService)"
    read      = 'Get-LvsService \| Get-LvsRealServer vs ipvsadm -Ln'
    readRaw   = "Get-LvsService \| Get-LvsRealServer (warm) vs raw reader ($($results.readRaw.sockets) socket(s))"
    readCold  = 'Fresh pwsh + Import-Module + read vs fresh raw reader process'
    sync      = "Sync-LvsConfiguration (unchanged, $($results.sync.writes) writes) vs one full read"
    memory    = 'Peak working set (VmHWM, MB) of a fresh pwsh after import + read + sync'
    vips      = "$VirtualIps x Add-LvsVirtualIp (pipeline) vs ip -batch"
}
$md = [System.Text.StringBuilder]::new()
[void]$md.AppendLine("# LvsTools benchmarks, $stamp UTC")
[void]$md.AppendLine('')
[void]$md.AppendLine("Kernel $(uname -r) (User-mode Linux), one CPU; median of $Runs runs ($RestoreRuns of ipvsadm -R); host load average before the boot: $hostLoad. Absolute times are UML's, compare ratios.")
[void]$md.AppendLine('')
[void]$md.AppendLine('| measurement | LvsTools | reference | ratio | target | met |')
[void]$md.AppendLine('| --- | ---: | ---: | ---: | ---: | :-: |')
foreach ($k in $names.Keys) {
    $r = $results[$k]
    if ($null -eq $r) {
        [void]$md.AppendLine("| $($names[$k]) | not run | | | | |")
        continue
    }
    if ($k -eq 'memory') {
        $r.met = $r.ours -le $r.target
        [void]$md.AppendLine(('| {0} | {1} MB | - | - | <= {2} MB | {3} |' -f $names[$k], $r.ours, $r.target, $(if ($r.met) { 'yes' } else { 'NO' })))
        continue
    }
    $r.ratio = [math]::Round($r.ours / $r.theirs, 3)
    $r.met = $r.ratio -le $r.target -and ($k -ne 'sync' -or $r.writes -eq 0)
    [void]$md.AppendLine(('| {0} | {1:N2} s | {2:N2} s | {3:N3} | <= {4} | {5} |' -f $names[$k], $r.ours, $r.theirs, $r.ratio, $r.target, $(if ($r.met) { 'yes' } else { 'NO' })))
    if ($k -eq 'readCold') {
        # The floor of the cold row: what pwsh's own start and the module's import cost before any read (not a row, no target).
        [void]$md.AppendLine(('| &nbsp;&nbsp;of which: a bare fresh pwsh (start and exit); a fresh pwsh + Import-Module | {0:N2} s; {1:N2} s | {2:N2} s | {3:N3}; {4:N3} | - | - |' -f
            $r.barePwsh, $r.pwshImport, $r.theirs, ($r.barePwsh / $r.theirs), ($r.pwshImport / $r.theirs)))
    }
}
[void]$md.AppendLine('')
[void]$md.AppendLine(("Module import: {0:N0} ms. Raw reader per socket count: {1}. Raw writer with process start: {2:N2} s. Memory run: VmRSS at the end {3} MB, managed heap {4} MB." -f `
    $moduleImportMs, (($results.readRaw.socketProbe.GetEnumerator() | ForEach-Object { '{0}: {1:N2} s' -f $_.Key, $_.Value }) -join ', '),
    (Get-Median $results.importRaw.theirWallRuns), $results.memory.vmRssMb, $results.memory.managedHeapMb))
$results.moduleImportMs = [math]::Round($moduleImportMs)
$results.kernel = (uname -r)
$results.hostLoad = $hostLoad
$md.ToString() | Set-Content (Join-Path $OutputDirectory "$stamp.md")
$results | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $OutputDirectory "$stamp.json")
Remove-Item $work -Recurse -Force
Write-Host ''
Write-Host $md.ToString()
Write-Host "Written: bench/results/$stamp.md"
