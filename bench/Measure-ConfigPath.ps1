# Host-only timings of the configuration path (no kernel): reading a document of N services x M real servers
# (LvsConfigurationDocument.FromJson with its checks) and planning it against an equal state (no-op) and an empty one.
# Prints the best of -Repeat runs and the bytes allocated on the calling thread (GC.GetAllocatedBytesForCurrentThread).
#   dotnet pwsh -NoProfile -File bench/Measure-ConfigPath.ps1 [-Module out/LvsTools/LvsTools.psd1]
param([string] $Module = (Join-Path $PSScriptRoot '../out/LvsTools/LvsTools.psd1'), [int] $Services = 10000,
    [int] $RealServersPerService = 4, [int] $Repeat = 3)
$ErrorActionPreference = 'Stop'
Import-Module $Module
. (Join-Path $PSScriptRoot 'BenchTable.ps1')
$dir = Join-Path ([IO.Path]::GetTempPath()) ('lvsb-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dir | Out-Null
try {
    $table = New-BenchTable -Directory $dir -Services $Services -RealServersPerService $RealServersPerService
    $bytes = [IO.File]::ReadAllBytes($table.DocumentFile)
    function Measure-Step([string] $Name, [scriptblock] $Action) {
        & $Action | Out-Null # warm-up (JIT, caches)
        $best = [double]::MaxValue; $alloc = 0
        for ($i = 0; $i -lt $Repeat; $i++) {
            [GC]::Collect(); [GC]::WaitForPendingFinalizers()
            $a0 = [GC]::GetAllocatedBytesForCurrentThread()
            $sw = [Diagnostics.Stopwatch]::StartNew()
            & $Action | Out-Null
            $sw.Stop()
            $alloc = [GC]::GetAllocatedBytesForCurrentThread() - $a0
            $best = [math]::Min($best, $sw.Elapsed.TotalMilliseconds)
        }
        [pscustomobject]@{ Step = $Name; BestMs = [math]::Round($best); AllocatedMB = [math]::Round($alloc / 1MB, 1) }
    }
    $doc = [LvsTools.LvsConfigurationDocument]::FromJson($bytes)
    $equal = [LvsTools.Core.Config.LvsKernelState]::From($doc)
    $empty = [LvsTools.Core.Config.LvsKernelState]::From([LvsTools.LvsConfigurationDocument]::new())
    "document: $([math]::Round($bytes.Length / 1MB, 1)) MB, $Services services x $RealServersPerService real servers"
    @(
        Measure-Step 'FromJson + validate' { [LvsTools.LvsConfigurationDocument]::FromJson($bytes) }
        Measure-Step 'Plan against an equal state (no-op)' { [LvsTools.Core.Config.LvsConfigurationSync]::Plan($equal, $doc, $true, $null).Count }
        Measure-Step 'Plan against an empty state' { [LvsTools.Core.Config.LvsConfigurationSync]::Plan($empty, $doc, $true, $null).Count }
    ) | Format-Table -AutoSize | Out-String
} finally {
    Remove-Item -Recurse -Force $dir
}
