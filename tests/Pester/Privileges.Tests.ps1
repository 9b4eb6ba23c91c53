# What an unprivileged user can and cannot do, and the exact errors. The cmdlets run as nobody (uid/gid 65534, no
# groups, no capabilities) inside a network namespace of the test's own, so that a write that wrongly succeeded would
# change only that namespace. The pinned pwsh lives in root's NuGet cache, which nobody cannot read: the test runs a
# hard-linked copy of it (made once per pwsh version) and a copy of the built module from a folder it creates.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipReason = if (-not (Test-KernelTestsAvailable)) { 'needs root and iproute2 (a network namespace, then a switch to nobody)' }
    elseif (-not (Get-Command setpriv -ErrorAction SilentlyContinue)) { 'needs setpriv (util-linux) to drop to nobody' }
    else { $null }

    # One row per attempt: the command (run as nobody in the test's namespace; $ns names it, $other a second namespace),
    # then either Works (with the least number of objects expected) or the exact error id, category and message.
    $script:hostCases = @(
        @{ Name = 'Get-NetInterface'; Command = 'Get-NetInterface'; Works = 2 }
        @{ Name = 'Get-NetAlias'; Command = 'Get-NetAlias -InterfaceName veth0'; Works = 1 }
        @{ Name = 'Get-Sysctl'; Command = 'Get-Sysctl net.ipv4.ip_forward'; Works = 1 }
        @{ Name = 'Get-IpForwarding'; Command = 'Get-IpForwarding'; Works = 1 }
        @{ Name = 'Add-LvsVirtualIp'; Command = 'Add-LvsVirtualIp -InterfaceName veth0 -IPAddress 10.9.0.50/24 -Confirm:$false'
            ErrorId = 'PermissionDenied'; Category = 'PermissionDenied'
            # refused before the kernel is asked: a writer first takes the namespace's writers' lock, which is root's
            MessageLike = "Changing the current network namespace needs root: the writers' lock /run/lvstools/lock/net-*.lock cannot be opened (*)." }
        @{ Name = 'Set-Sysctl'; Command = 'Set-Sysctl net.ipv4.ip_forward 1 -Confirm:$false'
            ErrorId = 'PermissionDenied'; Category = 'PermissionDenied'
            Message = "Cannot write sysctl 'net.ipv4.ip_forward': permission denied (writing kernel parameters needs root)." }
        @{ Name = 'Set-IpForwarding'; Command = 'Set-IpForwarding -Enabled $true -Confirm:$false'
            ErrorId = 'PermissionDenied'; Category = 'PermissionDenied'
            Message = "Cannot write sysctl 'net.ipv4.ip_forward': permission denied (writing kernel parameters needs root)." }
        @{ Name = 'Get-NetInterface -NetNamespace'; Command = 'Get-NetInterface -NetNamespace $other'
            ErrorId = 'PermissionDenied'; Category = 'PermissionDenied'
            MessageLike = "Cannot enter network namespace '*': Operation not permitted (CAP_SYS_ADMIN is needed: run as root)." }
    )

}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # A copy of $PSHOME that nobody can read: hard links into a folder of ours (fast, no extra space), made once per
    # pwsh version and kept for later runs. The files themselves are already world-readable; only root's home is not.
    function Get-ReadablePwsh {
        $version = $PSVersionTable.PSVersion.ToString()
        $dir = Join-Path ([IO.Path]::GetTempPath()) "lvstools-pwsh-$version"
        if (-not (Test-Path "$dir/.complete")) {
            if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
            & cp -al $PSHOME $dir 2>$null
            if ($LASTEXITCODE) { & cp -a $PSHOME $dir } # another file system: a real copy
            & chmod -R o+rX $dir
            Set-Content "$dir/.complete" $version
        }
        $dir
    }

    # Runs rows of cases as nobody inside $Namespace; returns one result per case (Name, Count, ErrorId, Category, Message).
    function Invoke-AsNobody([string] $Namespace, [string] $Other, [hashtable[]] $Cases) {
        $pwsh = Get-ReadablePwsh
        $work = Join-Path ([IO.Path]::GetTempPath()) ('lvstools-priv-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path "$work/home" -Force | Out-Null
        $moduleDir = Split-Path (Get-LvsModulePath) -Parent
        Copy-Item $moduleDir "$work/LvsTools" -Recurse
        $Cases | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Command = $_.Command } } | ConvertTo-Json -AsArray | Set-Content "$work/cases.json"
        @'
param([string] $Module, [string] $CasesFile, [string] $ns, [string] $other)
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$results = foreach ($c in (Get-Content $CasesFile -Raw | ConvertFrom-Json)) {
    $err = $null; $objects = @()
    # Stop: a non-terminating error (WriteError) must be caught too; a script block takes no -ErrorAction of its own.
    try { $ErrorActionPreference = 'Stop'; $objects = @(& ([scriptblock]::Create($c.Command))) } catch { $err = $_ }
    finally { $ErrorActionPreference = 'Continue' }
    [pscustomobject]@{
        Name = $c.Name; Count = $objects.Count; Uid = (id -u)
        ErrorId = $err ? $err.FullyQualifiedErrorId.Split(',')[0] : $null
        Category = $err ? "$($err.CategoryInfo.Category)" : $null
        Message = $err ? $err.Exception.Message : $null
    }
}
$results | ConvertTo-Json -AsArray -Compress
'@ | Set-Content "$work/run.ps1"
        & chmod -R o+rX $work
        & chown -R 65534:65534 "$work/home"
        # The dotnet host (world-readable), not this process's apphost: pwsh may run as `dotnet pwsh` or as the tool's own
        # apphost under root's home, which nobody can reach. The runtime directory is <root>/shared/Microsoft.NETCore.App/<v>/.
        $dotnet = Join-Path ([IO.Path]::GetFullPath((Join-Path ([Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()) '../../..'))) 'dotnet'
        try {
            $json = & ip netns exec $Namespace setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all `
                env "HOME=$work/home" DOTNET_CLI_TELEMETRY_OPTOUT=1 POWERSHELL_TELEMETRY_OPTOUT=1 `
                $dotnet "$pwsh/pwsh.dll" -NoLogo -NoProfile -NonInteractive -File "$work/run.ps1" `
                -Module "$work/LvsTools/LvsTools.psd1" -CasesFile "$work/cases.json" -ns $Namespace -other $Other 2>"$work/stderr"
            $line = @($json | Where-Object { $_ -like '`[*' }) | Select-Object -Last 1
            if ($LASTEXITCODE -or -not $line) {
                throw "the unprivileged pwsh exited with $LASTEXITCODE`: $($json | Out-String) $(Get-Content "$work/stderr" -Raw -ErrorAction SilentlyContinue)"
            }
            $line | ConvertFrom-Json
        }
        finally {
            Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'An unprivileged user on the host kernel' -Tag Privileges -Skip:($null -ne $skipReason) {
    BeforeAll {
        $ns = New-TestNamespace
        $other = New-TestNamespace -NoVeth
        ip -n $ns addr add 10.9.0.1/24 dev veth0
        $before = Get-AddressSnapshot $ns | Out-String
        $sysctlBefore = ip netns exec $ns cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/forwarding
        $results = @{}
        foreach ($r in (Invoke-AsNobody $ns $other $hostCases)) { $results[$r.Name] = $r }
    }
    AfterAll {
        Remove-TestNamespace $ns
        Remove-TestNamespace $other
    }

    It 'really runs as nobody' {
        $results.Values | ForEach-Object { $_.Uid | Should -Be '65534' }
    }

    It '<Name>' -ForEach $hostCases {
        $r = $results[$Name]
        $r | Should -Not -BeNullOrEmpty
        if ($Works) {
            $r.ErrorId | Should -BeNullOrEmpty -Because $r.Message
            $r.Count | Should -BeGreaterOrEqual $Works
        }
        else {
            $r.ErrorId | Should -BeExactly $ErrorId
            $r.Category | Should -BeExactly $Category
            if ($Message) { $r.Message | Should -BeExactly $Message }
            else { $r.Message | Should -BeLike $MessageLike }
        }
    }

    It 'changed nothing in the namespace' {
        Get-AddressSnapshot $ns | Out-String | Should -BeExactly $before
        ip netns exec $ns cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/forwarding | Should -Be $sysctlBefore
    }
}
