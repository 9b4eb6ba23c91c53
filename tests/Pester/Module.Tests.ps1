# The module as a package: manifest, exports, help. No kernel needed.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = Import-PowerShellDataFile (Get-LvsModulePath)
    $script:cmdlets = $manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:modulePath = Get-LvsModulePath
    Import-Module $modulePath -Force
}

Describe 'LvsTools module' {
    It 'has a valid manifest' {
        $m = Test-ModuleManifest -Path $modulePath
        $m.Name | Should -Be 'LvsTools'
        $m.PowerShellVersion | Should -Be ([version]'7.4')
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $declared = (Import-PowerShellDataFile $modulePath).CmdletsToExport | Sort-Object
        $exported = (Get-Command -Module LvsTools -CommandType Cmdlet).Name | Sort-Object
        $exported | Should -Be $declared
    }

    It 'ships the about topic' {
        (Get-Help about_LvsTools | Out-String) | Should -Match 'LvsTools'
    }

    It 'ships the testing about topic' {
        (Get-Help about_LvsTools_Testing | Out-String) | Should -Match 'New-LvsLab'
    }
}

Describe '<Name> help' -ForEach $cmdlets {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command -Name $Name -Module LvsTools   # the module's own command, whatever else is loaded
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$Name *" -Because 'without help, Get-Help shows the syntax as the synopsis'
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code' {
        @($help.examples.example).Count | Should -BeGreaterThan 0
        $help.examples.example[0].code | Should -Not -BeNullOrEmpty
    }

    It 'documents every parameter' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $documented = @($help.parameters.parameter | Where-Object { $_.description } | ForEach-Object name)
        foreach ($p in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $documented | Should -Contain $p -Because "-$p of $Name needs help"
        }
    }

    It 'supports -WhatIf when it changes state' {
        if ($command.Verb -in 'Add', 'Remove', 'Set', 'New', 'Clear', 'Start', 'Stop', 'Reset', 'Import', 'Sync') {
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            $command.Parameters.Keys | Should -Contain 'Confirm'
        }
    }

    It 'declares its output type' {
        if ($command.Verb -in 'Get', 'Add', 'New') {
            $command.OutputType | Should -Not -BeNullOrEmpty
        }
    }
}
