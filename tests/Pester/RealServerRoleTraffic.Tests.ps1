# End-to-end: LVS-DR and LVS-TUN real servers set up only by Enable-LvsRealServerRole answer real HTTP traffic through
# the VIP; without the ARP step, the real server answers ARP for the VIP (the problem the step prevents).
#
# One lab (New-LvsLab -Mode DirectRouting: client, director and two real servers on one bridge) and one
# sequence in BeforeAll (each process costs about a second in the UML guest); the Its read what it recorded.
# ARP answers are collected by a raw-socket probe (python3) in the client namespace (who answers "who has VIP?", by MAC).
# IPVS exists only in the User-mode Linux kernel (tests/Uml/uml-run.sh); on the host these tests are skipped.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $python = if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' }
    $script:skipTraffic = -not ((Test-IpvsAvailable) -and (Test-KernelTestsAvailable) -and (Test-Path $python))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'LabTraffic.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:stateBefore = $env:LVSTOOLS_ROLE_STATE_DIR
    $env:LVSTOOLS_ROLE_STATE_DIR = Join-Path $TestDrive 'role-state'

    # Sends one ARP request "who has ADDRESS" from IFACE and prints the MAC of every answer within 1.5 s, one a line.
    $script:ArpProbePy = @'
import socket, struct, sys, time
ifname, target, source = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind((ifname, 0))
mac = s.getsockname()[4]
arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton(source) + b'\x00' * 6 + socket.inet_aton(target)
s.send(b'\xff' * 6 + mac + struct.pack('!H', 0x0806) + arp)
s.settimeout(0.2)
seen, end = set(), time.time() + 1.5
while time.time() < end:
    try:
        data = s.recv(2048)
    except socket.timeout:
        continue
    if len(data) >= 42 and data[20:22] == b'\x00\x02' and data[28:32] == socket.inet_aton(target):
        seen.add(':'.join('%02x' % b for b in data[22:28]))
for m in sorted(seen):
    print(m)
'@
    function Get-ArpAnswer($Lab, [string] $Address) {
        $probe = Join-Path $TestDrive 'arp-probe.py'
        if (-not (Test-Path $probe)) { [IO.File]::WriteAllText($probe, $script:ArpProbePy) }
        $python = if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' }
        @(Invoke-NetnsCommand $Lab.Client @($python, '-I', '-S', $probe, 'eth0', $Address, "$($Lab.ClientAddress)"))
    }
    function Get-Mac([string] $Namespace) { (ip -n $Namespace -j link show dev eth0 | ConvertFrom-Json).address }
}

AfterAll { $env:LVSTOOLS_ROLE_STATE_DIR = $script:stateBefore }

Describe 'Real servers set up by Enable-LvsRealServerRole answer through the VIP' -Tag Kernel -Skip:$skipTraffic {
    BeforeAll {
        $lab = New-LvsLab -Mode DirectRouting
        $d = $lab.Director
        $vip = $lab.Vip
        $tunVip = '10.77.0.101'   # on the lab's segment, beside the VIP
        try {
            $macs = @{ director = Get-Mac $d }
            for ($i = 0; $i -lt $lab.RealServers.Count; $i++) { $macs[$lab.RealServerNames[$i]] = Get-Mac $lab.RealServers[$i] }
            # The director: both VIPs on eth0; a direct-routing service on the first, a tunnelling one on the second.
            $null = Add-LvsVirtualIp -NetNamespace $d -InterfaceName eth0 -IPAddress $vip -PrefixLength 32 -ErrorAction Stop
            $null = Add-LvsVirtualIp -NetNamespace $d -InterfaceName eth0 -IPAddress $tunVip -PrefixLength 32 -ErrorAction Stop
            $null = New-LvsService -NetNamespace $d -VirtualAddress $vip -Port $lab.Port -Scheduler rr -ErrorAction Stop |
                Add-LvsRealServer -Address @($lab.RealServerAddresses | ForEach-Object { "$_" }) -ForwardingMethod Route -ErrorAction Stop
            $null = New-LvsService -NetNamespace $d -VirtualAddress $tunVip -Port $lab.Port -Scheduler rr -ErrorAction Stop |
                Add-LvsRealServer -Address @($lab.RealServerAddresses | ForEach-Object { "$_" }) -ForwardingMethod Tunnel -ErrorAction Stop

            # 1. The problem: rs1 with the VIP on lo but without the ARP step answers "who has VIP?" itself.
            $rs1 = $lab.RealServers[0]
            $bare = Add-LvsVirtualIp -NetNamespace $rs1 -InterfaceName lo -IPAddress $vip -PrefixLength 32 -ErrorAction Stop
            $arpWithoutRole = Get-ArpAnswer $lab $vip
            $bare | Remove-LvsVirtualIp -Confirm:$false -ErrorAction Stop

            # 2. The role, and nothing else, on every real server; -Interface names the real servers' link to the director.
            $before = @($lab.RealServers | ForEach-Object { Get-LvsRealServerRole -NetNamespace $_ -VirtualAddress $vip -Mode DirectRouting -Interface eth0 -ErrorAction Stop })
            $enabled = @($lab.RealServers | ForEach-Object { Enable-LvsRealServerRole -NetNamespace $_ -VirtualAddress $vip -Mode DirectRouting -Interface eth0 -ErrorAction Stop })
            $after = @($lab.RealServers | ForEach-Object { Get-LvsRealServerRole -NetNamespace $_ -ErrorAction Stop })
            $arpWithRole = Get-ArpAnswer $lab $vip
            $drTraffic = Invoke-LvsLabRequest -Lab $lab -Count 10

            # 3. LVS-TUN: tunl0 (the kernel loads ipip), rp_filter off, the second VIP on tunl0. The real servers start
            #    with strict reverse-path filtering, as many distributions set it (all=1, and default=1 for tunl0 to inherit).
            foreach ($ns in $lab.RealServers) {
                $null = Invoke-NetnsCommand $ns sh, -c, 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 1 > /proc/sys/net/ipv4/conf/default/rp_filter'
            }
            # Once an earlier test of the same kernel loaded ipip, every new namespace has tunl0 from the start.
            $tunl0Before = [bool](ip -n $lab.RealServers[0] -o link show tunl0 2>$null)
            $global:LASTEXITCODE = 0
            $tunnel = @($lab.RealServers | ForEach-Object { Enable-LvsRealServerRole -NetNamespace $_ -VirtualAddress $tunVip -Mode Tunnel -ErrorAction Stop })
            $tunTraffic = Invoke-LvsLabRequest -Lab $lab -Count 10 -Address $tunVip
            $rs1View = @(Invoke-NetnsCommand $rs1 sh, -c, ('cat /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/tunl0/rp_filter ' +
                    '/proc/sys/net/ipv4/conf/all/arp_ignore /proc/sys/net/ipv4/conf/eth0/arp_announce; ip -o link show tunl0; ip -4 -o addr show dev lo; ip -4 -o addr show dev tunl0'))

            # 4. Disable on rs1: its VIPs go, its sysctls are back; rs2 keeps serving.
            $disabled = Disable-LvsRealServerRole -NetNamespace $rs1 -ErrorAction Stop
            $rs1Undone = @(Invoke-NetnsCommand $rs1 sh, -c, ('cat /proc/sys/net/ipv4/conf/all/arp_ignore /proc/sys/net/ipv4/conf/eth0/arp_announce ' +
                    '/proc/sys/net/ipv4/conf/all/rp_filter; ip -o link show tunl0; ip -4 -o addr show dev lo; ip -4 -o addr show dev tunl0'))
        } catch { Remove-LvsLab $lab; $lab = $null; throw }
    }
    AfterAll { if ($lab) { Remove-LvsLab $lab } }

    It 'without the ARP step, the real server answers ARP for the VIP (the problem)' {
        $arpWithoutRole | Should -Contain $macs.rs1 -Because 'rs1 holds the VIP on lo with arp_ignore=0'
        $arpWithoutRole | Should -Contain $macs.director
    }

    It 'Get-LvsRealServerRole says what is missing before, and Ready after' {
        $before.Ready | Should -Be @($false, $false)
        $before[0].Missing | Should -Contain 'net.ipv4.conf.eth0.arp_ignore is 0, needs 1: sysctl -w net.ipv4.conf.eth0.arp_ignore=1'
        $after.Ready | Should -Be @($true, $true)
        $after.Interface | Should -Be @('eth0', 'eth0')
    }

    It 'Enable-LvsRealServerRole takes the ARP steps before the VIP goes on lo' {
        foreach ($e in $enabled) {
            $e.Changed.Command | Should -Be @('sysctl -w net.ipv4.conf.all.arp_ignore=1', 'sysctl -w net.ipv4.conf.eth0.arp_ignore=1',
                'sysctl -w net.ipv4.conf.all.arp_announce=2', 'sysctl -w net.ipv4.conf.eth0.arp_announce=2', "ip addr add $vip/32 dev lo label lo:1")
        }
        $enabled.NetNamespace | Should -Be $lab.RealServers
    }

    It 'with the role, only the director answers ARP for the VIP' {
        $arpWithRole | Should -Be @($macs.director)
    }

    It 'the LVS-DR service answers through the VIP from both real servers' {
        $drTraffic.Summary.Failed | Should -Be 0 -Because ($drTraffic.Requests | Out-String)
        $drTraffic.Summary.Servers.rs1 | Should -Be 5
        $drTraffic.Summary.Servers.rs2 | Should -Be 5
    }

    It 'Tunnel mode creates tunl0, turns rp_filter off, and the LVS-TUN service answers through its VIP' {
        $tunnel[0].Changed.Command | Should -Be (@(if (-not $tunl0Before) { 'ip link add tunl0 type ipip' }) + @('sysctl -w net.ipv4.conf.all.rp_filter=0',
            'sysctl -w net.ipv4.conf.tunl0.rp_filter=0', 'ip link set dev tunl0 up', "ip addr add $tunVip/32 dev tunl0 label tunl0:1"))
        $rs1View[0..3] | Should -Be @('0', '0', '1', '2')
        $rs1View[4] | Should -Match 'tunl0@NONE: <NOARP,UP,LOWER_UP>'
        $rs1View -join "`n" | Should -Match ('inet {0}/32 .*lo:1' -f [regex]::Escape($vip))
        $rs1View -join "`n" | Should -Match ('inet {0}/32 .*tunl0:1' -f [regex]::Escape($tunVip))
        $tunTraffic.Summary.Failed | Should -Be 0 -Because ($tunTraffic.Requests | Out-String)
        $tunTraffic.Summary.Servers.rs1 | Should -Be 5
        $tunTraffic.Summary.Servers.rs2 | Should -Be 5
    }

    It 'Disable-LvsRealServerRole undoes both roles on rs1 and only them' {
        $disabled.Changed.Command | Should -Contain "ip addr del $vip/32 dev lo"
        $disabled.Changed.Command | Should -Contain "ip addr del $tunVip/32 dev tunl0"
        $disabled.Changed.Command | Should -Contain 'ip link set dev tunl0 down'
        $rs1Undone[0..2] | Should -Be @('0', '0', '1') -Because 'arp_ignore, arp_announce and rp_filter get the values they had before'
        $rs1Undone[3] | Should -Match 'tunl0@NONE: <NOARP>'
        $rs1Undone -join "`n" | Should -Not -Match ([regex]::Escape($vip) + '/32')
        $rs1Undone -join "`n" | Should -Not -Match ([regex]::Escape($tunVip) + '/32')
    }
}
