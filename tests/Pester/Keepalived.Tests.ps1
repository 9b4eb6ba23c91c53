# keepalived, the reference: the harness (tests/Pester/Keepalived.psm1) drives Debian's keepalived 2.2.7 inside an
# LvsLab director namespace and records the IPVS table's transitions, so the controller's tests can hold
# Start-LvsController to keepalived's own numbers. These tests prove the harness: the configuration it writes is
# one keepalived accepts, and in the UML kernel keepalived's checks move the weights as keepalived documents
# (a killed real server goes to weight 0 and comes back; an HTTP check that does not match takes a server out;
# quorum lost puts the sorry server in) while a client keeps sending requests. keepalived's measured times are
# printed (Write-Host) for the record.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Keepalived.psm1') -Force
    $python = if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' }
    $script:noKeepalived = -not (Test-KeepalivedAvailable)
    $script:skipTraffic = $script:noKeepalived -or -not ((Test-IpvsAvailable) -and (Test-KernelTestsAvailable) -and (Test-Path $python))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Keepalived.psm1') -Force
}

Describe 'the keepalived configuration the harness writes' -Skip:$noKeepalived {
    It 'is one keepalived -t accepts, for TCP_CHECK, HTTP_GET and MISC_CHECK with quorum and a sorry server' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) ('lvst-ka-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $dir
        try {
            $conf = New-KeepalivedConfig -VirtualServer @(
                (New-KeepalivedVirtualServer -VirtualAddress 192.0.2.100 -Port 8080 -RealServer 10.77.0.11, 10.77.0.12 -Interval 1 -Fall 2),
                (New-KeepalivedVirtualServer -VirtualAddress 192.0.2.100 -Port 8081 -RealServer 10.77.0.11 -Check Http -Path /health -ExpectStatus 200, 204 -ExpectBody '^rs[0-9]' -Quorum 1 -Hysteresis 0 -SorryServer 10.77.0.13 -Alpha),
                (New-KeepalivedVirtualServer -VirtualAddress 192.0.2.100 -Port 8082 -RealServer 10.77.0.12 -Check Command -CommandPath /bin/true -Remove))
            $path = Join-Path $dir 'k.conf'
            [IO.File]::WriteAllText($path, $conf)
            $out = & (Get-KeepalivedPath) -t -f $path 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            $conf | Should -Match 'retry 1\b'          # fall 2 = the first failure + 1 retry
            $conf | Should -Match 'delay_before_retry 1\b'
            $conf | Should -Match 'inhibit_on_failure'
            $conf | Should -Match 'sorry_server 10\.77\.0\.13 8081'
            $conf | Should -Match 'status_code 200 204'
            ($conf -split "`n" | Where-Object { $_ -match 'inhibit_on_failure' }).Count | Should -Be 3   # 2 + 1, none in the -Remove service
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force }
    }
}

Describe 'keepalived in the UML kernel, with a client sending requests in a loop' -Tag Kernel -Skip:$skipTraffic {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'LabTraffic.psm1') -Force
        Import-Module (Get-LvsModulePath) -Force
        # rs1, rs2 serve; rs3 is the sorry server. Interval 1 s, fall 2 (keepalived: delay_loop 1, retry 1,
        # delay_before_retry 1), connect timeout 1 s.
        $lab = New-LvsLab -Mode Nat -RealServerCount 3 -Port 8080
        $d = $lab.Director
        $rs1 = "$($lab.RealServerAddresses[0]):$($lab.Port)"
        $rs2 = "$($lab.RealServerAddresses[1]):$($lab.Port)"
        $rs3 = "$($lab.RealServerAddresses[2]):$($lab.Port)"
        $serving = $lab.RealServerAddresses[0..1]
        $run = Join-Path $TestDrive 'keepalived'
        try {
            $null = Set-IpForwarding -NetNamespace $d -Enabled $true -ErrorAction Stop
            $null = Add-LvsVirtualIp -NetNamespace $d -InterfaceName $lab.VipInterface -IPAddress $lab.Vip -PrefixLength 32 -ErrorAction Stop
            $sampler = Start-IpvsSampler -Namespace $d -Path (Join-Path $TestDrive 'table.tsv') -IntervalMs 100
            $loop = Start-LabTraffic $lab -ModulePath (Get-LvsModulePath) -IntervalSec 0.05

            # 1. TCP_CHECK: kill rs1, wait for weight 0, start it again, wait for weight 1.
            $ka = Start-Keepalived -Namespace $d -Directory $run -Name tcp -Config (New-KeepalivedConfig -VirtualServer (
                    New-KeepalivedVirtualServer -VirtualAddress $lab.Vip -Port $lab.Port -RealServer $serving -Interval 1 -Fall 2 -Timeout 1))
            $up1 = Wait-IpvsWeight -Sampler $sampler -RealServer $rs1 -Weight 1 -TimeoutSec 30
            $up2 = Wait-IpvsWeight -Sampler $sampler -RealServer $rs2 -Weight 1 -TimeoutSec 30
            Start-Sleep -Seconds 2
            $killedAt = Get-UnixTime; Set-LvsLabServer -Lab $lab -Index 0 -State Down
            $down = Wait-IpvsWeight -Sampler $sampler -RealServer $rs1 -Weight 0 -Since $killedAt -TimeoutSec 30
            Start-Sleep -Seconds 3
            Set-LvsLabServer -Lab $lab -Index 0 -State Up; $restartedAt = Get-UnixTime
            $back = Wait-IpvsWeight -Sampler $sampler -RealServer $rs1 -Weight 1 -Since $restartedAt -TimeoutSec 30
            Start-Sleep -Seconds 1
            $tcpEnd = Get-UnixTime
            $tcpStop = Stop-Keepalived $ka
            $gone = Wait-IpvsWeight -Sampler $sampler -RealServer $rs2 -Absent -Since $tcpEnd -TimeoutSec 10
            $tcpRequests = @(Get-LabTraffic $loop -Since $killedAt | Where-Object Time -LT $tcpEnd)

            # 2. HTTP_GET whose answer must match the regex rs2: rs1 answers "rs1", so it goes to 0; rs2 stays.
            $t = Get-UnixTime
            $ka = Start-Keepalived -Namespace $d -Directory $run -Name body -Config (New-KeepalivedConfig -VirtualServer (
                    New-KeepalivedVirtualServer -VirtualAddress $lab.Vip -Port $lab.Port -RealServer $serving -Check Http -ExpectBody 'rs2' -Interval 1 -Fall 2 -Timeout 1))
            $bodyDown = Wait-IpvsWeight -Sampler $sampler -RealServer $rs1 -Weight 0 -Since $t -TimeoutSec 30
            Start-Sleep -Seconds 3
            $bodyTable = @(Get-IpvsTransition -Sampler $sampler -Since $t)
            $bodyEnd = Get-UnixTime
            $null = Stop-Keepalived $ka
            $bodyLog = [IO.File]::ReadAllText($ka.LogPath)
            $bodyRequests = @(Get-LabTraffic $loop -Since ($bodyDown.Time + 0.05) | Where-Object Time -LT $bodyEnd)

            # 3. HTTP_GET expecting 204: both answer 200, so both go to 0.
            $t = Get-UnixTime
            $ka = Start-Keepalived -Namespace $d -Directory $run -Name status -Config (New-KeepalivedConfig -VirtualServer (
                    New-KeepalivedVirtualServer -VirtualAddress $lab.Vip -Port $lab.Port -RealServer $serving -Check Http -ExpectStatus 204 -Interval 1 -Fall 2 -Timeout 1))
            $status1 = Wait-IpvsWeight -Sampler $sampler -RealServer $rs1 -Weight 0 -Since $t -TimeoutSec 30
            $status2 = Wait-IpvsWeight -Sampler $sampler -RealServer $rs2 -Weight 0 -Since $t -TimeoutSec 30
            $null = Stop-Keepalived $ka

            # 4. Quorum 2 (weights 1 + 1) with rs3 as the sorry server: kill rs1, quorum is lost and rs3 comes in;
            #    rs1 back, quorum regained and rs3 goes out.
            $t = Get-UnixTime
            $ka = Start-Keepalived -Namespace $d -Directory $run -Name quorum -Config (New-KeepalivedConfig -VirtualServer (
                    New-KeepalivedVirtualServer -VirtualAddress $lab.Vip -Port $lab.Port -RealServer $serving -Interval 1 -Fall 2 -Timeout 1 -Quorum 2 -SorryServer $lab.RealServerAddresses[2]))
            $null = Wait-IpvsWeight -Sampler $sampler -RealServer $rs1 -Weight 1 -Since $t -TimeoutSec 30
            Start-Sleep -Seconds 2
            $qKilledAt = Get-UnixTime; Set-LvsLabServer -Lab $lab -Index 0 -State Down
            $sorryIn = Wait-IpvsWeight -Sampler $sampler -RealServer $rs3 -Weight 1 -Since $qKilledAt -TimeoutSec 30
            Start-Sleep -Seconds 2
            $sorryAnswers = @(Get-LabTraffic $loop -Since ($sorryIn.Time + 0.05))
            Set-LvsLabServer -Lab $lab -Index 0 -State Up; $qRestartedAt = Get-UnixTime
            $sorryOut = Wait-IpvsWeight -Sampler $sampler -RealServer $rs3 -Absent -Since $qRestartedAt -TimeoutSec 30
            Start-Sleep -Seconds 2
            $afterQuorum = @(Get-LabTraffic $loop -Since ($sorryOut.Time + 0.05))
            $null = Stop-Keepalived $ka
        } catch {
            if ($ka) { $null = Stop-Keepalived $ka }
            if ($loop) { Stop-LabTraffic $loop }
            if ($sampler) { Stop-IpvsSampler $sampler }
            Remove-LvsLab $lab
            $lab = $null
            throw
        }
        Stop-LabTraffic $loop
        Stop-IpvsSampler $sampler
        $fmt = { param($x) ([double]$x).ToString('0.00', [Globalization.CultureInfo]::InvariantCulture) }
    }
    AfterAll { if ($lab) { Remove-LvsLab $lab } }

    It 'TCP_CHECK: the killed real server is at weight 0 within fall x interval + 1 s (keepalived''s own time printed)' {
        $up1 | Should -Not -BeNullOrEmpty
        $up2 | Should -Not -BeNullOrEmpty
        $down | Should -Not -BeNullOrEmpty -Because 'keepalived must take the dead server out'
        $detect = $down.Time - $killedAt
        Write-Host "keepalived TCP_CHECK (delay_loop 1, retry 1): kill -> weight 0 in $(& $fmt $detect) s"
        $detect | Should -BeLessOrEqual 4.0   # fall x interval + 1 s, and 1 s for a loaded UML guest: the reference, not the product
    }

    It 'TCP_CHECK: after weight 0 no request fails, and every answer comes from rs2' {
        $after = @($tcpRequests | Where-Object { $_.Time -gt $down.Time -and $_.Time -lt $restartedAt })
        $after.Count | Should -BeGreaterThan 5
        @($after | Where-Object Error) | Should -BeNullOrEmpty
        @($after | Select-Object -ExpandProperty Server -Unique) | Should -Be @('rs2')
        $lost = @($tcpRequests | Where-Object { $_.Time -le $down.Time -and $_.Error }).Count
        Write-Host "keepalived TCP_CHECK: $lost requests failed between the kill and weight 0"
    }

    It 'TCP_CHECK: the restarted real server is back at weight 1 and gets traffic again' {
        $back | Should -Not -BeNullOrEmpty
        Write-Host "keepalived TCP_CHECK: restart -> weight 1 in $(& $fmt ($back.Time - $restartedAt)) s"
        ($back.Time - $restartedAt) | Should -BeLessOrEqual 4.0
        @($tcpRequests | Where-Object { $_.Time -gt $back.Time + 0.05 -and $_.Server -eq 'rs1' }).Count | Should -BeGreaterThan 0
    }

    It 'stops on SIGTERM and removes what it put in the table' {
        $tcpStop.Killed | Should -BeFalse
        $gone | Should -Not -BeNullOrEmpty
        Write-Host "keepalived: SIGTERM -> exited in $(& $fmt $tcpStop.Seconds) s"
    }

    It 'HTTP_GET whose body regex does not match takes that server out and keeps the other' {
        $bodyDown | Should -Not -BeNullOrEmpty
        @($bodyTable | Where-Object { $_.RealServer -eq $rs2 -and $_.Weight -eq 0 }) | Should -BeNullOrEmpty -Because $bodyLog
        @($bodyRequests | Where-Object Error) | Should -BeNullOrEmpty
        @($bodyRequests | Select-Object -ExpandProperty Server -Unique) | Should -Be @('rs2')
    }

    It 'HTTP_GET expecting a status that is not answered takes every server out' {
        $status1 | Should -Not -BeNullOrEmpty
        $status2 | Should -Not -BeNullOrEmpty
    }

    It 'quorum lost: the sorry server answers; regained: it is taken out' {
        $sorryIn | Should -Not -BeNullOrEmpty
        Write-Host "keepalived quorum 2: kill -> sorry server in after $(& $fmt ($sorryIn.Time - $qKilledAt)) s; restart -> sorry server out after $(& $fmt ($sorryOut.Time - $qRestartedAt)) s"
        $sorryAnswers.Count | Should -BeGreaterThan 3
        @($sorryAnswers | Select-Object -ExpandProperty Server -Unique) | Should -Be @('rs3')
        $sorryOut | Should -Not -BeNullOrEmpty
        $afterQuorum.Count | Should -BeGreaterThan 3
        @($afterQuorum | Where-Object { $_.Error -or $_.Server -eq 'rs3' }) | Should -BeNullOrEmpty
    }
}
