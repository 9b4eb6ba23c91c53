# The example user project (examples/) run as a user's CI runs it: Invoke-LvsLab -Path ./examples -- Invoke-Pester.
# Where the kernel has no IPVS (these machines), that boots the User-mode Linux kernel for the run. The same tests
# also run inside the UML suite's own boot (tests/Invoke-TestSuite.ps1), directly in a namespace lab.
BeforeDiscovery {
    $script:why = if ($env:LVSTOOLS_KERNEL -eq 'uml') { 'the kernel under test is User-mode Linux itself: UML cannot boot inside it (the UML suite runs examples/tests directly)' }
        elseif (-not (Test-Path /usr/bin/linux.uml)) { 'user-mode-linux is not installed (tools/install-prerequisites.sh)' }
        elseif ((id -u) -ne '0') { 'Invoke-LvsLab needs root' }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
}

Describe 'The example project through Invoke-LvsLab' -Skip:([bool]$why) {
    It 'passes its Pester tests in a real IPVS kernel, and Invoke-LvsLab returns their exit code' {
        $pester = Join-Path (Split-Path (Get-Module Pester | Select-Object -First 1).Path -Parent) 'Pester.psd1'
        $examples = Join-Path (Split-Path (Split-Path $PSScriptRoot -Parent) -Parent) 'examples'
        $run = [scriptblock]::Create("Import-Module '$pester'; `$c = New-PesterConfiguration; `$c.Run.Path = './tests'; `$c.Run.Exit = `$true; `$c.Output.Verbosity = 'Detailed'; Invoke-Pester -Configuration `$c")
        $output = @(Invoke-LvsLab -Path $examples -ScriptBlock $run -Timeout 00:20:00 -PassThru)
        $result = $output[-1]
        $text = ($output | Select-Object -SkipLast 1) -join "`n"
        Write-Host ($output | Select-Object -SkipLast 1 | Where-Object { $_ -match '^\s*\[[-+!]\]|Tests Passed' } | Out-String)
        $result.ExitCode | Should -Be 0 -Because $text
        $result.Kernel | Should -Be 'Uml'
        $text | Should -Match 'Tests Passed: 4, Failed: 0'
    }
}
