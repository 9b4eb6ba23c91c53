# End-to-end: real HTTP traffic through an LVS director that only LvsTools' cmdlets configured.
#
# Each Describe builds one lab (New-LvsLab: network namespaces, links, routes and the module's HTTP servers -
# plumbing, and ip_forward on a NAT director) and then sets the VIPs, the real servers' role and the IPVS services
# with the product's cmdlets. ip / ipvsadm appear only as independent cross-checks. IPVS exists only in the
# User-mode Linux kernel (tests/Uml/uml-run.sh); on the host these tests are skipped.
#
# The Its of a Describe share one lab and one kernel table and run in order. Every request sent is tallied
# (Send-Traffic), so the statistics tests know what the counters must say whatever ran before them (and send traffic
# of their own when run alone); the weight-0 test comes last in its Context because it changes the rotation.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $python = if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' }
    $script:skipTraffic = -not ((Test-IpvsAvailable) -and (Test-KernelTestsAvailable) -and (Test-Path $python))
}

AfterAll { $env:LVSTOOLS_ROLE_STATE_DIR = $script:roleStateBefore }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'LabTraffic.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    # Enable-LvsRealServerRole records what it changed: in the test's own folder, not the machine's.
    $script:roleStateBefore = $env:LVSTOOLS_ROLE_STATE_DIR
    $env:LVSTOOLS_ROLE_STATE_DIR = Join-Path $TestDrive 'role-state'

    # Sends COUNT requests from the lab's client and adds what answered to $Tally (@{ total; failed; rs1; rs2; ... }).
    function Send-Traffic {
        param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [hashtable] $Tally, [int] $Count = 10, [string] $Address)
        $p = @{ Lab = $Lab; Count = $Count }
        if ($Address) { $p.Address = $Address }
        $r = Invoke-LvsLabRequest @p
        $Tally.total = ($Tally.total ?? 0) + $Count
        $Tally.failed = ($Tally.failed ?? 0) + $r.Summary.Failed
        foreach ($k in $r.Summary.Servers.Keys) { $Tally[$k] = ($Tally[$k] ?? 0) + $r.Summary.Servers[$k] }
        $r
    }

    # The service (Get-LvsService) and its real servers (| Get-LvsRealServer), read until the service has counted
    # $Connections connections and its real servers add up to as many. The kernel folds its per-CPU counters into
    # the reported ones about every 2 s; with no traffic in flight the counters cannot move past the target.
    function Wait-LvsCounters {
        param([string] $Namespace, [string] $Vip, [int] $Port, [long] $Connections, [int] $TimeoutSec = 12)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while ($true) {
            $svc = Get-LvsService -NetNamespace $Namespace -VirtualAddress $Vip -Port $Port -ErrorAction Stop
            $rs = @($svc | Get-LvsRealServer -ErrorAction Stop)
            $sum = ($rs | ForEach-Object { $_.Statistics.Connections } | Measure-Object -Sum).Sum
            if (($svc.Statistics.Connections -eq $Connections -and $sum -eq $Connections) -or [DateTime]::UtcNow -gt $deadline) {
                return [pscustomobject]@{ Service = $svc; RealServers = $rs }
            }
            Start-Sleep -Milliseconds 500
        }
    }

    # The lab's name (rs1, rs2, ...) of a real server address.
    function Get-LabServerName($Lab, $Address) { $Lab.RealServerNames[[array]::IndexOf([string[]]@($Lab.RealServerAddresses | ForEach-Object { "$_" }), "$Address")] }
}

Describe 'LVS-NAT: real HTTP traffic through a director configured by LvsTools' -Tag Kernel -Skip:$skipTraffic {
    BeforeAll {
        $lab = New-LvsLab -Mode Nat
        $d = $lab.Director
        try {
            # The director routes between the client side and the real servers: net.ipv4.ip_forward=1 (New-LvsLab
            # turns it on in a NAT lab; the cmdlet must say so and keep it).
            $forwarding = Set-IpForwarding -NetNamespace $d -Enabled $true -PassThru -ErrorAction Stop
        } catch { Remove-LvsLab $lab; $lab = $null; throw }
    }
    AfterAll { if ($lab) { Remove-LvsLab $lab } }

    It 'turns on IP forwarding in the director' {
        $forwarding.Enabled | Should -Be $true
        $forwarding.NetNamespace | Should -Be $d
        (Get-IpForwarding -NetNamespace $d -AddressFamily IPv4).Enabled | Should -Be $true
    }

    Context 'a round-robin service built step by step' {
        BeforeAll {
            $vip = "$($lab.Vip)"
            $tally = @{}
            $alias = Add-LvsVirtualIp -NetNamespace $d -InterfaceName $lab.VipInterface -IPAddress $vip -PrefixLength 32 -ErrorAction Stop
            $service = New-LvsService -NetNamespace $d -Protocol Tcp -VirtualAddress $vip -Port $lab.Port -Scheduler rr -ErrorAction Stop
            $added = @($lab.RealServerAddresses | ForEach-Object {
                    Add-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort $lab.Port -Address $_ -ForwardingMethod Masquerade -ErrorAction Stop
                })
        }

        It 'puts the VIP on the director as an eth0:1 alias' {
            $alias.Label | Should -Be "$($lab.VipInterface):1"
            $alias.PrefixLength | Should -Be 32
            $ip = (Get-IpAddressJson $d $lab.VipInterface).addr_info | Where-Object local -EQ $vip
            $ip.prefixlen | Should -Be 32
            $ip.label | Should -Be $alias.Label
        }

        It 'creates the service and its masquerading real servers, as ipvsadm -Ln shows them' {
            $service.Scheduler | Should -Be 'rr'
            $service.NetNamespace | Should -Be $d
            $added | Should -HaveCount 2
            $added.ForwardingMethod | Should -Be @('Masquerade', 'Masquerade')
            $text = (Invoke-NetnsCommand $d ipvsadm, -Ln) -join "`n"
            $text | Should -Match ('TCP\s+{0}:{1} rr' -f [regex]::Escape($vip), $lab.Port)
            foreach ($a in $lab.RealServerAddresses) { $text | Should -Match ('->\s+{0}:{1}\s+Masq\s+1\s' -f [regex]::Escape($a), $lab.Port) }
        }

        It 'spreads 10 new connections 5/5 over both real servers' {
            $r = Send-Traffic -Lab $lab -Tally $tally -Count 10
            $r.Summary.Failed | Should -Be 0 -Because ($r.Requests | Out-String)
            $r.Summary.Servers.rs1 | Should -Be 5
            $r.Summary.Servers.rs2 | Should -Be 5
            $r.Requests.ClientAddress | ForEach-Object { "$_" } | Should -Be (, "$($lab.ClientAddress)" * 10) -Because 'NAT keeps the client address'
        }

        It 'counts every connection in the service and real-server statistics' {
            if (-not $tally.total) { $null = Send-Traffic -Lab $lab -Tally $tally -Count 10 }   # run alone
            $c = Wait-LvsCounters -Namespace $d -Vip $vip -Port $lab.Port -Connections $tally.total
            $c.Service.Statistics.Connections | Should -Be $tally.total
            $c.Service.Statistics.InPackets | Should -BeGreaterThan 0
            $c.Service.Statistics.OutPackets | Should -BeGreaterThan 0 -Because 'NAT answers pass back through the director'
            $c.RealServers | Should -HaveCount 2
            foreach ($rs in $c.RealServers) {
                $name = Get-LabServerName $lab $rs.Address
                $rs.Statistics.Connections | Should -Be $tally[$name] -Because "$name answered $($tally[$name]) requests"
            }
            # Cross-check with ipvsadm's exact counters.
            $line = Invoke-NetnsCommand $d ipvsadm, -Ln, --stats, --exact | Where-Object { $_ -match '^TCP\s' }
            (-split $line)[2] | Should -Be "$($tally.total)"
        }

        It 'weight 0 takes a server out of rotation: every new connection goes to the other' {
            $rs1 = "$($lab.RealServerAddresses[0])"
            Get-LvsService -NetNamespace $d -VirtualAddress $vip -Port $lab.Port | Get-LvsRealServer -Address $rs1 | Set-LvsRealServer -Weight 0 -ErrorAction Stop
            (Get-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort $lab.Port -Address $rs1).Weight | Should -Be 0
            $r = Send-Traffic -Lab $lab -Tally $tally -Count 6
            $r.Summary.Failed | Should -Be 0 -Because ($r.Requests | Out-String)
            $r.Summary.Servers.rs1 | Should -Be 0
            $r.Summary.Servers.rs2 | Should -Be 6
        }
    }

    Context "the issue's pipeline: Add-LvsVirtualIp | New-LvsService | Add-LvsRealServer" {
        # A second VIP on the same director, so that this service lives next to the one above.
        BeforeAll {
            $vip2 = '10.76.0.101'   # on the client's network, beside the VIP
            $tally = @{}
            $out = @(Add-LvsVirtualIp -NetNamespace $d -InterfaceName $lab.VipInterface -IPAddress $vip2 -PrefixLength 32 |
                    New-LvsService -Protocol Tcp -Port $lab.Port -Scheduler wrr |
                    Add-LvsRealServer -Address $lab.RealServerAddresses[0], $lab.RealServerAddresses[1] -Port $lab.Port -ForwardingMethod Masquerade -Weight 3)
        }

        It 'creates the wrr service in the director with both real servers at weight 3' {
            $out | Should -HaveCount 2
            $out | ForEach-Object { $_ | Should -BeOfType ([LvsTools.LvsRealServer]) }
            $out | ForEach-Object { "$($_.Address)" } | Should -Be @($lab.RealServerAddresses | ForEach-Object { "$_" })
            $out.Weight | Should -Be @(3, 3)
            $out.ForwardingMethod | Should -Be @('Masquerade', 'Masquerade')
            $out.NetNamespace | Should -Be @($d, $d)
            $svc = Get-LvsService -NetNamespace $d -VirtualAddress $vip2 -Port $lab.Port
            $svc.Scheduler | Should -Be 'wrr'
            $svc.Protocol | Should -Be 'Tcp'
            (Get-NetAlias -NetNamespace $d -IPAddress $vip2).PrefixLength | Should -Be 32
        }

        It 'sends real traffic to both real servers' {
            $r = Send-Traffic -Lab $lab -Tally $tally -Count 10 -Address $vip2
            $r.Summary.Failed | Should -Be 0 -Because ($r.Requests | Out-String)
            $r.Summary.Servers.rs1 | Should -BeGreaterThan 0
            $r.Summary.Servers.rs2 | Should -BeGreaterThan 0
            $r.Summary.Servers.rs1 + $r.Summary.Servers.rs2 | Should -Be 10
        }
    }
}

Describe 'LVS-DR: real HTTP traffic with direct routing, configured by LvsTools' -Tag Kernel -Skip:$skipTraffic {
    BeforeAll {
        $lab = New-LvsLab -Mode DirectRouting
        $d = $lab.Director
        $vip = "$($lab.Vip)"
        $tally = @{}
        try {
            # Real servers: the role (the ARP switches first, so they never answer ARP for the VIP, then the VIP on lo as /32).
            $roles = @($lab.RealServers | ForEach-Object {
                    Enable-LvsRealServerRole -NetNamespace $_ -VirtualAddress $vip -Mode DirectRouting -ErrorAction Stop
                })
            $rsVips = @($lab.RealServers | ForEach-Object { Get-NetAlias -NetNamespace $_ -IPAddress $vip -ErrorAction Stop })
            # Director: the VIP on its client-facing interface, the service, direct-routing real servers.
            $null = Add-LvsVirtualIp -NetNamespace $d -InterfaceName $lab.VipInterface -IPAddress $vip -PrefixLength 32 -ErrorAction Stop
            $service = New-LvsService -NetNamespace $d -VirtualAddress $vip -Port $lab.Port -Scheduler rr -ErrorAction Stop
            $added = @($service | Add-LvsRealServer -Address @($lab.RealServerAddresses | ForEach-Object { "$_" }) -ForwardingMethod Route -ErrorAction Stop)
        } catch { Remove-LvsLab $lab; $lab = $null; throw }
    }
    AfterAll { if ($lab) { Remove-LvsLab $lab } }

    It 'sets arp_ignore=1 and arp_announce=2 on each real server' {
        $roles.Changed.Command | Where-Object { $_ -like 'sysctl -w *' } | Should -HaveCount (4 * $lab.RealServers.Count)
        foreach ($ns in $lab.RealServers) {
            (Get-Sysctl -NetNamespace $ns -Name net.ipv4.conf.eth0.arp_ignore).Value | Should -Be '1'
            (Get-Sysctl -NetNamespace $ns -Name net.ipv4.conf.eth0.arp_announce).Value | Should -Be '2'
        }
        # Cross-check in one real server (one process: each costs about a second in UML), with its VIP on lo.
        $lines = @(Invoke-NetnsCommand $lab.RealServers[0] sh, -c,
            'cat /proc/sys/net/ipv4/conf/eth0/arp_ignore /proc/sys/net/ipv4/conf/eth0/arp_announce; ip -4 -o addr show dev lo')
        $lines[0..1] | Should -Be @('1', '2')
        $lines -join "`n" | Should -Match ('inet {0}/32 .*lo:1' -f [regex]::Escape($vip))
    }

    It 'puts the VIP on lo of every real server as lo:1 /32' {
        $rsVips | Should -HaveCount $lab.RealServers.Count
        $rsVips.Label | Should -Be (, 'lo:1' * $lab.RealServers.Count)
        $rsVips.PrefixLength | Should -Be (, 32 * $lab.RealServers.Count)
        $rsVips.NetNamespace | Should -Be $lab.RealServers
    }

    It 'adds the real servers with direct routing' {
        $added | Should -HaveCount 2
        $added.ForwardingMethod | Should -Be @('Route', 'Route')
        (Invoke-NetnsCommand $d ipvsadm, -Ln) -join "`n" | Should -Match ('->\s+{0}:{1}\s+Route\s+1\s' -f [regex]::Escape($lab.RealServerAddresses[0]), $lab.Port)
    }

    It 'answers from both real servers, which see the client address' {
        $r = Send-Traffic -Lab $lab -Tally $tally -Count 10
        $r.Summary.Failed | Should -Be 0 -Because ($r.Requests | Out-String)
        $r.Summary.Servers.rs1 | Should -Be 5
        $r.Summary.Servers.rs2 | Should -Be 5
        $r.Requests.ClientAddress | ForEach-Object { "$_" } | Should -Be (, "$($lab.ClientAddress)" * 10)
    }

    It 'counts the connections in the director, which sees no answers' {
        if (-not $tally.total) { $null = Send-Traffic -Lab $lab -Tally $tally -Count 10 }   # run alone
        $c = Wait-LvsCounters -Namespace $d -Vip $vip -Port $lab.Port -Connections $tally.total
        $c.Service.Statistics.Connections | Should -Be $tally.total
        $c.Service.Statistics.InPackets | Should -BeGreaterThan 0
        $c.Service.Statistics.OutPackets | Should -Be 0 -Because 'with direct routing the answers bypass the director'
        foreach ($rs in $c.RealServers) {
            $rs.Statistics.Connections | Should -Be $tally[(Get-LabServerName $lab $rs.Address)]
        }
    }
}
