# Virtual IPs as users script them, in namespaces of the tests' own, cross-checked with `ip -j addr`.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipKernel = -not (Test-KernelTestsAvailable)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
}

Describe 'Add-LvsVirtualIp' -Tag Kernel -Skip:$skipKernel {
    BeforeEach { $ns = New-TestNamespace }
    AfterEach { Remove-TestNamespace $ns }

    It 'adds the classic eth0:1 alias from a dotted netmask' {
        $alias = Add-LvsVirtualIp -NetNamespace $ns -InterfaceName veth0 -IPAddress 192.168.31.173 -SubnetMask 255.255.255.0
        $alias | Should -BeOfType ([LvsTools.NetAlias])
        $alias.Label | Should -Be 'veth0:1'
        $alias.PrefixLength | Should -Be 24
        $alias.Broadcast | Should -Be ([ipaddress]'192.168.31.255')
        $alias.NetNamespace | Should -Be $ns
        $info = (Get-IpAddressJson $ns veth0).addr_info | Where-Object local -EQ '192.168.31.173'
        $info.label | Should -Be 'veth0:1'
        $info.prefixlen | Should -Be 24
        $info.broadcast | Should -Be '192.168.31.255'
    }

    It 'numbers further aliases eth0:2, eth0:3' {
        Add-LvsVirtualIp -NetNamespace $ns veth0 10.1.1.1/24 | Out-Null
        Add-LvsVirtualIp -NetNamespace $ns veth0 10.1.1.2/24 | Out-Null
        (Add-LvsVirtualIp -NetNamespace $ns veth0 10.1.1.3/24).Label | Should -Be 'veth0:3'
    }

    It 'puts an LVS-DR VIP on lo as /32' {
        $vip = Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -IPAddress 10.0.0.100 -SubnetMask 255.255.255.255
        $vip.Label | Should -Be 'lo:1'
        $vip.PrefixLength | Should -Be 32
        ((Get-IpAddressJson $ns lo).addr_info | Where-Object local -EQ '10.0.0.100').prefixlen | Should -Be 32
    }

    It 'adds IPv6 addresses without a label' {
        $a = Add-LvsVirtualIp -NetNamespace $ns -InterfaceName veth0 -IPAddress 2001:db8::10 -PrefixLength 64
        $a.AddressFamily | Should -Be 'IPv6'
        ((Get-IpAddressJson $ns veth0).addr_info | Where-Object local -EQ '2001:db8::10').prefixlen | Should -Be 64
    }

    It 'binds InterfaceName and IPAddress by property name' {
        [pscustomobject]@{ InterfaceName = 'veth1'; IPAddress = '10.2.2.2'; PrefixLength = 32; NetNamespace = $ns } | Add-LvsVirtualIp |
            Select-Object -ExpandProperty Label | Should -Be 'veth1:1'
    }

    It '-WhatIf sends nothing to the kernel' {
        $before = Get-AddressSnapshot $ns | Out-String
        # What-if text goes to the host, so read it from a child process's output.
        $out = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command "Import-Module '$(Get-LvsModulePath)'; Add-LvsVirtualIp -NetNamespace $ns -InterfaceName veth0 -IPAddress 10.3.3.3 -SubnetMask 255.255.255.0 -WhatIf" | Out-String
        $out | Should -Match 'What if: .*ip addr add 10\.3\.3\.3/24 brd 10\.3\.3\.255 dev veth0 label veth0:1'
        Add-LvsVirtualIp -NetNamespace $ns -InterfaceName veth0 -IPAddress 10.3.3.4 -WhatIf
        Get-AddressSnapshot $ns | Out-String | Should -Be $before
    }

    It 'rejects <Case> with <Id> and changes nothing' -ForEach @(
        @{ Case = 'an invalid address'; Params = @{ IPAddress = '999.1.1.1' }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument' }
        @{ Case = 'prefix 33'; Params = @{ IPAddress = '10.0.0.1'; PrefixLength = 33 }; Id = 'InvalidPrefixLength'; Category = 'InvalidArgument' }
        @{ Case = 'a holey mask'; Params = @{ IPAddress = '10.0.0.1'; SubnetMask = '255.0.255.0' }; Id = 'InvalidSubnetMask'; Category = 'InvalidArgument' }
        @{ Case = 'a label over 15 characters'; Params = @{ IPAddress = '10.0.0.1'; Label = 'veth0:123456789a' }; Id = 'InvalidLabel'; Category = 'InvalidArgument' }
        @{ Case = "a label of another device"; Params = @{ IPAddress = '10.0.0.1'; Label = 'eth0:1' }; Id = 'InvalidLabel'; Category = 'InvalidArgument' }
        @{ Case = 'a missing interface'; Params = @{ IPAddress = '10.0.0.1'; InterfaceName = 'nosuch0' }; Id = 'InterfaceNotFound'; Category = 'ObjectNotFound' }
    ) {
        $before = Get-AddressSnapshot $ns | Out-String
        $p = @{ NetNamespace = $ns; InterfaceName = 'veth0' }
        foreach ($k in $Params.Keys) { $p[$k] = $Params[$k] }
        $err = $null
        Add-LvsVirtualIp @p -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be "$Id,LvsTools.Commands.AddLvsVirtualIpCommand"
        $err[0].CategoryInfo.Category | Should -Be $Category
        $err[0].TargetObject | Should -Not -BeNullOrEmpty
        $err[0].Exception.Message | Should -Not -Match '\bat LvsTools\.'   # a message, not a stack trace
        Get-AddressSnapshot $ns | Out-String | Should -Be $before
    }

    It 'reports a duplicate address as ResourceExists' {
        Add-LvsVirtualIp -NetNamespace $ns veth0 10.4.4.4/32 | Out-Null
        { Add-LvsVirtualIp -NetNamespace $ns veth0 10.4.4.4/32 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetAliasExists,LvsTools.Commands.AddLvsVirtualIpCommand'
        $Error[0].CategoryInfo.Category | Should -Be 'ResourceExists'
    }

    It 'reports a missing namespace as ObjectNotFound' {
        { Add-LvsVirtualIp -NetNamespace 'lvsp-doesnotexist' veth0 10.4.4.4 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetNamespaceNotFound,LvsTools.Commands.AddLvsVirtualIpCommand'
    }
}

Describe 'Get-NetAlias and Remove-LvsVirtualIp' -Tag Kernel -Skip:$skipKernel {
    BeforeEach {
        $ns = New-TestNamespace
        ip -n $ns addr add 10.5.5.1/24 brd + dev veth0 label veth0:1
        ip -n $ns addr add 10.5.5.2/24 brd + dev veth0 label veth0:2
        ip -n $ns addr add 10.6.6.1/24 dev veth1
    }
    AfterEach { Remove-TestNamespace $ns }

    It 'lists what ip addr lists, with labels' {
        $mine = Get-NetAlias -NetNamespace $ns -AddressFamily IPv4 | Sort-Object { $_.IPAddress.Address }
        $theirs = (ip -n $ns -4 -j addr | ConvertFrom-Json).addr_info
        $mine.Count | Should -Be $theirs.Count
        foreach ($t in $theirs) {
            $m = $mine | Where-Object { $_.IPAddress.ToString() -eq $t.local }
            $m.Label | Should -Be $t.label
            $m.PrefixLength | Should -Be $t.prefixlen
        }
    }

    It 'filters by interface, label and address' {
        (Get-NetAlias -NetNamespace $ns -InterfaceName veth0 -AddressFamily IPv4).Count | Should -Be 2
        (Get-NetAlias -NetNamespace $ns -Label 'veth0:*').IPAddress.IPAddressToString | Sort-Object | Should -Be @('10.5.5.1', '10.5.5.2')
        (Get-NetAlias -NetNamespace $ns -IPAddress 10.6.6.1).InterfaceName | Should -Be 'veth1'
    }

    It 'removes what comes down the pipeline' {
        Get-NetAlias -NetNamespace $ns -Label veth0:2 | Remove-LvsVirtualIp
        Get-Ipv4Address $ns veth0 | Should -Not -Contain '10.5.5.2'
        Get-Ipv4Address $ns veth0 | Should -Contain '10.5.5.1'
    }

    It 'removes every alias of an interface in one pipeline, secondaries first' {
        Get-NetAlias -NetNamespace $ns -InterfaceName veth0 -AddressFamily IPv4 | Sort-Object IsSecondary -Descending | Remove-LvsVirtualIp
        Get-Ipv4Address $ns veth0 | Should -BeNullOrEmpty
    }

    It 'removes by interface and address, with -PassThru' {
        $gone = Remove-LvsVirtualIp -NetNamespace $ns -InterfaceName veth1 -IPAddress 10.6.6.1 -PassThru
        $gone.IPAddress | Should -Be ([ipaddress]'10.6.6.1')
        Get-Ipv4Address $ns veth1 | Should -BeNullOrEmpty
    }

    It '-WhatIf removes nothing' {
        $before = Get-AddressSnapshot $ns | Out-String
        Get-NetAlias -NetNamespace $ns -InterfaceName veth0 | Remove-LvsVirtualIp -WhatIf
        Get-AddressSnapshot $ns | Out-String | Should -Be $before
    }

    It 'warns that deleting a primary takes its secondaries' {
        Get-NetAlias -NetNamespace $ns -Label veth0:1 | Remove-LvsVirtualIp -WarningVariable w -WarningAction SilentlyContinue
        $w | Should -Match 'promote_secondaries'
    }

    It 'reports an address that is not there as ObjectNotFound' {
        { Remove-LvsVirtualIp -NetNamespace $ns -InterfaceName veth1 -IPAddress 10.9.9.9 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetAliasNotFound,LvsTools.Commands.RemoveLvsVirtualIpCommand'
    }

    It 'shows interfaces with counters like ifconfig' {
        $if = Get-NetInterface -NetNamespace $ns -Name veth0
        $if.Name | Should -Be 'veth0'
        $if.Addresses.IPAddress.IPAddressToString | Should -Contain '10.5.5.1'
        $text = $if | Out-String
        $text | Should -Match 'veth0: flags=\d+<UP,BROADCAST'
        $text | Should -Match 'veth0:1: flags='
        $text | Should -Match 'inet 10\.5\.5\.1  netmask 255\.255\.255\.0  broadcast 10\.5\.5\.255'
        $text | Should -Match 'RX packets \d+  bytes \d+'
        $stats = (ip -n $ns -s -j link show dev veth0 | ConvertFrom-Json).stats64
        $stats.tx.packets | Should -BeGreaterOrEqual $if.Statistics.TxPackets   # read after ours; counters only grow
    }

    It 'reports an unknown interface name and keeps going' {
        $r = Get-NetInterface -NetNamespace $ns -Name veth0, nosuch0 -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Name | Should -Be 'veth0'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InterfaceNotFound,*'
    }
}
