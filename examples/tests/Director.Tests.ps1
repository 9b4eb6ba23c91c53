# The example project's tests: the director script against a real IPVS kernel, in a throw-away LVS-DR lab.
# Run them where the kernel has IPVS:        Invoke-Pester ./examples/tests
# or anywhere user-mode-linux is installed:  Invoke-LvsLab -Path ./examples -- Invoke-Pester ./tests -CI
BeforeAll {
    $project = Split-Path $PSScriptRoot -Parent
    $lab = New-LvsLab -Mode DirectRouting -RealServerCount 3 -Port 80
    # The real servers' side of LVS-DR: the VIP on lo and the ARP switches, in the right order.
    foreach ($rs in $lab.RealServers) {
        Enable-LvsRealServerRole -NetNamespace $rs -VirtualAddress $lab.Vip -Mode DirectRouting -Interface eth0 | Out-Null
    }
    & (Join-Path $project 'deploy-director.ps1') -NetNamespace $lab.Director
}
AfterAll { $lab | Remove-LvsLab }

Describe 'The director that deploy-director.ps1 builds' {
    It 'matches the committed configuration' {
        Compare-LvsConfiguration -NetNamespace $lab.Director -Path (Join-Path $project 'lb.json') | Should -BeNullOrEmpty
        Test-LvsConfiguration -NetNamespace $lab.Director -Path (Join-Path $project 'lb.json') | Should -BeTrue
    }

    It 'spreads connections over every real server' {
        $r = Invoke-LvsLabRequest -Lab $lab -Count 30
        $r.Summary.Failed | Should -Be 0
        $r.Requests.Server | Sort-Object -Unique | Should -HaveCount 3
    }

    It 'is idempotent: deploying again changes nothing' {
        $again = & (Join-Path $project 'deploy-director.ps1') -NetNamespace $lab.Director
        @($again.Steps | Where-Object Status -EQ 'Applied').Count | Should -Be 0
    }

    It 'shows drift made by hand, and deploying again repairs it' {
        Get-LvsService -NetNamespace $lab.Director -Port 80 | Get-LvsRealServer -Address 10.77.1.2 | Set-LvsRealServer -Weight 0 -Confirm:$false
        $drift = @(Compare-LvsConfiguration -NetNamespace $lab.Director -Path (Join-Path $project 'lb.json'))
        $drift.Kind | Should -Be 'Different'
        $drift.Property | Should -Be 'Weight'
        (Invoke-LvsLabRequest -Lab $lab -Count 12).Summary.Servers.rs2 | Should -Be 0 -Because 'weight 0 takes no new connections'
        & (Join-Path $project 'deploy-director.ps1') -NetNamespace $lab.Director | Out-Null
        Test-LvsConfiguration -NetNamespace $lab.Director -Path (Join-Path $project 'lb.json') | Should -BeTrue
    }
}
