# Invoke-LvsLab as a user's CI calls it. Its errors come before anything starts, so they are tested on the host. One
# test boots User-mode Linux (30-90 s on a busy two-processor machine): it is a host test (it boots the guest itself),
# not tagged Kernel, and skips where the kernel under test is UML already (no UML inside UML) or user-mode-linux is
# not installed.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # Runs a script block with environment variables set, then puts them back.
    function Invoke-WithEnvironment([hashtable] $Variables, [scriptblock] $Script) {
        $saved = @{}
        foreach ($name in $Variables.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $Variables[$name]) }
        try { & $Script }
        finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
    }
}

Describe 'Invoke-LvsLab: bad input, before anything starts' {
    It 'a folder that does not exist: LvsLabPathNotFound, naming it (also in the -- form)' {
        $missing = Join-Path $TestDrive 'no-such-folder'
        $e = { Invoke-LvsLab -Path $missing -- Invoke-Pester -CI -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabPathNotFound,LvsTools.Commands.InvokeLvsLabCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.Exception.Message | Should -BeLike "*$missing*"
        { Invoke-LvsLab -Path $missing -ScriptBlock { exit 0 } -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabPathNotFound,*'
    }

    It '<Case>' -ForEach @(
        @{ Case = 'a script block and a command at once'; Params = @{ ScriptBlock = { 1 }; Command = 'x' }; Id = 'AmbiguousParameterSet,*' }
        @{ Case = 'less than 256MB of guest RAM'; Params = @{ Command = 'x'; Memory = 1MB }; Id = 'ParameterArgumentValidationError,*' }
        @{ Case = 'a timeout of 0'; Params = @{ Command = 'x'; Timeout = 0 }; Id = 'InvalidTimeout,LvsTools.Commands.InvokeLvsLabCommand' }
    ) {
        { Invoke-LvsLab @Params -ErrorAction Stop } | Should -Throw -ErrorId $Id
    }

    It 'user-mode-linux missing: UmlNotInstalled with the apt-get line' {
        $e = Invoke-WithEnvironment @{ LVSTOOLS_UML_KERNEL = (Join-Path $TestDrive 'no-linux.uml') } {
            { Invoke-LvsLab -Uml -Path $TestDrive -ScriptBlock { exit 0 } -ErrorAction Stop } | Should -Throw -PassThru
        }
        if ($e.FullyQualifiedErrorId -like 'LvsLabNeedsRoot,*') { Set-ItResult -Skipped -Because 'not root: the root check comes first'; return }
        $e.FullyQualifiedErrorId | Should -Be 'UmlNotInstalled,LvsTools.Commands.InvokeLvsLabCommand'
        $e.CategoryInfo.Category | Should -Be 'NotInstalled'
        $e.Exception.Message | Should -BeLike '*install the Debian package user-mode-linux: apt-get install --no-install-recommends user-mode-linux*'
    }

    It 'no room for the guest RAM: LvsLabMemoryTooLarge, naming /dev/shm and TMPDIR' {
        if (-not (Test-Path /usr/bin/linux.uml)) { Set-ItResult -Skipped -Because 'user-mode-linux is not installed (that error comes first)'; return }
        $shmFree = [IO.DriveInfo]::new('/dev/shm').AvailableFreeSpace
        if ($shmFree -ge 60GB) { Set-ItResult -Skipped -Because "/dev/shm has $([int]($shmFree / 1GB)) GiB free: room for the largest -Memory"; return }
        $e = Invoke-WithEnvironment @{ TMPDIR = '/dev/shm' } {
            { Invoke-LvsLab -Uml -Memory 64GB -Path $TestDrive -ScriptBlock { exit 0 } -ErrorAction Stop } | Should -Throw -PassThru
        }
        if ($e.FullyQualifiedErrorId -like 'LvsLabNeedsRoot,*') { Set-ItResult -Skipped -Because 'not root: the root check comes first'; return }
        $e.FullyQualifiedErrorId | Should -Be 'LvsLabMemoryTooLarge,LvsTools.Commands.InvokeLvsLabCommand'
        $e.CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $e.Exception.Message | Should -BeLike '*/dev/shm has*'
    }
}

Describe 'Invoke-LvsLab: a guest that does not boot or does not finish (a stand-in kernel, no boot)' {
    BeforeAll {
        # linux.uml stand-ins: one that exits at once (no exit status reported), one that never ends.
        $script:exits = Join-Path $TestDrive 'exits.uml'
        $script:hangs = Join-Path $TestDrive 'hangs.uml'
        Set-Content -LiteralPath $exits -Value "#!/bin/sh`necho 'stand-in kernel: no boot' >&2`nexit 1"
        Set-Content -LiteralPath $hangs -Value "#!/bin/sh`nexec sleep 127.25"
        chmod +x $exits $hangs
        function Invoke-WithKernel([string] $Kernel, [hashtable] $Params) {
            Invoke-WithEnvironment @{ LVSTOOLS_UML_KERNEL = $Kernel } {
                $errors = $null
                $out = @(Invoke-LvsLab -Uml -Path $TestDrive @Params -ScriptBlock { exit 0 } -PassThru -ErrorVariable errors -ErrorAction SilentlyContinue)
                [pscustomobject]@{ Code = $LASTEXITCODE; Errors = @($errors); Result = $out[-1] }
            }
        }
    }

    It 'the guest failing to boot: LvsLabBootFailed with what the harness said, exit status 125' {
        if (-not (Test-Path /usr/lib/uml/modules)) { Set-ItResult -Skipped -Because 'user-mode-linux is not installed (that error comes first)'; return }
        if ((id -u) -ne '0') { Set-ItResult -Skipped -Because 'Invoke-LvsLab needs root'; return }
        $r = Invoke-WithKernel $exits @{}
        $r.Code | Should -Be 125
        $r.Result.ExitCode | Should -Be 125
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'LvsLabBootFailed,LvsTools.Commands.InvokeLvsLabCommand'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $r.Errors[0].Exception.Message | Should -BeLike '*failed to boot*stand-in kernel: no boot*'
    }

    It 'a command that does not finish in -Timeout: LvsLabTimeout, exit status 124, the guest ended' {
        if (-not (Test-Path /usr/lib/uml/modules)) { Set-ItResult -Skipped -Because 'user-mode-linux is not installed (that error comes first)'; return }
        if ((id -u) -ne '0') { Set-ItResult -Skipped -Because 'Invoke-LvsLab needs root'; return }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-WithKernel $hangs @{ Timeout = 2 }
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 60
        $r.Code | Should -Be 124
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'LvsLabTimeout,LvsTools.Commands.InvokeLvsLabCommand'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        # the stand-in kernel was ended, not left behind
        @(Get-Process sleep -ErrorAction SilentlyContinue | Where-Object CommandLine -EQ 'sleep 127.25') | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-LvsLab: one real User-mode Linux boot' {
    It 'runs the script block in the guest with IPVS, streams its output, returns exit code 3; inside, the -- form runs on the guest kernel' {
        if ($env:LVSTOOLS_KERNEL -eq 'uml') { Set-ItResult -Skipped -Because 'the kernel under test is User-mode Linux itself: UML cannot boot inside it'; return }
        if (-not (Test-Path /usr/bin/linux.uml)) { Set-ItResult -Skipped -Because 'user-mode-linux is not installed (apt-get install --no-install-recommends user-mode-linux kmod iproute2)'; return }
        if ((id -u) -ne '0') { Set-ItResult -Skipped -Because 'Invoke-LvsLab needs root'; return }
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'project') -Force
        $arrivals = [System.Collections.Generic.List[object]]::new()
        Invoke-LvsLab -Uml -Path $folder -PassThru -ScriptBlock {
            "ipvs $((Get-LvsInfo).Version) in $PWD on $env:LVSTOOLS_KERNEL"
            Start-Sleep -Seconds 3
            # Inside the guest the kernel has IPVS: the nested run is here, no second boot; the words after -- are the command.
            $inner = @(Invoke-LvsLab -PassThru -- Write-Output nested ';' exit 7)
            "inner: $($inner[0]) kernel=$($inner[-1].Kernel) exit=$LASTEXITCODE"
            exit 3
        } | ForEach-Object { $arrivals.Add([pscustomobject]@{ Value = $_; At = [datetime]::UtcNow }) }
        $code = $LASTEXITCODE
        $lines = @($arrivals | Where-Object { $_.Value -is [string] })
        $result = @($arrivals | Where-Object { $_.Value -is [LvsTools.LvsLabRunResult] } | ForEach-Object Value)
        $lines | ForEach-Object Value | Should -Be @("ipvs 1.2.1 in $folder on uml", 'inner: nested kernel=Host exit=7')
        # streamed: the first line arrived while the guest still ran (it slept 3 s and started a pwsh after writing it)
        ($lines[-1].At - $lines[0].At).TotalSeconds | Should -BeGreaterThan 2
        $code | Should -Be 3
        $result | Should -HaveCount 1
        $result.ExitCode | Should -Be 3
        $result.Kernel | Should -Be 'Uml'
        $result.Path | Should -Be $folder.FullName
    }
}
