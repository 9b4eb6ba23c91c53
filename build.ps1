#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages LvsTools.
.DESCRIPTION
    Tasks:
      Prerequisites  apt packages (user-mode-linux, ipvsadm, iproute2, kmod, strace) and Pester, when missing
      Build          compiles, lays the module out in out/LvsTools (psd1, dlls with ReadyToRun code for pwsh 7.6's .NET in
                     Release, format file, en-US help),
                     checks the manifest and fails when a cmdlet or parameter has no help
      Test           Build, then xUnit + Pester on the host kernel and inside the User-mode Linux kernel;
                     ends with one line "N passed, M failed, K skipped" and exits non-zero on any failure
      Demo           Build, then the LVS walk-through (tools/Demo.ps1) in network namespaces and the UML kernel
      Package        Build, then a .nupkg in out/repo that Install-PSResource can install
      Bench          Build, then the benchmarks in bench/ (UML kernel), results in bench/results
      Fuzz           Build, then every parser fuzzed with -FuzzCount inputs each (default 1,000,000; CI runs 3,000 from
                     the same fixed seed inside Test); prints inputs, seconds and failures per parser, writes
                     bench/results/fuzz.md, exits non-zero on any failure
.EXAMPLE
    ./build.sh Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Prerequisites', 'Build', 'Test', 'Demo', 'Package', 'Bench', 'Fuzz')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Test: which kernels to run on.
    [ValidateSet('Host', 'Uml')]
    [string[]] $Kernel = @('Host', 'Uml'),

    # Fuzz: inputs per parser, and the seed (a number; empty: the fixed seed CI uses).
    [ValidateRange(1, [long]::MaxValue)]
    [long] $FuzzCount = 1000000,
    [string] $FuzzSeed = ''
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'LvsTools'
$PesterVersion = '5.7.1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Write-Step([string] $Text) { Write-Host "==> $Text" -ForegroundColor Cyan }

function Invoke-Native {
    param([string] $FilePath, [string[]] $ArgumentList, [switch] $AllowFailure)
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) {
        throw "$FilePath $($ArgumentList -join ' ') exited with $LASTEXITCODE"
    }
    $LASTEXITCODE
}

function Get-NuGetPackagesRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    Join-Path $HOME '.nuget/packages'
}

function Invoke-Prerequisites {
    Write-Step 'Prerequisites'
    if (Test-Path /usr/bin/dpkg-query) {
        Invoke-Native bash @((Join-Path $Root 'tools/install-prerequisites.sh')) | Out-Null
    }
    $pester = Join-Path (Get-NuGetPackagesRoot) "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester)) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/Restore.Pester.csproj'), '-v', 'quiet') | Out-Null
    }
    if (-not (Test-Path $pester)) { throw "Pester $PesterVersion was not restored to $pester" }
}

function Invoke-Build {
    Write-Step "Build ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $Root 'LvsTools.sln'), '-c', $Configuration, '-v', 'quiet', '-nologo', '-clp:ErrorsOnly') | Out-Null

    Write-Step "Module layout in $ModuleOut"
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    New-Item -ItemType Directory -Path (Join-Path $ModuleOut 'en-US') -Force | Out-Null
    $bin = Join-Path $Root "src/LvsTools/bin/$Configuration/net8.0"
    $assemblies = $bin
    if ($Configuration -eq 'Release') {
        # The same net8.0 IL with native code for the .NET of pwsh 7.6 beside it (ReadyToRun, tools/ReadyToRun): the
        # module's first calls run without waiting for the JIT; pwsh 7.4 ignores that code and JIT-compiles as before.
        Write-Step 'ReadyToRun (crossgen2)'
        $assemblies = Join-Path $Root "tools/ReadyToRun/bin/$Configuration/publish"
        Invoke-Native dotnet @('publish', (Join-Path $Root 'tools/ReadyToRun/ReadyToRun.csproj'), '-c', $Configuration, '-o', $assemblies,
            "-p:PwshDirectory=$PSHOME", '-v', 'quiet', '-nologo', '-clp:ErrorsOnly') | Out-Null
    }
    foreach ($f in 'LvsTools.dll', 'LvsTools.Core.dll') {
        Copy-Item (Join-Path $assemblies $f) $ModuleOut
    }
    # The lab's HTTP server program (New-LvsLab starts it with the dotnet host).
    $labServer = Join-Path $Root "src/LvsTools.LabServer/bin/$Configuration/net8.0"
    foreach ($f in 'LvsTools.LabServer.dll', 'LvsTools.LabServer.runtimeconfig.json') {
        Copy-Item (Join-Path $labServer $f) $ModuleOut
    }
    $manifest = Import-PowerShellDataFile (Join-Path $Root 'LvsTools.psd1')
    foreach ($f in @($manifest.FormatsToProcess) + @($manifest.TypesToProcess)) {
        Copy-Item (Join-Path $bin $f) $ModuleOut
    }
    Copy-Item (Join-Path $Root 'LvsTools.psd1') $ModuleOut
    # The User-mode Linux harness Invoke-LvsLab boots (a user's CI has no tests/Uml folder): it ships in the module.
    New-Item -ItemType Directory -Path (Join-Path $ModuleOut 'uml') -Force | Out-Null
    Copy-Item (Join-Path $Root 'src/LvsTools/uml/*.sh') (Join-Path $ModuleOut 'uml')

    Import-Module (Join-Path $Root 'tools/HelpBuilder/HelpBuilder.psd1') -Force
    $docs = Join-Path $Root 'docs/en-US'
    ConvertTo-MamlHelp -Path $docs -OutputPath (Join-Path $ModuleOut 'en-US/LvsTools.dll-Help.xml') | Out-Null
    foreach ($about in Get-ChildItem $docs -Filter 'about_*.md') {
        ConvertTo-AboutHelp -Path $about.FullName -OutputPath (Join-Path $ModuleOut "en-US/$($about.BaseName).help.txt") | Out-Null
    }

    # Check manifest and help in a child process, so this session never loads (and locks) the module.
    $check = @"
`$ErrorActionPreference = 'Stop'
Test-ModuleManifest -Path '$ModuleOut/LvsTools.psd1' | Out-Null
Import-Module '$Root/tools/HelpBuilder/HelpBuilder.psd1'
`$problems = @(Test-HelpCoverage -ModuleManifest '$ModuleOut/LvsTools.psd1' -Path '$docs')
`$problems | Format-Table -AutoSize -Wrap | Out-String -Width 200 | Write-Host
exit `$problems.Count
"@
    & (Join-Path $PSHOME 'pwsh') -NoLogo -NoProfile -NonInteractive -Command $check
    if ($LASTEXITCODE -ne 0) { throw "Help check failed: $LASTEXITCODE problem(s) with cmdlet help (see above)." }
}

function Get-TestSummary([string] $Directory) {
    $file = Join-Path $Directory 'summary.json'
    if (-not (Test-Path $file)) { return $null }
    Get-Content $file -Raw | ConvertFrom-Json
}

function Invoke-Test {
    Invoke-Prerequisites
    Invoke-Build
    $results = Join-Path $Out 'test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    $suite = Join-Path $Root 'tests/Invoke-TestSuite.ps1'
    $pwsh = (Join-Path $PSHOME 'pwsh')
    $started = Get-Date
    $summaries = [System.Collections.Generic.List[object]]::new()
    $missing = [System.Collections.Generic.List[string]]::new()

    # The UML guest has one CPU of its own and spends most of its time in the host kernel (ptrace), so it runs
    # beside the host suite rather than after it; its output is kept in a log and shown when it ends.
    $umlJob = $null
    if ('Uml' -in $Kernel) {
        $umlDir = Join-Path $results 'uml'
        New-Item -ItemType Directory -Path $umlDir -Force | Out-Null
        $umlLog = Join-Path $results 'uml.log'
        $uml = Join-Path $Root 'tests/Uml/uml-run.sh'
        Write-Step 'Tests inside the User-mode Linux kernel (IPVS), in the background'
        # The guest's limit: its suite takes 20-25 minutes on a quiet host, and took 38 on one where the hypervisor took a
        # quarter of the CPU (steal time, 2026-12-01); an hour leaves room for that and still ends a stuck guest.
        $umlJob = Start-Process -FilePath bash -PassThru -RedirectStandardOutput $umlLog -RedirectStandardError "$umlLog.err" -ArgumentList @(
            $uml, '--timeout', '3600', '--cwd', $Root, '--',
            $pwsh, '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $suite, '-Kernel', 'uml', '-Configuration', $Configuration, '-ResultsDirectory', $umlDir)
    }
    if ('Host' -in $Kernel) {
        Write-Step 'Tests on the host kernel (network namespaces)'
        $dir = Join-Path $results 'host'
        & $pwsh -NoLogo -NoProfile -NonInteractive -File $suite -Kernel host -Configuration $Configuration -ResultsDirectory $dir
        $s = Get-TestSummary $dir
        if ($s) { $summaries.Add($s) } else { $missing.Add('host') }
    }
    if ($umlJob) {
        $umlJob.WaitForExit()
        Write-Step "Tests inside the User-mode Linux kernel: output (exit $($umlJob.ExitCode))"
        Get-Content $umlLog, "$umlLog.err" -ErrorAction SilentlyContinue | Write-Host
        if ($umlJob.ExitCode -ge 124) { Write-Warning "The UML run ended with $($umlJob.ExitCode) (124: timeout, 125: guest failure)." }
        $s = Get-TestSummary $umlDir
        if ($s) { $summaries.Add($s) } else { $missing.Add('uml') }
    }

    Write-Host ''
    Write-Host 'Summary' -ForegroundColor Cyan
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($s in $summaries) {
        foreach ($part in $s.Parts) {
            '{0,-5} {1,-7} {2,5} passed {3,4} failed {4,4} skipped' -f $s.Kernel, $part.Runner, $part.Passed, $part.Failed, $part.Skipped | Write-Host
            foreach ($reason in @($part.SkipReasons)) { if ($reason) { Write-Host "        skipped: $reason" } }
            $passed += $part.Passed; $failed += $part.Failed; $skipped += $part.Skipped
        }
    }
    # The failures last, next to the totals: a CI log is often read from its tail only.
    foreach ($s in $summaries) {
        foreach ($part in $s.Parts) {
            foreach ($f in @($part.Failures)) { if ($f) { Write-Host ("FAILED {0} {1}: {2}" -f $s.Kernel, $part.Runner, $f) -ForegroundColor Red } }
        }
    }
    foreach ($m in $missing) {
        Write-Host "${m}: the suite produced no results (it crashed or did not start); counted as 1 failure" -ForegroundColor Red
        $failed++
    }
    Write-Host ('Test time: {0:N0} s' -f ((Get-Date) - $started).TotalSeconds)
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Prerequisites
    Invoke-Build
    Write-Step 'Demo'
    & (Join-Path $Root 'tools/Demo.ps1') -ModulePath (Join-Path $ModuleOut 'LvsTools.psd1')
    if (-not $?) { exit 1 }
}

function Invoke-Package {
    Invoke-Build
    Write-Step 'Package'
    $repo = Join-Path $Out 'repo'
    if (Test-Path $repo) { Remove-Item $repo -Recurse -Force }
    New-Item -ItemType Directory -Path $repo | Out-Null
    $name = 'LvsToolsBuild'
    if (Get-PSResourceRepository -Name $name -ErrorAction SilentlyContinue) { Unregister-PSResourceRepository -Name $name }
    Register-PSResourceRepository -Name $name -Uri $repo -Trusted
    try {
        Publish-PSResource -Path $ModuleOut -Repository $name -SkipDependenciesCheck
    }
    finally {
        Unregister-PSResourceRepository -Name $name
    }
    Get-ChildItem $repo -Filter *.nupkg | ForEach-Object { Write-Host "Package: $($_.FullName)" }
}

function Invoke-Bench {
    Invoke-Prerequisites
    Invoke-Build
    Write-Step 'Benchmarks (UML kernel)'
    # The raw netlink yardstick is built here: building inside UML takes minutes.
    Invoke-Native dotnet @('build', (Join-Path $Root 'bench/RawIpvs'), '-c', 'Release', '-v', 'quiet', '-nologo', '-clp:ErrorsOnly') | Out-Null
    & bash (Join-Path $Root 'tests/Uml/uml-run.sh') --timeout 3000 --mem 4G --cwd $Root --env "LVSTOOLS_BENCH_HOST_LOAD=$(Get-Content /proc/loadavg)" -- (Join-Path $PSHOME 'pwsh') -NoLogo -NoProfile -NonInteractive -File (Join-Path $Root 'bench/Invoke-Benchmarks.ps1') -ModulePath (Join-Path $ModuleOut 'LvsTools.psd1')
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Fuzz {
    Invoke-Build
    $reportDir = Join-Path $Out 'fuzz'
    if (Test-Path $reportDir) { Remove-Item $reportDir -Recurse -Force }
    Write-Step "Fuzzing every parser with $($FuzzCount.ToString('N0')) inputs each"
    $env:LVSTOOLS_FUZZ_COUNT = "$FuzzCount"
    $env:LVSTOOLS_FUZZ_REPORT = $reportDir
    $env:LVSTOOLS_FUZZ_SEED = $FuzzSeed
    $started = Get-Date
    try {
        & dotnet test (Join-Path $Root 'tests/LvsTools.Core.Tests') -c $Configuration --no-build -nologo `
            --filter 'FullyQualifiedName~ParserFuzzTests' --logger 'console;verbosity=minimal' | Write-Host
        $code = $LASTEXITCODE
    }
    finally {
        Remove-Item Env:LVSTOOLS_FUZZ_COUNT, Env:LVSTOOLS_FUZZ_REPORT, Env:LVSTOOLS_FUZZ_SEED -ErrorAction SilentlyContinue
    }
    $rows = @(Get-ChildItem $reportDir -Filter *.json -ErrorAction SilentlyContinue | ForEach-Object { Get-Content $_ -Raw | ConvertFrom-Json } | Sort-Object Name)
    $table = $rows | ForEach-Object {
        [pscustomobject]@{
            Parser = $_.Name; Inputs = $_.Inputs; Seconds = [math]::Round($_.Seconds, 1)
            PerSecond = [math]::Round($_.Inputs / [math]::Max($_.Seconds, 0.001)); Failures = [int]($null -ne $_.Failure)
        }
    }
    $table | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $results = Join-Path $Root 'bench/results'
    New-Item -ItemType Directory -Path $results -Force | Out-Null
    $md = [System.Text.StringBuilder]::new()
    [void]$md.AppendLine("# Fuzzing: $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, $([Environment]::ProcessorCount) processors, seed $(if ($FuzzSeed) { $FuzzSeed } else { 'fixed (as CI)' })")
    [void]$md.AppendLine()
    [void]$md.AppendLine('| parser | inputs | seconds | inputs/s | failures |')
    [void]$md.AppendLine('| --- | ---: | ---: | ---: | ---: |')
    foreach ($r in $table) { [void]$md.AppendLine("| $($r.Parser) | $($r.Inputs.ToString('N0')) | $($r.Seconds) | $($r.PerSecond.ToString('N0')) | $($r.Failures) |") }
    [void]$md.AppendLine()
    [void]$md.AppendLine("Total: $(($table | Measure-Object Inputs -Sum).Sum.ToString('N0')) inputs in $([math]::Round(((Get-Date) - $started).TotalSeconds)) s.")
    foreach ($r in $rows | Where-Object Failure) { [void]$md.AppendLine(); [void]$md.AppendLine("## $($r.Name)"); [void]$md.AppendLine(); [void]$md.AppendLine('```'); [void]$md.AppendLine($r.Failure); [void]$md.AppendLine('```') }
    Set-Content -Path (Join-Path $results 'fuzz.md') -Value $md.ToString()
    Write-Host "Written: $(Join-Path $results 'fuzz.md')"
    if ($code -ne 0 -or $rows.Count -eq 0) { exit 1 }
}

switch ($Task) {
    'Prerequisites' { Invoke-Prerequisites }
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Package' { Invoke-Package }
    'Bench' { Invoke-Bench }
    'Fuzz' { Invoke-Fuzz }
}
