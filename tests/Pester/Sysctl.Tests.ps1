# Sysctls and IP forwarding in namespaces of the tests' own, cross-checked with `sysctl -n`; the host's stay as they are.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipKernel = -not (Test-KernelTestsAvailable)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
}

Describe 'Set-IpForwarding' -Tag Kernel -Skip:$skipKernel {
    BeforeEach {
        $ns = New-TestNamespace
        $hostV4 = Get-Content /proc/sys/net/ipv4/ip_forward
        $hostV6 = Get-Content /proc/sys/net/ipv6/conf/all/forwarding
    }
    AfterEach {
        Remove-TestNamespace $ns
        Get-Content /proc/sys/net/ipv4/ip_forward | Should -Be $hostV4
        Get-Content /proc/sys/net/ipv6/conf/all/forwarding | Should -Be $hostV6
    }

    It 'turns IPv4 forwarding on in the namespace only' {
        Set-IpForwarding -NetNamespace $ns -Enabled $true
        ip netns exec $ns sysctl -n net.ipv4.ip_forward | Should -Be '1'
        (Get-IpForwarding -NetNamespace $ns -AddressFamily IPv4).Enabled | Should -BeTrue
    }

    It 'handles both families and -PassThru' {
        $r = Set-IpForwarding -NetNamespace $ns -Enabled $true -AddressFamily Both -PassThru
        $r.AddressFamily | Should -Be @('IPv4', 'IPv6')
        ip netns exec $ns sysctl -n net.ipv6.conf.all.forwarding | Should -Be '1'
        Set-IpForwarding -NetNamespace $ns -Enabled $false -AddressFamily Both
        ip netns exec $ns sysctl -n net.ipv4.ip_forward | Should -Be '0'
    }

    It 'sets a single interface' {
        Set-IpForwarding -NetNamespace $ns -Enabled $true -InterfaceName veth0
        ip netns exec $ns sysctl -n net.ipv4.conf.veth0.forwarding | Should -Be '1'
        ip netns exec $ns sysctl -n net.ipv4.conf.veth1.forwarding | Should -Be '0'
    }

    It 'writes back the settings piped from Get-IpForwarding, each for its own family' {
        Get-IpForwarding -NetNamespace $ns -AddressFamily Both | Set-IpForwarding -Enabled $true
        ip netns exec $ns sysctl -n net.ipv4.ip_forward | Should -Be '1'
        ip netns exec $ns sysctl -n net.ipv6.conf.all.forwarding | Should -Be '1'
        Get-IpForwarding -NetNamespace $ns -AddressFamily IPv6 -InterfaceName veth1 | Set-IpForwarding -Enabled $false
        ip netns exec $ns sysctl -n net.ipv6.conf.veth1.forwarding | Should -Be '0'
        ip netns exec $ns sysctl -n net.ipv4.conf.veth1.forwarding | Should -Be '1'
    }

    It '-WhatIf changes nothing' {
        Set-IpForwarding -NetNamespace $ns -Enabled $true -WhatIf
        ip netns exec $ns sysctl -n net.ipv4.ip_forward | Should -Be '0'
    }

    It 'refuses -Persist inside a namespace' {
        { Set-IpForwarding -NetNamespace $ns -Enabled $true -Persist -ErrorAction Stop } |
            Should -Throw -ErrorId 'PersistInNetNamespace,LvsTools.Commands.SetIpForwardingCommand'
        ip netns exec $ns sysctl -n net.ipv4.ip_forward | Should -Be '0'
    }
}

Describe 'Get-Sysctl and Set-Sysctl' -Tag Kernel -Skip:$skipKernel {
    BeforeEach { $ns = New-TestNamespace }
    AfterEach { Remove-TestNamespace $ns }

    It 'reads what sysctl reads' {
        (Get-Sysctl -NetNamespace $ns net.ipv4.conf.veth0.rp_filter).Value | Should -Be (ip netns exec $ns sysctl -n net.ipv4.conf.veth0.rp_filter)
        (Get-Sysctl -NetNamespace $ns net/ipv4/ip_forward).Name | Should -Be 'net.ipv4.ip_forward'
    }

    It 'sets the LVS-DR ARP switches per interface through the pipeline' {
        @(
            [pscustomobject]@{ Name = 'net.ipv4.conf.veth0.arp_ignore'; Value = '1' }
            [pscustomobject]@{ Name = 'net.ipv4.conf.veth0.arp_announce'; Value = '2' }
        ) | Set-Sysctl -NetNamespace $ns
        ip netns exec $ns sysctl -n net.ipv4.conf.veth0.arp_ignore | Should -Be '1'
        ip netns exec $ns sysctl -n net.ipv4.conf.veth0.arp_announce | Should -Be '2'
        (Get-Sysctl -NetNamespace $ns 'net.ipv4.conf.*.arp_ignore' | Where-Object Value -EQ '1').Name | Should -Be 'net.ipv4.conf.veth0.arp_ignore'
    }

    It 'lists a directory as sysctl does' {
        $mine = (Get-Sysctl -NetNamespace $ns net.ipv4.conf.veth1).Name | Sort-Object
        $theirs = ip netns exec $ns sysctl -a -r '^net\.ipv4\.conf\.veth1\.' | ForEach-Object { ($_ -split ' = ')[0] } | Sort-Object
        $mine | Should -Be $theirs
    }

    It 'rejects <Name> with InvalidSysctlName' -ForEach @(
        @{ Name = 'net/ipv4/../../../etc/shadow' }
        @{ Name = 'net.ipv4..ip_forward' }
        @{ Name = '/etc/passwd' }
    ) {
        { Get-Sysctl -NetNamespace $ns -Name $Name -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSysctlName,LvsTools.Commands.GetSysctlCommand'
        { Set-Sysctl -NetNamespace $ns -Name $Name -Value 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSysctlName,LvsTools.Commands.SetSysctlCommand'
        $Error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'reports a missing key as ObjectNotFound and a refused value as InvalidArgument' {
        { Get-Sysctl -NetNamespace $ns net.ipv4.no_such_key -ErrorAction Stop } | Should -Throw -ErrorId 'SysctlNotFound,LvsTools.Commands.GetSysctlCommand'
        { Set-Sysctl -NetNamespace $ns net.ipv4.ip_forward banana -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSysctlValue,LvsTools.Commands.SetSysctlCommand'
        ip netns exec $ns sysctl -n net.ipv4.ip_forward | Should -Be '0'
    }

    It 'persists to a sysctl.d file of the test''s choosing, atomically' {
        # -Persist is for the process's own namespace, so run a child pwsh inside the test namespace:
        # the host's sysctls are never written.
        $file = Join-Path ([IO.Path]::GetTempPath()) "lvsp-$([guid]::NewGuid().ToString('N')).conf"
        try {
            Set-Content $file "# kept`nvm.swappiness = 10"
            $cmd = "Import-Module '$(Get-LvsModulePath)'; Set-Sysctl -Name net.ipv4.conf.all.arp_ignore -Value 1 -Persist -PersistPath '$file'"
            ip netns exec $ns (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $cmd
            $LASTEXITCODE | Should -Be 0
            Get-Content $file | Should -Be @('# kept', 'vm.swappiness = 10', 'net.ipv4.conf.all.arp_ignore = 1')
            ip netns exec $ns sysctl -n net.ipv4.conf.all.arp_ignore | Should -Be '1'
            Get-ChildItem ([IO.Path]::GetTempPath()) -Filter ".$(Split-Path $file -Leaf).*" | Should -BeNullOrEmpty
        }
        finally { Remove-Item $file -ErrorAction SilentlyContinue }
    }
}
