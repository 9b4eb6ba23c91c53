# The real server's role (Enable-, Disable-, Get-LvsRealServerRole) in namespaces of the tests' own. No IPVS is needed:
# sysctls, links and addresses work in any namespace. Cross-checked with `ip` and /proc/sys read inside the namespace.
# The role's state files go to a folder of the test's own (LVSTOOLS_ROLE_STATE_DIR), never /run/lvstools.
# Tagged Namespace, not Kernel: the host kernel is enough (root and network namespaces), so the User-mode Linux run,
# where each of these tests costs 20 to 40 s, leaves them out; RealServerRoleTraffic.Tests.ps1 is the kernel's part.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipKernel = -not (Test-KernelTestsAvailable)
    # Whether this kernel can make ipip tunnels: built in or loadable (its config, or the module in one of the trees
    # modprobe may use: the host's, or User-mode Linux's).
    $release = uname -r
    $script:hasIpip = (Test-Path /sys/module/ipip) -or
        ((Test-Path /proc/config.gz) -and [bool](zcat /proc/config.gz | Select-String -SimpleMatch -Pattern 'CONFIG_NET_IPIP=')) -or
        [bool](@("/lib/modules/$release", "/usr/lib/uml/modules/$release") | Where-Object { Test-Path $_ } |
            ForEach-Object { Get-ChildItem $_ -Recurse -Filter 'ipip.ko*' -ErrorAction SilentlyContinue } | Select-Object -First 1)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:stateBefore = $env:LVSTOOLS_ROLE_STATE_DIR
    $env:LVSTOOLS_ROLE_STATE_DIR = Join-Path $TestDrive 'role-state'

    $script:keys = 'all.arp_ignore', 'veth0.arp_ignore', 'all.arp_announce', 'veth0.arp_announce', 'all.rp_filter'
    # The role's sysctls of a namespace as "key=value" lines, read in one process inside it.
    function Get-RoleSysctl([string] $Namespace) {
        $script = ($keys | ForEach-Object { "printf '%s=' $_; cat /proc/sys/net/ipv4/conf/$($_ -replace '\.', '/')" }) -join '; '
        @(ip netns exec $Namespace sh -c $script)
    }
    # Everything the role can touch: sysctls, addresses, link states.
    function Get-RoleSnapshot([string] $Namespace) {
        (Get-RoleSysctl $Namespace) + (Get-AddressSnapshot $Namespace) + @(ip -n $Namespace -o link show | ForEach-Object { ($_ -split '\s+')[1, 2] -join ' ' })
    }
    function Get-WhatIfText([scriptblock] $Script) {
        $file = Join-Path $TestDrive ("whatif-{0}.txt" -f [guid]::NewGuid().ToString('N'))
        Start-Transcript -Path $file -UseMinimalHeader | Out-Null
        try { $result = & $Script } finally { Stop-Transcript | Out-Null }
        [pscustomobject]@{ Result = $result; Lines = @(Get-Content $file | Where-Object { $_ -like 'What if:*' }) }
    }
    function Assert-CleanError($err, [string] $Id, [string] $Category) {
        $err | Should -Not -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err[0].CategoryInfo.Category | Should -Be $Category
        $err[0].Exception.Message | Should -Not -Match '\bat LvsTools\.'
    }
    # A namespace like a real server's: veth0 with an address and the default route through it.
    function New-RealServerNamespace([switch] $NoDefaultRoute) {
        $ns = New-TestNamespace
        ip -n $ns addr add 192.0.2.5/24 dev veth0
        if (-not $NoDefaultRoute) { ip -n $ns route add default via 192.0.2.1 dev veth0 }
        $ns
    }
}

AfterAll { $env:LVSTOOLS_ROLE_STATE_DIR = $script:stateBefore }

Describe 'Enable-LvsRealServerRole -Mode DirectRouting' -Tag Namespace -Skip:$skipKernel {
    BeforeEach {
        $ns = New-RealServerNamespace
        Remove-Item (Join-Path $env:LVSTOOLS_ROLE_STATE_DIR '*') -ErrorAction SilentlyContinue   # records of namespaces already gone
    }
    AfterEach { Remove-TestNamespace $ns }

    It 'silences ARP on all and on the default route''s interface, then puts the VIPs on lo as /32 and /128' {
        $r = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100, 2001:db8::100 -Mode DirectRouting -ErrorAction Stop
        $r | Should -BeOfType ([LvsTools.RealServerRoleResult])
        $r.NetNamespace | Should -Be $ns
        $r.Interface | Should -Be 'veth0'
        $r.Changed.Command | Should -Be @(
            'sysctl -w net.ipv4.conf.all.arp_ignore=1', 'sysctl -w net.ipv4.conf.veth0.arp_ignore=1',
            'sysctl -w net.ipv4.conf.all.arp_announce=2', 'sysctl -w net.ipv4.conf.veth0.arp_announce=2',
            'ip addr add 10.0.0.100/32 dev lo label lo:1', 'ip addr add 2001:db8::100/128 dev lo')
        $r.Changed[0].Previous | Should -Be '0'
        $r.Unchanged.Target | Should -Be @('lo')   # New-TestNamespace brought lo up
        Get-RoleSysctl $ns | Select-Object -First 4 | Should -Be @('all.arp_ignore=1', 'veth0.arp_ignore=1', 'all.arp_announce=2', 'veth0.arp_announce=2')
        Get-AddressSnapshot $ns | Should -Contain 'lo 10.0.0.100/32 lo:1'
        Get-AddressSnapshot $ns | Should -Contain 'lo 2001:db8::100/128 '
    }

    It 'is idempotent: run again, it changes nothing and says what was already so' {
        $null = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorAction Stop
        $before = Get-RoleSnapshot $ns
        $again = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorAction Stop
        $again.Changed | Should -BeNullOrEmpty
        $again.Unchanged | Should -HaveCount 6
        Get-RoleSnapshot $ns | Should -Be $before
    }

    It '-WhatIf lists each step with its sysctl -w / ip twin, in order, and changes and records nothing' {
        $before = Get-RoleSnapshot $ns
        $run = Get-WhatIfText { Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -WhatIf }
        $run.Result | Should -BeNullOrEmpty
        $run.Lines | Should -Be @(
            "What if: Performing the operation ""sysctl -w net.ipv4.conf.all.arp_ignore=1"" on target ""net.ipv4.conf.all.arp_ignore (netns $ns)"".",
            "What if: Performing the operation ""sysctl -w net.ipv4.conf.veth0.arp_ignore=1"" on target ""net.ipv4.conf.veth0.arp_ignore (netns $ns)"".",
            "What if: Performing the operation ""sysctl -w net.ipv4.conf.all.arp_announce=2"" on target ""net.ipv4.conf.all.arp_announce (netns $ns)"".",
            "What if: Performing the operation ""sysctl -w net.ipv4.conf.veth0.arp_announce=2"" on target ""net.ipv4.conf.veth0.arp_announce (netns $ns)"".",
            "What if: Performing the operation ""ip addr add 10.0.0.100/32 dev lo label lo:1"" on target ""10.0.0.100/32 on lo (netns $ns)"".")
        Get-RoleSnapshot $ns | Should -Be $before
        @(Get-ChildItem $env:LVSTOOLS_ROLE_STATE_DIR -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'a -WhatIf records nothing'
        Disable-LvsRealServerRole -NetNamespace $ns -WarningVariable w -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$w" | Should -Match 'recorded nothing to undo'
    }

    It 'Disable undoes only what Enable did: a sysctl that was 1 before stays 1, one changed by hand since is left alone' {
        ip netns exec $ns sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore'
        $enabled = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorAction Stop
        $enabled.Unchanged.Target | Should -Contain 'net.ipv4.conf.all.arp_ignore'
        ip netns exec $ns sh -c 'echo 1 > /proc/sys/net/ipv4/conf/veth0/arp_announce'   # by hand, after Enable
        $off = Disable-LvsRealServerRole -NetNamespace $ns -ErrorAction Stop
        $off.Action | Should -Be 'Disable'
        $off.Changed.Command | Should -Be @('ip addr del 10.0.0.100/32 dev lo', 'sysctl -w net.ipv4.conf.all.arp_announce=0', 'sysctl -w net.ipv4.conf.veth0.arp_ignore=0')
        ($off.Unchanged | Where-Object Target -EQ 'net.ipv4.conf.veth0.arp_announce').Reason | Should -Match 'someone changed it since'
        Get-RoleSysctl $ns | Select-Object -First 4 | Should -Be @('all.arp_ignore=1', 'veth0.arp_ignore=0', 'all.arp_announce=0', 'veth0.arp_announce=1')
        Get-AddressSnapshot $ns | Should -Not -Contain 'lo 10.0.0.100/32 lo:1'
        @(Get-ChildItem $env:LVSTOOLS_ROLE_STATE_DIR -Filter 'net-*.json') | Should -BeNullOrEmpty -Because 'all undone, the record goes'
        # Nothing left to undo: a warning, no change.
        Disable-LvsRealServerRole -NetNamespace $ns -WarningAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'brings lo up first when it is down, and Disable leaves it up' {
        ip -n $ns link set lo down
        $r = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorAction Stop
        $r.Changed.Command[-2..-1] | Should -Be @('ip link set dev lo up', 'ip addr add 10.0.0.100/32 dev lo label lo:1')
        ($r.Changed | Where-Object Target -EQ 'lo').Previous | Should -Be 'down'
        ip -n $ns -o link show lo | Should -Match '<LOOPBACK,UP,LOWER_UP>'
        $off = Disable-LvsRealServerRole -NetNamespace $ns -ErrorAction Stop
        ($off.Unchanged | Where-Object Target -EQ 'lo').Reason | Should -Match 'lo stays up'
        ip -n $ns -o link show lo | Should -Match '<LOOPBACK,UP,LOWER_UP>'
    }

    It 'names a VIP held on another interface (the real server would answer ARP for it there), and leaves it' {
        ip -n $ns addr add 10.0.0.100/32 dev veth0
        $r = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorAction Stop -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -Match ('10\.0\.0\.100/32 is also on veth0: .*\(ip addr del 10\.0\.0\.100/32 dev veth0\) \(netns {0}\)' -f $ns)
        $r.Changed.Command | Should -Contain 'ip addr add 10.0.0.100/32 dev lo label lo:1'
        Get-AddressSnapshot $ns | Should -Contain 'veth0 10.0.0.100/32 veth0'
        $s = Get-LvsRealServerRole -NetNamespace $ns
        $s.Ready | Should -BeFalse
        $s.Missing | Should -Be @('10.0.0.100/32 is also on veth0: a real server holds its VIP on lo only, or it answers ARP for it (ip addr del 10.0.0.100/32 dev veth0)')
    }

    It 'Disable keeps a VIP that was there before Enable' {
        ip -n $ns addr add 10.0.0.100/32 dev lo
        $null = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100, 10.0.0.101 -Mode DirectRouting -ErrorAction Stop
        $off = Disable-LvsRealServerRole -NetNamespace $ns -ErrorAction Stop
        $off.Changed.Command | Should -Contain 'ip addr del 10.0.0.101/32 dev lo'
        $off.Changed.Command | Should -Not -Contain 'ip addr del 10.0.0.100/32 dev lo'
        Get-AddressSnapshot $ns | Should -Contain 'lo 10.0.0.100/32 lo'
    }

    It 'Get says what is missing, read only, then Ready after Enable (with the VIPs Enable recorded)' {
        $before = Get-RoleSnapshot $ns
        $s = Get-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorAction Stop
        $s | Should -BeOfType ([LvsTools.RealServerRoleStatus])
        $s.Ready | Should -BeFalse
        $s.Interface | Should -Be 'veth0'
        $s.Missing | Should -HaveCount 5
        $s.Missing[0] | Should -Be 'net.ipv4.conf.all.arp_ignore is 0, needs 1: sysctl -w net.ipv4.conf.all.arp_ignore=1'
        $s.Missing[4] | Should -Be '10.0.0.100/32 on lo is missing: ip addr add 10.0.0.100/32 dev lo'
        Get-RoleSnapshot $ns | Should -Be $before
        $null = Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorAction Stop
        $ready = Get-LvsRealServerRole -NetNamespace $ns -ErrorAction Stop
        $ready.Ready | Should -BeTrue
        $ready.Missing | Should -BeNullOrEmpty
        $ready.VirtualAddress | Should -Be @([ipaddress]'10.0.0.100')
        # Someone takes the VIP off lo: no longer ready, and Get says why.
        ip -n $ns addr del 10.0.0.100/32 dev lo
        (Get-LvsRealServerRole -NetNamespace $ns).Missing | Should -Be @('10.0.0.100/32 on lo is missing: ip addr add 10.0.0.100/32 dev lo')
    }
}

Describe 'Enable-LvsRealServerRole: bad input changes nothing' -Tag Namespace -Skip:$skipKernel {
    BeforeAll { $ns = New-RealServerNamespace -NoDefaultRoute }
    AfterAll { Remove-TestNamespace $ns }
    BeforeEach { $before = Get-RoleSnapshot $ns }
    AfterEach {
        Get-RoleSnapshot $ns | Should -Be $before
        @(Get-ChildItem $env:LVSTOOLS_ROLE_STATE_DIR -Filter 'net-*.json' -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }

    It 'refuses an address that is not unicast (<Address>)' -ForEach @(@{ Address = '224.0.0.1' }, @{ Address = '255.255.255.255' }, @{ Address = '0.0.0.0' }, @{ Address = 'ff02::1' }) {
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress $Address -Mode DirectRouting -Interface veth0 -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'InvalidIPAddress' 'InvalidArgument'
        $err[0].Exception.Message | Should -Match ([regex]::Escape(([ipaddress]$Address).ToString()))
    }

    It 'refuses an interface that does not exist' {
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface nosuch0 -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'InterfaceNotFound' 'ObjectNotFound'
        $err[0].Exception.Message | Should -Match "nosuch0"
    }

    It 'says -Interface is needed when there is no default route to go by' {
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'RealServerInterfaceUnknown' 'ObjectNotFound'
        $err[0].Exception.Message | Should -Match 'no IPv4 default route.*-Interface'
        $s = Get-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting
        $s.Ready | Should -BeFalse
        $s.Missing[0] | Should -Match 'client-facing interface is unknown'
    }

    It 'refuses a namespace that does not exist' {
        Enable-LvsRealServerRole -NetNamespace lvsp-nosuchns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface veth0 -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'NetNamespaceNotFound' 'ObjectNotFound'
        Get-LvsRealServerRole -NetNamespace lvsp-nosuchns -VirtualAddress 10.0.0.100 -ErrorVariable err2 -ErrorAction SilentlyContinue
        Assert-CleanError $err2 'NetNamespaceNotFound' 'ObjectNotFound'
    }

    It 'refuses -Persist with -NetNamespace (a sysctl.d file is the host''s)' {
        $file = Join-Path $TestDrive 'never.conf'
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface veth0 -Persist -PersistPath $file -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'PersistInNetNamespace' 'InvalidArgument'
        Test-Path $file | Should -BeFalse
    }

    It 'refuses IPv6 VIPs for Tunnel mode, and lo as its client-facing interface' {
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 2001:db8::1 -Mode Tunnel -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'RealServerRoleIPv6Tunnel' 'NotImplemented'
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode Tunnel -Interface lo -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'RealServerRoleInvalid' 'InvalidArgument'
    }

    It 'Tunnel mode silences ARP before the VIP goes on tunl0, as DirectRouting does; -WhatIf changes nothing' {
        $ignore = ip netns exec $ns cat /proc/sys/net/ipv4/conf/all/arp_ignore
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode Tunnel -Interface veth0 -WhatIf | Out-Null
        ip netns exec $ns cat /proc/sys/net/ipv4/conf/all/arp_ignore | Should -Be $ignore
        (Get-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode Tunnel -Interface veth0).Steps.Command |
            Select-Object -Skip 1 -First 4 | Should -Be @('sysctl -w net.ipv4.conf.all.arp_ignore=1', 'sysctl -w net.ipv4.conf.veth0.arp_ignore=1',
                'sysctl -w net.ipv4.conf.all.arp_announce=2', 'sysctl -w net.ipv4.conf.veth0.arp_announce=2')
    }

    It 'says so clearly when the kernel has no ipip, before anything is changed' -Skip:$hasIpip {
        Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode Tunnel -Interface veth0 -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'IpipNotAvailable' 'NotInstalled'
    }
}

Describe 'Enable-LvsRealServerRole -Persist' -Tag Namespace -Skip:$skipKernel {
    # -Persist is for the host's own namespace: a child pwsh runs inside a namespace of the test's own, so the
    # "current namespace" it changes is the test's, and -PersistPath keeps /etc out of it.
    BeforeAll { $ns = New-RealServerNamespace }
    AfterAll { Remove-TestNamespace $ns }

    It 'records the sysctls in the file, and Disable puts the file back as it was' {
        $file = Join-Path $TestDrive 'role.conf'
        Set-Content -Path $file -Value '# kept', 'net.ipv4.conf.all.arp_ignore = 1'
        $script = @"
`$env:LVSTOOLS_ROLE_STATE_DIR = '$($env:LVSTOOLS_ROLE_STATE_DIR)'
Import-Module '$(Get-LvsModulePath)'
`$r = Enable-LvsRealServerRole -VirtualAddress 10.0.0.100 -Mode DirectRouting -Persist -PersistPath '$file' -ErrorAction Stop
'PERSIST:' + `$r.PersistPath
Get-Content '$file' | ForEach-Object { 'ENABLED:' + `$_ }
`$null = Disable-LvsRealServerRole -ErrorAction Stop
Get-Content '$file' | ForEach-Object { 'DISABLED:' + `$_ }
"@
        $out = @(ip netns exec $ns (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script)
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out | Should -Contain "PERSIST:$file"
        $enabled = @($out | Where-Object { $_ -like 'ENABLED:*' } | ForEach-Object { $_.Substring(8) })
        $enabled | Should -Be @('# kept', 'net.ipv4.conf.all.arp_ignore = 1', 'net.ipv4.conf.veth0.arp_ignore = 1',
            'net.ipv4.conf.all.arp_announce = 2', 'net.ipv4.conf.veth0.arp_announce = 2')
        @($out | Where-Object { $_ -like 'DISABLED:*' } | ForEach-Object { $_.Substring(9) }) | Should -Be @('# kept', 'net.ipv4.conf.all.arp_ignore = 1')
    }
}
