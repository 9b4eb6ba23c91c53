# Add-LvsVirtualIp -Announce: once a VIP is added, a gratuitous ARP (IPv4) or an unsolicited neighbour advertisement
# (IPv6) tells the segment, so a client that still holds the old director's MAC for the VIP switches to the new one at
# once. Host kernel only (no IPVS needed): a switch namespace with a bridge, a client and two "directors". The
# client's neighbour entry is read with `ip -j neigh` (iproute2, an independent reader).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skip = -not (Test-KernelTestsAvailable)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $id = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:sw = "lvst-$id-sw"; $script:cl = "lvst-$id-cl"; $script:d1 = "lvst-$id-d1"; $script:d2 = "lvst-$id-d2"
    $script:names = @($sw, $cl, $d1, $d2)
    $script:vip4 = '192.0.2.100'; $script:vip6 = '2001:db8:5::100'
    function Invoke-Ip { & ip @args; if ($LASTEXITCODE) { throw "ip $args failed" } }
    foreach ($ns in $names) { Invoke-Ip netns add $ns; Invoke-Ip -n $ns link set lo up }
    Invoke-Ip -n $sw link add br0 type bridge
    Invoke-Ip -n $sw link set br0 up
    $n = 1
    foreach ($ns in $cl, $d1, $d2) {
        Invoke-Ip -n $sw link add "p$n" type veth peer name eth0 netns $ns
        Invoke-Ip -n $sw link set "p$n" master br0 up
        Invoke-Ip -n $ns link set eth0 up
        Invoke-Ip -n $ns addr add "192.0.2.$n/24" dev eth0
        Invoke-Ip -n $ns addr add "2001:db8:5::$n/64" dev eth0 nodad
        $n++
    }
    function Get-Mac([string] $Ns) { (ip -n $Ns -j link show eth0 | ConvertFrom-Json)[0].address }
    # The client's entry for an address: its MAC, or $null when it has none.
    function Get-ClientEntry([string] $Address) { @(ip -n $cl -j neigh show $Address dev eth0 | ConvertFrom-Json | ForEach-Object { $_.lladdr })[0] }
    # The client "knows" the VIP at d1's MAC (as after talking to it), older than the ARP lock time (1 s), so an
    # announcement may override it.
    function Set-ClientEntry([string] $Address, [string] $Mac) {
        Invoke-Ip -n $cl neigh replace $Address lladdr $Mac dev eth0 nud stale
        Start-Sleep -Milliseconds 1200
    }
    function Wait-ClientEntry([string] $Address, [string] $Mac) {
        $deadline = [DateTime]::UtcNow.AddSeconds(3)
        while ((Get-ClientEntry $Address) -ne $Mac -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Get-ClientEntry $Address
    }
    $script:mac1 = Get-Mac $d1; $script:mac2 = Get-Mac $d2
}

AfterAll {
    foreach ($ns in $names) { ip netns del $ns 2>$null }
}

Describe 'Add-LvsVirtualIp -Announce' -Skip:$skip {
    AfterEach {
        foreach ($a in "$vip4/32", "$vip6/128") { ip -n $d2 addr del $a dev eth0 2>$null }
    }

    It 'without -Announce the client keeps the old director''s MAC for the VIP (what -Announce fixes)' {
        Set-ClientEntry $vip4 $mac1
        Add-LvsVirtualIp -NetNamespace $d2 -InterfaceName eth0 -IPAddress "$vip4/32" | Out-Null
        Start-Sleep -Milliseconds 1000
        Get-ClientEntry $vip4 | Should -Be $mac1
    }

    It '<Family>: the client''s entry moves to the new director''s MAC, and the alias is returned' -ForEach @(
        @{ Family = 'IPv4'; Vip = '192.0.2.100'; Prefix = 32; Count = 1 }
        @{ Family = 'IPv6'; Vip = '2001:db8:5::100'; Prefix = 128; Count = 2 }
    ) {
        Set-ClientEntry $Vip $mac1
        $alias = Add-LvsVirtualIp -NetNamespace $d2 -InterfaceName eth0 -IPAddress "$Vip/$Prefix" -Announce -AnnounceCount $Count
        "$($alias.IPAddress)" | Should -Be $Vip
        $alias.NetNamespace | Should -Be $d2
        Wait-ClientEntry $Vip $mac2 | Should -Be $mac2
    }

    It '-WhatIf names the announcement and sends nothing: no address, the client''s entry unchanged' {
        Set-ClientEntry $vip4 $mac1
        $out = Add-LvsVirtualIp -NetNamespace $d2 -InterfaceName eth0 -IPAddress "$vip4/32" -Announce -WhatIf 6>&1 | Out-String
        Start-Sleep -Milliseconds 1000
        Get-ClientEntry $vip4 | Should -Be $mac1
        @(ip -n $d2 -j addr show dev eth0 | ConvertFrom-Json).addr_info.local | Should -Not -Contain $vip4
    }

    It 'on an interface without an Ethernet address (lo): CannotAnnounce (InvalidArgument) naming it, and nothing is added' {
        $err = $null
        Add-LvsVirtualIp -NetNamespace $d2 -InterfaceName lo -IPAddress 192.0.2.200/32 -Announce -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CannotAnnounce,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($err[0])" | Should -Match '\blo\b'
        @(ip -n $d2 -j addr show dev lo | ConvertFrom-Json).addr_info.local | Should -Not -Contain '192.0.2.200'
    }

    It '-AnnounceCount out of range is refused by parameter validation' {
        { Add-LvsVirtualIp -NetNamespace $d2 -InterfaceName eth0 -IPAddress "$vip4/32" -AnnounceCount 11 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,LvsTools.Commands.AddLvsVirtualIpCommand'
        @(ip -n $d2 -j addr show dev eth0 | ConvertFrom-Json).addr_info.local | Should -Not -Contain $vip4
    }
}
