# -NetNamespace with several names: the command runs in each, every object says where it came from, a list with one
# bad name changes nothing anywhere, and a piped object still acts once, where it came from.
# The host Describe needs root and network namespaces (not IPVS); the IPVS one runs in the UML guest (tests/Uml).
# Every test works in namespaces of its own.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipKernel = -not (Test-KernelTestsAvailable)
    $script:skipIpvs = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Assert-LvsError, Get-CmdletError, Get-HostText
}

Describe 'Several namespaces in one -NetNamespace: addresses and sysctls' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $a = New-TestNamespace
        $b = New-TestNamespace
        $c = New-TestNamespace
        $missing = 'lvsp-missing-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    }
    AfterAll {
        Remove-TestNamespace $a; Remove-TestNamespace $b; Remove-TestNamespace $c
    }

    It 'adds a virtual IP in each namespace named, and each object says where it was added' {
        $r = @(Add-LvsVirtualIp -NetNamespace $a, $b -InterfaceName veth0 -IPAddress 10.61.0.1 -PrefixLength 24)
        $r.Count | Should -Be 2
        ($r.NetNamespace | Sort-Object) | Should -Be (@($a, $b) | Sort-Object)
        Get-Ipv4Address $a veth0 | Should -Contain '10.61.0.1'
        Get-Ipv4Address $b veth0 | Should -Contain '10.61.0.1'
        Get-Ipv4Address $c veth0 | Should -Not -Contain '10.61.0.1'
    }

    It 'reads every namespace named, in the order given, each object stamped' {
        $r = @(Get-NetAlias -NetNamespace $b, $a -InterfaceName veth0 | Where-Object IPAddress -EQ '10.61.0.1')
        $r.NetNamespace | Should -Be @($b, $a)
    }

    It 'with one bad name in the list, stops before anything is changed anywhere (NetNamespaceNotFound)' {
        $before = Get-AddressSnapshot $a
        $err = Get-CmdletError Add-LvsVirtualIp @{ NetNamespace = @($a, $missing); InterfaceName = 'veth0'; IPAddress = '10.61.0.2'; PrefixLength = 24 }
        Assert-LvsError $err 'NetNamespaceNotFound,LvsTools.Commands.AddLvsVirtualIpCommand' 'ObjectNotFound' $missing
        Get-AddressSnapshot $a | Should -Be $before
        $err = Get-CmdletError Set-Sysctl @{ NetNamespace = @($missing, $a); Name = 'net.ipv4.ip_forward'; Value = '1' }
        Assert-LvsError $err 'NetNamespaceNotFound,LvsTools.Commands.SetSysctlCommand' 'ObjectNotFound' $missing
        (ip netns exec $a cat /proc/sys/net/ipv4/ip_forward) | Should -Be '0'
    }

    It 'names the same namespace twice: acts once' {
        $r = @(Set-Sysctl -NetNamespace $a, $a net.ipv4.conf.all.arp_ignore 1 -PassThru)
        $r.Count | Should -Be 1
        (ip netns exec $a cat /proc/sys/net/ipv4/conf/all/arp_ignore) | Should -Be '1'
    }

    It 'writes a sysctl in each and -WhatIf names each namespace, changing none' {
        $t = Get-HostText { Set-Sysctl -NetNamespace $a, $b net.ipv4.ip_forward 1 -WhatIf }
        $t.Text | Should -Match ([regex]::Escape("net.ipv4.ip_forward (netns $a)"))
        $t.Text | Should -Match ([regex]::Escape("net.ipv4.ip_forward (netns $b)"))
        (ip netns exec $a cat /proc/sys/net/ipv4/ip_forward) | Should -Be '0'
        $r = @(Set-IpForwarding -NetNamespace $a, $b -Enabled $true -PassThru)
        (ip netns exec $a cat /proc/sys/net/ipv4/ip_forward) | Should -Be '1'
        (ip netns exec $b cat /proc/sys/net/ipv4/ip_forward) | Should -Be '1'
        (ip netns exec $c cat /proc/sys/net/ipv4/ip_forward) | Should -Be '0'
        (@(Get-IpForwarding -NetNamespace $a, $b, $c).NetNamespace | Select-Object -Unique) | Should -Be @($a, $b, $c)
    }

    It 'acts on a piped object once, in its own namespace, when the list names it' {
        $alias = Get-NetAlias -NetNamespace $b -InterfaceName veth0 | Where-Object IPAddress -EQ '10.61.0.1'
        $alias | Remove-LvsVirtualIp -NetNamespace $a, $b -Confirm:$false
        Get-Ipv4Address $b veth0 | Should -Not -Contain '10.61.0.1'
        Get-Ipv4Address $a veth0 | Should -Contain '10.61.0.1' -Because 'only the object from b was removed'
    }

    It 'refuses a piped object from a namespace the list does not name, once (NetNamespaceMismatch)' {
        $alias = Get-NetAlias -NetNamespace $a -InterfaceName veth0 | Where-Object IPAddress -EQ '10.61.0.1'
        $err = @()
        $alias | Remove-LvsVirtualIp -NetNamespace $b, $c -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'NetNamespaceMismatch,LvsTools.Commands.RemoveLvsVirtualIpCommand'
        $err[0].Exception.Message | Should -BeLike "*network namespace '$a'*network namespaces '$b', '$c'*"
        Get-Ipv4Address $a veth0 | Should -Contain '10.61.0.1'
    }

    It 'completes interface names in the first namespace of a list' {
        ip -n $a link add lvsmulti0 type veth peer name lvsmulti1
        $line = "Get-NetAlias -NetNamespace $a, $b -InterfaceName lvsmul"
        $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r.CompletionMatches.CompletionText | Should -Contain 'lvsmulti0'
    }
}

Describe 'Several namespaces in one -NetNamespace: IPVS tables' -Tag Kernel -Skip:$skipIpvs {
    BeforeAll {
        $a = New-TestNamespace -NoVeth
        $b = New-TestNamespace -NoVeth
        $missing = 'lvsp-missing-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $doc = Join-Path $TestDrive 'lb.json'
        @'
{ "schemaVersion": 1, "services": [ { "protocol": "tcp", "address": "10.62.0.1", "port": 80, "scheduler": "wrr",
  "realServers": [ { "address": "10.62.1.1", "port": 80, "weight": 3 }, { "address": "10.62.1.2", "port": 80 } ] } ] }
'@ | Set-Content $doc
    }
    AfterAll {
        Remove-TestNamespace $a; Remove-TestNamespace $b
    }

    It 'Sync-LvsConfiguration makes both tables equal to the document; a bad name first changes neither' {
        $err = Get-CmdletError Sync-LvsConfiguration @{ NetNamespace = @($a, $missing); Path = $doc; Confirm = $false }
        Assert-LvsError $err 'NetNamespaceNotFound,LvsTools.Commands.SyncLvsConfigurationCommand' 'ObjectNotFound' $missing
        @(ip netns exec $a ipvsadm -S -n).Count | Should -Be 0
        $r = @(Sync-LvsConfiguration -NetNamespace $a, $b -Path $doc -Confirm:$false)
        $r.NetNamespace | Should -Be @($a, $b)
        $sa = @(ip netns exec $a ipvsadm -S -n); $sb = @(ip netns exec $b ipvsadm -S -n)
        $sa.Count | Should -Be 3
        $sb | Should -Be $sa
    }

    It 'Get-LvsService and Get-LvsRealServer read both, and a real server piped on acts in its own table' {
        $s = @(Get-LvsService -NetNamespace $a, $b)
        $s.NetNamespace | Should -Be @($a, $b)
        $rs = @($s | Get-LvsRealServer)
        $rs.Count | Should -Be 4
        $rs | Where-Object { $_.NetNamespace -eq $b -and "$($_.Address)" -eq '10.62.1.1' } | Set-LvsRealServer -Weight 9 -Confirm:$false
        (ip netns exec $b ipvsadm -S -n) -join "`n" | Should -Match '10\.62\.1\.1:80 -\w -w 9'
        (ip netns exec $a ipvsadm -S -n) -join "`n" | Should -Match '10\.62\.1\.1:80 -\w -w 3'
    }

    It 'Clear-LvsService empties each table named' {
        Clear-LvsService -NetNamespace $a, $b -Confirm:$false
        @(ip netns exec $a ipvsadm -S -n).Count | Should -Be 0
        @(ip netns exec $b ipvsadm -S -n).Count | Should -Be 0
    }
}
