# The lab's HTTP servers run in one process per lab. Its host is the dotnet host running LvsTools.LabServer.dll when
# one is found, else pwsh loading the module's core assembly (a self-contained pwsh has no dotnet host);
# $env:LVSTOOLS_LAB_SERVER_HOST = 'pwsh' | 'dotnet' asks for one. These tests start a lab with each host on the host
# kernel (no IPVS needed), look at the process's command line in /proc, and reach every server directly.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipHost = -not (Test-KernelTestsAvailable)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:savedState = $env:LVSTOOLS_LAB_STATE
    $script:savedHost = $env:LVSTOOLS_LAB_SERVER_HOST
    $script:stateDir = Join-Path ([IO.Path]::GetTempPath()) ('lvst-labhost-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $env:LVSTOOLS_LAB_STATE = $stateDir
    $script:tag = 'lvst-' + [guid]::NewGuid().ToString('N').Substring(0, 6)

    function Get-CommandLine([int] $ProcessId) {
        @([IO.File]::ReadAllText("/proc/$ProcessId/cmdline").Split([char]0) | Where-Object { $_ })
    }
    # Ended: gone from /proc, or a zombie. The server is a child of this pwsh, and .NET reaps its children on SIGCHLD,
    # a moment after Remove-LvsLab saw it die: /proc/<pid> can outlive the process by that moment.
    function Test-ProcessRunning([int] $ProcessId) {
        $stat = try { [IO.File]::ReadAllText("/proc/$ProcessId/stat") } catch { return $false }
        $stat[$stat.LastIndexOf(')') + 2] -notin 'Z', 'X'
    }
    function Get-LabNamespaces([string] $Prefix) { @(ip netns list | ForEach-Object { ($_ -split ' ')[0] } | Where-Object { $_ -like "$Prefix*" }) }
}

AfterAll {
    $env:LVSTOOLS_LAB_SERVER_HOST = $savedHost
    Get-LvsLab -ErrorAction SilentlyContinue | Remove-LvsLab -ErrorAction SilentlyContinue
    foreach ($ns in (Get-LabNamespaces $tag)) { ip netns del $ns 2>$null }
    $env:LVSTOOLS_LAB_STATE = $savedState
    if (Test-Path $stateDir) { Remove-Item $stateDir -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'The lab server host (LVSTOOLS_LAB_SERVER_HOST)' -Skip:$skipHost {
    AfterEach { $env:LVSTOOLS_LAB_SERVER_HOST = $savedHost }

    It 'with <Value>, the servers run in <Expected> and every one answers; Set-LvsLabServer and Remove-LvsLab reach it' -ForEach @(
        @{ Value = 'pwsh'; Expected = 'pwsh'; Name = 'p' }
        @{ Value = 'dotnet'; Expected = 'dotnet'; Name = 'd' }
    ) {
        $env:LVSTOOLS_LAB_SERVER_HOST = $Value
        $lab = New-LvsLab -Mode Nat -RealServerCount 2 -SorryServer -Name "$tag-$Name" -Port 8080
        try {
            $cmd = Get-CommandLine $lab.ServerProcessId
            if ($Expected -eq 'pwsh') {
                Split-Path -Leaf $cmd[0] | Should -Be 'pwsh'
                $cmd | Should -Contain '-Command'
                ($cmd -join ' ') | Should -Match 'LabServerHost\]::Run'
                ($cmd -join ' ') | Should -Not -Match 'LvsTools\.LabServer\.dll'
            } else {
                Split-Path -Leaf $cmd[0] | Should -Be 'dotnet'
                ($cmd -join ' ') | Should -Match 'LvsTools\.LabServer\.dll'
            }
            ($cmd -join ' ') | Should -Match ([regex]::Escape($lab.StatePath)) -Because 'teardown finds the process by its state file'
            for ($i = 0; $i -lt 2; $i++) {
                $r = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[$i] -Count 2
                $r.Summary.Ok | Should -Be 2
                @($r.Requests.Server | Sort-Object -Unique) | Should -Be $lab.RealServerNames[$i]
            }
            (Invoke-LvsLabRequest -Lab $lab -Address $lab.SorryServerAddress).Requests[0].Server | Should -Be 'sorry'
            Set-LvsLabServer -Lab $lab -Name rs1 -State Down
            (Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0] -Timeout 2).Summary.Ok | Should -Be 0
            Set-LvsLabServer -Lab $lab -Name rs1 -State Up
            (Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0]).Requests[0].Server | Should -Be 'rs1'
        } finally {
            $serverPid = $lab.ServerProcessId
            $lab | Remove-LvsLab
        }
        Test-ProcessRunning $serverPid | Should -BeFalse -Because 'Remove-LvsLab ends the server process whatever its host'
        Get-LabNamespaces "$tag-$Name" | Should -BeNullOrEmpty
    }

    It 'an unknown host is InvalidLabServerHost (InvalidArgument) naming the value, and nothing is left behind' {
        $env:LVSTOOLS_LAB_SERVER_HOST = 'python'
        $err = $null
        try { New-LvsLab -Mode Nat -RealServerCount 1 -Name "$tag-bad" -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidLabServerHost,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$err" | Should -Match "'python'"
        Get-LvsLab -Name "$tag-bad" -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-LabNamespaces "$tag-bad" | Should -BeNullOrEmpty
    }
}
