#Requires -Version 7.4
<#
.SYNOPSIS
    Where the module's time and memory go, phase by phase, for import, read and no-op sync of the benchmark table.
.DESCRIPTION
    A diagnostic, not a benchmark row: it calls the Core API the cmdlets call (LvsConfigurationDocument.FromJson,
    LvsConfigurationSync.ReadForPlan / Plan / Apply, IpvsClient.GetServices / GetAllRealServers), one phase at a time,
    then the cmdlets end to end, and prints per phase: seconds, bytes allocated (GC.GetTotalAllocatedBytes), managed
    heap kept after a full collection (what the phase's result holds), gen0/1/2 collections, the process's VmRSS and
    VmHWM (/proc/self/status), and the netlink requests sent. It binds to Core types by name, so it follows the Core
    API: after a redesign that renames them, update the phase blocks (the cmdlet rows need no change).
    Run inside the UML kernel, e.g.
      bash tests/Uml/uml-run.sh --timeout 1800 --mem 4G --cwd $PWD -- $PSHOME/pwsh -NoProfile -File bench/Measure-Phases.ps1 -ModulePath $PWD/out/LvsTools/LvsTools.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Services = 10000,
    [int] $RealServersPerService = 4
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

. (Join-Path $PSScriptRoot 'ProcStatus.ps1')
$rows = [System.Collections.Generic.List[object]]::new()
$rssStart = (Get-StatusMb).VmRSS
$w = [Diagnostics.Stopwatch]::StartNew()
Import-Module (Resolve-Path $ModulePath).Path
$status = Get-StatusMb
$rows.Add([pscustomobject]@{ Phase = 'Import-Module'; Seconds = [math]::Round($w.Elapsed.TotalSeconds, 2); AllocMB = ''; KeptMB = ''; 'GC0/1/2' = ''
    RssMB = $status.VmRSS; HwmMB = $status.VmHWM; MinFlt = ''; PauseMs = ''; Requests = ''; Count = "pwsh alone: $rssStart MB" })
. (Join-Path $PSScriptRoot 'BenchTable.ps1')

$work = Join-Path $PSScriptRoot "results/phases-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null
$table = New-BenchTable -Directory $work -Services $Services -RealServersPerService $RealServersPerService
$docFile = $table.DocumentFile
$ns = New-BenchNamespace
$ipvs = $null
$first = $null
$resolved = $null # the services and real servers the document check built (what the cmdlets plan with)

# Runs one phase; its block stores what it produces in $script: variables (kept alive for the "kept" column).
function Measure-Phase([string] $Name, [scriptblock] $Block, [scriptblock] $CountOf = { '' }) {
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    $heap = [GC]::GetTotalMemory($true)
    $alloc = [GC]::GetTotalAllocatedBytes($true)
    $gcs = 0..2 | ForEach-Object { [GC]::CollectionCount($_) }
    $req = if ($script:ipvs) { $script:ipvs.Connection.RequestsSent } else { 0 }
    $pause = [GC]::GetTotalPauseDuration()
    $faults = Get-MinorFaults
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & $Block | Out-Null
    $sw.Stop()
    $faults = (Get-MinorFaults) - $faults
    $pause = ([GC]::GetTotalPauseDuration() - $pause).TotalMilliseconds
    $allocated = [GC]::GetTotalAllocatedBytes($true) - $alloc
    $gcAfter = 0..2 | ForEach-Object { [GC]::CollectionCount($_) }
    $status = Get-StatusMb; $hwm = $status.VmHWM; $rss = $status.VmRSS
    $kept = [GC]::GetTotalMemory($true) - $heap
    $rows.Add([pscustomobject]@{
            Phase = $Name; Seconds = [math]::Round($sw.Elapsed.TotalSeconds, 2)
            AllocMB = [math]::Round($allocated / 1MB, 1); KeptMB = [math]::Round($kept / 1MB, 1)
            'GC0/1/2' = (0..2 | ForEach-Object { $gcAfter[$_] - $gcs[$_] }) -join '/'
            RssMB = $rss; HwmMB = $hwm; MinFlt = $faults; PauseMs = [math]::Round($pause)
            Requests = if ($script:ipvs) { $script:ipvs.Connection.RequestsSent - $req } else { '' }
            Count = & $CountOf
        })
    Write-Host ("  {0}: {1:N2} s" -f $Name, $sw.Elapsed.TotalSeconds)
}

try {
    $target = [LvsTools.Core.NetNamespace]::Resolve($ns)
    $script:ipvs = [LvsTools.Core.Ipvs.IpvsClient]::Open($target)
    $sync = [LvsTools.Core.Config.LvsConfigurationSync]
    # --- import, phase by phase (empty table) ---
    Measure-Phase 'import: FromJson (file to document)' { $script:doc = [LvsTools.LvsConfigurationDocument]::FromJson([IO.File]::ReadAllBytes($docFile), [ref]$script:resolved) } { "$($doc.Services.Count) services" }
    Measure-Phase 'import: ReadForPlan (empty table)' { $script:cur = $sync::ReadForPlan($ipvs, $null, $null) }
    Measure-Phase 'import: Plan' { $script:plan = $sync::Plan($cur, $doc, $false, $null, $resolved) } { "$($plan.Count) steps" }
    Measure-Phase 'import: Apply' { $script:applied = $sync::Apply($plan, $ipvs, $null, $null, $null, [Threading.CancellationToken]::None) } { "$($applied.Applied) applied" }
    $script:doc = $null; $script:plan = $null; $script:applied = $null; $script:cur = $null; $script:resolved = $null
    # The cmdlet writes into a namespace that never held a table (a flushed one keeps its real servers in the kernel's
    # trash list for minutes, and every NEW_DEST scans it); the phases below read that namespace.
    $first = $ns
    $ns = New-BenchNamespace
    Measure-Phase 'import: Import-LvsConfiguration (cmdlet)' { $script:r = Import-LvsConfiguration -NetNamespace $ns -Path $docFile } { "$($r.Applied) applied" }
    $script:r = $null
    $script:ipvs.Dispose()
    $script:ipvs = [LvsTools.Core.Ipvs.IpvsClient]::Open([LvsTools.Core.NetNamespace]::Resolve($ns))

    # --- read, phase by phase (table loaded) ---
    Measure-Phase 'read: IpvsClient.GetServices' { $script:svcs = $ipvs.GetServices() } { "$($svcs.Count) services" }
    Measure-Phase 'read: IpvsClient.GetAllRealServers' { $script:rs = $ipvs.GetAllRealServers($svcs) } { "$($rs.Count) real servers" }
    $script:svcs = $null; $script:rs = $null
    Measure-Phase 'read: Get-LvsService (cmdlet)' { $script:cs = @(Get-LvsService -NetNamespace $ns) } { "$($cs.Count) services" }
    Measure-Phase 'read: (those services) then Get-LvsRealServer (cmdlet)' { $script:crs = @($cs | Get-LvsRealServer) } { "$($crs.Count) real servers" }
    Measure-Phase 'read: Get-LvsService piped to Get-LvsRealServer (warm)' { $script:crs2 = @(Get-LvsService -NetNamespace $ns | Get-LvsRealServer) } { "$($crs2.Count) real servers" }
    $script:cs = $null; $script:crs = $null; $script:crs2 = $null

    # --- no-op sync, phase by phase ---
    Measure-Phase 'sync: FromJson' { $script:doc = [LvsTools.LvsConfigurationDocument]::FromJson([IO.File]::ReadAllBytes($docFile), [ref]$script:resolved) }
    Measure-Phase 'sync: ReadForPlan' { $script:cur = $sync::ReadForPlan($ipvs, $null, $null) } { "$($cur.Services.Count) services" }
    Measure-Phase 'sync: Plan (prune)' { $script:plan = $sync::Plan($cur, $doc, $true, $null, $resolved) } { "$($plan.Count) steps" }
    $script:doc = $null; $script:plan = $null; $script:cur = $null; $script:resolved = $null
    Measure-Phase 'sync: Sync-LvsConfiguration (cmdlet)' { $script:r = Sync-LvsConfiguration -NetNamespace $ns -Path $docFile } { "$($r.Steps.Count) steps, $($r.WritesSent) writes, $($r.RequestsSent) requests" }
}
finally {
    if ($ipvs) { $ipvs.Dispose() }
    ip netns del $ns
    if ($first) { ip netns del $first }
    Remove-Item $work -Recurse -Force
}
Write-Host ''
Write-Host "Phases, $Services x $RealServersPerService, $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, kernel $(uname -r)"
$rows | Format-Table -AutoSize | Out-String -Width 250 | Write-Host
'| phase | s | alloc MB | kept MB | GC 0/1/2 | GC pause ms | minor faults | RSS MB | HWM MB | requests | count |' | Write-Host
'| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |' | Write-Host
foreach ($r in $rows) { "| $($r.Phase) | $($r.Seconds) | $($r.AllocMB) | $($r.KeptMB) | $($r.'GC0/1/2') | $($r.PauseMs) | $($r.MinFlt) | $($r.RssMB) | $($r.HwmMB) | $($r.Requests) | $($r.Count) |" | Write-Host }
