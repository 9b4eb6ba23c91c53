# Export-LvsMetric's file handling and errors, in a namespace of the test's own. On the host (no IPVS) the read
# fails, which shows that a failed read leaves an existing file as it was; inside UML the empty namespace gives an
# empty text and the file is replaced. The real counters are checked in LvsDrain.Tests.ps1 (UML, with traffic).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipNs = -not (Test-KernelTestsAvailable)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Get-CmdletError, Assert-LvsError
}

Describe 'Export-LvsMetric -Path' -Skip:$skipNs {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $ipvs = Test-IpvsAvailable
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'refuses a folder that does not exist, before reading the kernel, and writes nothing' {
        $target = Join-Path $TestDrive 'no-such-folder/lvs.prom'
        $err = Get-CmdletError Export-LvsMetric @{ NetNamespace = $ns; Path = $target }
        Assert-LvsError $err 'LvsMetricFolderNotFound,LvsTools.Commands.ExportLvsMetricCommand' 'ObjectNotFound' $target
        $err[0].Exception.Message | Should -Match 'no-such-folder'
        Test-Path (Join-Path $TestDrive 'no-such-folder') | Should -BeFalse
    }

    It 'refuses a directory as the file' {
        $err = Get-CmdletError Export-LvsMetric @{ NetNamespace = $ns; Path = $TestDrive }
        Assert-LvsError $err 'PathIsDirectory,LvsTools.Commands.ExportLvsMetricCommand' 'InvalidArgument'
    }

    It 'replaces the file whole (empty table: empty text), or leaves it as it was when the read fails' {
        $file = Join-Path $TestDrive 'lvs.prom'
        Set-Content -Path $file -Value 'old' -NoNewline
        $err = Get-CmdletError Export-LvsMetric @{ NetNamespace = $ns; Path = $file }
        if ($ipvs) {
            $err | Should -BeNullOrEmpty
            (Get-Item $file).Length | Should -Be 0 -Because 'a namespace without services has no series'
        }
        else {
            Assert-LvsError $err 'IPVSNotInstalled,LvsTools.Commands.ExportLvsMetricCommand' 'NotInstalled'
            Get-Content -Raw $file | Should -Be 'old'
        }
        @(Get-ChildItem -Force $TestDrive -Filter '.lvs.prom*').Count | Should -Be 0 -Because 'no temporary file is left beside it'
    }

    It 'writes text to the pipeline without -Path (empty for an empty table)' {
        if (-not $ipvs) { Set-ItResult -Skipped -Because 'the host kernel has no IPVS to read' ; return }
        Export-LvsMetric -NetNamespace $ns | Should -Be ''
    }
}
