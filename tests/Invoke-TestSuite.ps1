#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the xUnit and Pester suites on the kernel this process runs on and writes summary.json.
.DESCRIPTION
    Called by build.ps1 on the host kernel and, through tests/Uml/uml-run.sh, inside the User-mode Linux
    kernel. On the host everything runs; in UML only the tests that need a kernel (xUnit trait
    Category=Kernel, Pester tag Kernel), since the pure ones already ran on the host.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [ValidateSet('host', 'uml')] [string] $Kernel,
    [Parameter(Mandatory)] [string] $ResultsDirectory,
    [string] $Configuration = 'Release'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Root = Split-Path $PSScriptRoot -Parent
New-Item -ItemType Directory -Path $ResultsDirectory -Force | Out-Null
$env:LVSTOOLS_KERNEL = $Kernel
$env:LVSTOOLS_MODULE = Join-Path $Root 'out/LvsTools/LvsTools.psd1'
$parts = [System.Collections.Generic.List[object]]::new()

function Read-Trx([string] $Path) {
    [xml] $trx = Get-Content $Path -Raw
    $ns = @{ t = 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010' }
    $c = (Select-Xml -Xml $trx -XPath '//t:ResultSummary/t:Counters' -Namespace $ns).Node
    $reasons = Select-Xml -Xml $trx -XPath "//t:UnitTestResult[@outcome='NotExecuted']" -Namespace $ns | ForEach-Object {
        $m = $_.Node.SelectSingleNode('.//*[local-name()="Message"]')
        if ($m) { ($m.InnerText -split "`n")[0].Trim() } else { 'skipped' }
    } | Group-Object | ForEach-Object { '{0} ({1} tests)' -f $_.Name, $_.Count }
    # The failures are named again in the summary: a CI log is often read from its tail only.
    $failures = Select-Xml -Xml $trx -XPath "//t:UnitTestResult[@outcome='Failed' or @outcome='Error' or @outcome='Timeout' or @outcome='Aborted']" -Namespace $ns | ForEach-Object {
        $m = $_.Node.SelectSingleNode('.//*[local-name()="Message"]')
        $first = if ($m) { ($m.InnerText -split "`n")[0].Trim() } else { '' }
        if ($first.Length -gt 300) { $first = $first.Substring(0, 300) + '...' }
        '{0}: {1}' -f $_.Node.testName, $first
    }
    [pscustomobject]@{
        Runner = 'xUnit'
        Passed = [int] $c.passed
        Failed = [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted
        # vstest leaves notExecuted at 0 for xUnit skips: they are the tests counted but not executed.
        Skipped = [int] $c.total - [int] $c.executed
        SkipReasons = @($reasons)
        Failures = @($failures)
    }
}

# --- xUnit ---------------------------------------------------------------------------------------
$project = Join-Path $Root 'tests/LvsTools.Core.Tests/LvsTools.Core.Tests.csproj'
$testArgs = @('test', $project, '-c', $Configuration, '--no-build', '--nologo',
    '--logger', 'trx;LogFileName=xunit.trx', '--logger', 'console;verbosity=minimal', '--results-directory', $ResultsDirectory)
if ($Kernel -eq 'uml') { $testArgs += @('--filter', 'Category=Kernel|Kernel=uml') }
& dotnet @testArgs
$trx = Join-Path $ResultsDirectory 'xunit.trx'
if (Test-Path $trx) { $parts.Add((Read-Trx $trx)) }
else { $parts.Add([pscustomobject]@{ Runner = 'xUnit'; Passed = 0; Failed = 1; Skipped = 0; SkipReasons = @(); Failures = @('no TRX file: dotnet test did not run') }) }

# --- Pester --------------------------------------------------------------------------------------
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
Import-Module (Join-Path $packages 'pester/5.7.1/tools/Pester.psd1') -Force
$config = New-PesterConfiguration
$config.Run.Path = Join-Path $Root 'tests/Pester'
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $ResultsDirectory 'pester.xml'
if ($Kernel -eq 'uml') { $config.Filter.Tag = 'Kernel' }
# The test files are written for PowerShell's default mode, as users' scripts are: not this runner's strict mode.
Set-StrictMode -Off
$result = Invoke-Pester -Configuration $config
$skipReasons = $result.Tests | Where-Object Skipped | ForEach-Object {
    $because = if ($_.ErrorRecord -and $_.ErrorRecord.Count -gt 0) { ($_.ErrorRecord[0].Exception.Message -replace '^is skipped, because ', '') } else { $null }
    if ($because) { $because } else { "$($_.Block.Path -join ' > ')" }
} | Group-Object | ForEach-Object { '{0} ({1} tests)' -f $_.Name, $_.Count }
$failures = @($result.Failed | ForEach-Object {
        $first = if ($_.ErrorRecord -and $_.ErrorRecord.Count -gt 0) { ($_.ErrorRecord[0].Exception.Message -split "`n")[0].Trim() } else { '' }
        if ($first.Length -gt 300) { $first = $first.Substring(0, 300) + '...' }
        '{0}: {1}' -f $_.ExpandedPath, $first
    }) + @($result.FailedBlocks | ForEach-Object { 'block {0}: {1}' -f $_.ExpandedPath, "$($_.ErrorRecord | Select-Object -First 1)" }) +
    @($result.FailedContainers | ForEach-Object { 'file {0}: {1}' -f $_.Item, "$($_.ErrorRecord | Select-Object -First 1)" })
$parts.Add([pscustomobject]@{
    Runner = 'Pester'
    Passed = $result.PassedCount
    Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    # In UML the tag filter leaves the pure tests not run on purpose: they ran on the host.
    Skipped = $result.SkippedCount + $(if ($Kernel -eq 'host') { $result.NotRunCount } else { 0 })
    SkipReasons = @($skipReasons)
    Failures = @($failures)
})

# --- The example user project, directly in this kernel (it needs IPVS: the UML guest) -------------------------
# examples/tests is a user's Pester file (no tags, no skips): here it runs in a namespace lab inside the UML kernel;
# on the host, tests/Pester/Examples.Tests.ps1 runs it through Invoke-LvsLab, as a user's CI would.
if ($Kernel -eq 'uml') {
    $ex = New-PesterConfiguration
    $ex.Run.Path = Join-Path $Root 'examples/tests'
    $ex.Run.PassThru = $true
    $ex.Output.Verbosity = 'Normal'
    $exResult = Invoke-Pester -Configuration $ex
    $parts.Add([pscustomobject]@{
        Runner = 'Pester (examples)'
        Passed = $exResult.PassedCount
        Failed = $exResult.FailedCount + $exResult.FailedBlocksCount + $exResult.FailedContainersCount
        Skipped = $exResult.SkippedCount
        SkipReasons = @()
        Failures = @($exResult.Failed | ForEach-Object { '{0}: {1}' -f $_.ExpandedPath, "$($_.ErrorRecord | Select-Object -First 1)" })
    })
}

[pscustomobject]@{ Kernel = $Kernel; Parts = $parts } | ConvertTo-Json -Depth 5 |
    Set-Content -Path (Join-Path $ResultsDirectory 'summary.json')
$failed = ($parts | Measure-Object Failed -Sum).Sum
exit ([int]($failed -gt 0))
