#Requires -Version 7.4
<#
.SYNOPSIS
    Where the memory row's resident set goes, step by step, and what one fresh page costs in this kernel.
.DESCRIPTION
    A diagnostic beside the memory row of Invoke-Benchmarks.ps1, not a row: it runs the row's own steps in a fresh pwsh
    (Import-Module; Import-LvsConfiguration of the benchmark table into an empty namespace; @(Get-LvsService |
    Get-LvsRealServer) kept; Sync-LvsConfiguration of the same document; then a full collection, and one without the
    import's result) and prints after each step:
      the process's VmRSS and VmHWM, split into anonymous, file-backed and shared memory (RssAnon, RssFile, RssShmem of
        /proc/self/status; .NET's executable memory is double-mapped through shared memory),
      the managed heap (GC.GetGCMemoryInfo: heap size, committed, fragmented), the collections so far and their pause,
      the process's minor page faults (/proc/self/stat).
    Then, in the same process, a calibration: 64 MB of fresh native memory touched page by page, as the seconds and
    faults that took. In User-mode Linux a minor fault is a round trip through the host, and that per-page cost is what
    a step pays for each page it grows into or that a collection copies survivors into.
    -Environment NAME=VALUE[,NAME=VALUE] runs the child with those variables (e.g. DOTNET_GCgen0size=0x400000), to see
    what the runtime's own settings change; a module cannot set them in its host's process.
    Run inside the UML kernel, e.g.
      bash tests/Uml/uml-run.sh --timeout 1800 --mem 3G --cwd $PWD -- $PSHOME/pwsh -NoProfile -File bench/Measure-Memory.ps1 `
          -ModulePath $PWD/out/LvsTools/LvsTools.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Services = 10000,
    [int] $RealServersPerService = 4,
    [string[]] $Environment = @(),
    # Internal: the child process's part (the document, the namespace).
    [string] $ChildDocument,
    [string] $ChildNamespace
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

. (Join-Path $PSScriptRoot 'ProcStatus.ps1')
if ($ChildDocument) {
    function Get-Step([string] $Name) {
        $mb = Get-StatusMb
        $gc = [GC]::GetGCMemoryInfo()
        [pscustomobject]@{
            Step = $Name; RssMB = $mb.VmRSS; HwmMB = $mb.VmHWM; AnonMB = $mb.RssAnon; FileMB = $mb.RssFile; ShmemMB = $mb.RssShmem
            HeapMB = [math]::Round($gc.HeapSizeBytes / 1MB); CommittedMB = [math]::Round($gc.TotalCommittedBytes / 1MB)
            FragmentedMB = [math]::Round($gc.FragmentedBytes / 1MB)
            'GC0/1/2' = (0..2 | ForEach-Object { [GC]::CollectionCount($_) }) -join '/'
            PauseMs = [math]::Round([GC]::GetTotalPauseDuration().TotalMilliseconds)
            MinFlt = Get-MinorFaults
        }
    }
    $steps = [Collections.Generic.List[object]]::new()
    $steps.Add((Get-Step 'pwsh started'))
    Import-Module $ModulePath
    $steps.Add((Get-Step 'Import-Module'))
    $i = Import-LvsConfiguration -NetNamespace $ChildNamespace -Path $ChildDocument
    $steps.Add((Get-Step 'Import-LvsConfiguration'))
    $o = @(Get-LvsService -NetNamespace $ChildNamespace | Get-LvsRealServer)
    $steps.Add((Get-Step 'read, objects kept'))
    $s = Sync-LvsConfiguration -NetNamespace $ChildNamespace -Path $ChildDocument
    $steps.Add((Get-Step 'Sync-LvsConfiguration'))
    if ($i.Failed -or $o.Count -eq 0 -or $s.Steps.Count -ne 0) {
        throw "unexpected: $($i.Applied) applied, $($i.Failed) failed, $($o.Count) real servers read, $($s.Steps.Count) sync steps"
    }
    [GC]::Collect()
    $steps.Add((Get-Step 'full collection'))
    $i = $null
    [GC]::Collect()
    $steps.Add((Get-Step 'without the import result'))
    # The calibration: fresh anonymous memory, one write per page; the same loop again over the pages now mapped is the
    # loop's own cost, taken off.
    $bytes = 64MB
    $page = [Environment]::SystemPageSize
    $p = [Runtime.InteropServices.Marshal]::AllocHGlobal([IntPtr]$bytes)
    try {
        $seconds = foreach ($pass in 1, 2) {
            $before = Get-Step 'touch'
            $w = [Diagnostics.Stopwatch]::StartNew()
            for ($k = 0; $k -lt $bytes; $k += $page) { [Runtime.InteropServices.Marshal]::WriteByte([IntPtr]([long]$p + $k), 1) }
            $w.Stop()
            if ($pass -eq 1) { $faults = (Get-Step 'touch').MinFlt - $before.MinFlt }
            $w.Elapsed.TotalSeconds
        }
    }
    finally { [Runtime.InteropServices.Marshal]::FreeHGlobal($p) }
    [pscustomobject]@{ Steps = $steps; TouchPages = $bytes / $page; TouchFaults = $faults; TouchSeconds = $seconds[0]; LoopSeconds = $seconds[1] } |
        ConvertTo-Json -Depth 4 -Compress
    return
}

. (Join-Path $PSScriptRoot 'BenchTable.ps1')
$work = Join-Path $PSScriptRoot "results/memory-$PID"
$null = New-Item -ItemType Directory -Path $work -Force
$ns = $null
try {
    Import-Module (Resolve-Path $ModulePath).Path
    $table = New-BenchTable -Directory $work -Services $Services -RealServersPerService $RealServersPerService
    $ns = New-BenchNamespace
    $saved = @{}
    foreach ($e in $Environment) {
        $k, $v = $e -split '=', 2
        $saved[$k] = [Environment]::GetEnvironmentVariable($k)
        [Environment]::SetEnvironmentVariable($k, $v)
    }
    try {
        $json = & (Join-Path $PSHOME 'pwsh') -NoLogo -NoProfile -NonInteractive -File $PSCommandPath -ModulePath (Resolve-Path $ModulePath).Path `
            -ChildDocument $table.DocumentFile -ChildNamespace $ns
        if ($LASTEXITCODE) { throw "the child pwsh exited with $LASTEXITCODE`: $json" }
    }
    finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
    $r = $json | Select-Object -Last 1 | ConvertFrom-Json
}
finally {
    if ($ns) { ip netns del $ns }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
$settings = if ($Environment) { " ($($Environment -join ', '))" } else { '' }
Write-Host "Memory, $Services x $RealServersPerService$settings, $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, kernel $(uname -r)"
'| step | RSS MB | HWM MB | anon | file | shmem | GC heap MB | committed MB | fragmented MB | GC 0/1/2 | GC pause ms | minor faults |' | Write-Host
'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |' | Write-Host
foreach ($s in $r.Steps) {
    "| $($s.Step) | $($s.RssMB) | $($s.HwmMB) | $($s.AnonMB) | $($s.FileMB) | $($s.ShmemMB) | $($s.HeapMB) | $($s.CommittedMB) | $($s.FragmentedMB) | $($s.'GC0/1/2') | $($s.PauseMs) | $($s.MinFlt) |" | Write-Host
}
Write-Host ("One fresh page: {0} pages of new native memory touched in {1:N3} s ({2:N3} s the second time, mapped), {3} minor faults: {4:N3} ms per fault" -f
    $r.TouchPages, $r.TouchSeconds, $r.LoopSeconds, $r.TouchFaults, (($r.TouchSeconds - $r.LoopSeconds) * 1000 / [math]::Max(1, $r.TouchFaults)))
