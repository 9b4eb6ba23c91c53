# Where a command acts: an object acts in the namespace it was read from (piped or given by parameter, never the
# caller's), a contradicting -NetNamespace is an error, a namespace deleted or replaced mid-pipeline gets no write
# reported as done, and a host-wide sysctl is not written "in" a namespace without -HostWide.
# The host Describes need root and network namespaces (not IPVS); the IPVS ones run in the UML guest (tests/Uml).
# Every test works in namespaces of its own; the host's sysctls are read, never written.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipKernel = -not (Test-KernelTestsAvailable)
    $script:skipIpvs = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Split-IpvsadmSave, Assert-Block, Assert-LvsError, Get-HostText

    function Get-IpvsadmSave([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -S -n) }
    # The IPv4 addresses on lo of a namespace, as `ip` reads them.
    function Get-LoAddress([string] $Namespace) { @(Get-Ipv4Address $Namespace lo) }
}

Describe 'Host-wide sysctls under -NetNamespace' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $hostRatelimit = Get-Content /proc/sys/kernel/printk_ratelimit
        $hostRmem = Get-Content /proc/sys/net/core/rmem_max
    }
    AfterAll {
        Remove-TestNamespace $ns
    }
    AfterEach {
        Get-Content /proc/sys/kernel/printk_ratelimit | Should -Be $hostRatelimit -Because 'the host value never changes'
        Get-Content /proc/sys/net/core/rmem_max | Should -Be $hostRmem
    }

    It 'refuses kernel.printk_ratelimit under -NetNamespace (SysctlNotNamespaced), also with -WhatIf' {
        $err = Get-CmdletError Set-Sysctl @{ NetNamespace = $ns; Name = 'kernel.printk_ratelimit'; Value = '7' }
        Assert-LvsError $err 'SysctlNotNamespaced,LvsTools.Commands.SetSysctlCommand' 'InvalidOperation' 'kernel.printk_ratelimit'
        $err[0].Exception.Message | Should -BeLike "*host-wide*$ns*-HostWide*"
        $err = Get-CmdletError Set-Sysctl @{ NetNamespace = $ns; Name = 'kernel.printk_ratelimit'; Value = '7'; WhatIf = $true }
        Assert-LvsError $err 'SysctlNotNamespaced,LvsTools.Commands.SetSysctlCommand' 'InvalidOperation'
    }

    It 'refuses a net.* key that is host-wide (net.netfilter.nf_conntrack_max, net.core.rmem_max, net.ipv4.tcp_mem)' {
        foreach ($key in 'net.core.rmem_max', 'net.ipv4.tcp_mem', 'net.core.netdev_max_backlog') {
            $err = Get-CmdletError Set-Sysctl @{ NetNamespace = $ns; Name = $key; Value = '1' }
            Assert-LvsError $err 'SysctlNotNamespaced,LvsTools.Commands.SetSysctlCommand' 'InvalidOperation' $key
        }
    }

    It 'with -HostWide, -WhatIf says host-wide, not the namespace' {
        $r = Get-HostText { Set-Sysctl -NetNamespace $ns kernel.printk_ratelimit 7 -HostWide -WhatIf }
        $r.Text | Should -Match ([regex]::Escape('"sysctl -w kernel.printk_ratelimit=7" on target "kernel.printk_ratelimit (host-wide)"'))
        $r.Text | Should -Not -Match ([regex]::Escape("(netns $ns)"))
        $r = Get-HostText { Set-Sysctl -NetNamespace $ns net.ipv4.ip_forward 1 -WhatIf }
        $r.Text | Should -Match ([regex]::Escape("on target `"net.ipv4.ip_forward (netns $ns)`""))
    }

    It 'says a read-only entry is read-only, not "needs root"' {
        $err = Get-CmdletError Set-Sysctl @{ NetNamespace = $ns; Name = 'net.ipv4.conf.lo.mc_forwarding'; Value = '1' }
        Assert-LvsError $err 'SysctlReadOnly,LvsTools.Commands.SetSysctlCommand' 'InvalidOperation' 'net.ipv4.conf.lo.mc_forwarding'
        $err[0].Exception.Message | Should -Be "Sysctl 'net.ipv4.conf.lo.mc_forwarding' is read-only in network namespace '$ns': the kernel does not let anyone change it."
    }

    It 'says a host-wide value a namespace only shows is read-only there (where the kernel shows it)' {
        # Linux 6.18 shows net.core.rmem_max read-only in a new namespace; older kernels (the UML guest's 6.1) not at all.
        $shown = [bool](ip netns exec $ns sh -c 'test -e /proc/sys/net/core/rmem_max && echo yes')
        $err = Get-CmdletError Set-Sysctl @{ NetNamespace = $ns; Name = 'net.core.rmem_max'; Value = '1'; HostWide = $true }
        if ($shown) {
            Assert-LvsError $err 'SysctlReadOnly,LvsTools.Commands.SetSysctlCommand' 'InvalidOperation' 'net.core.rmem_max'
            $err[0].Exception.Message | Should -BeLike "*read-only in network namespace '$ns': it is a host-wide value*without -NetNamespace*"
        }
        else {
            Assert-LvsError $err 'SysctlNotFound,LvsTools.Commands.SetSysctlCommand' 'ObjectNotFound' 'net.core.rmem_max'
        }
        $err[0].Exception.Message | Should -Not -BeLike '*root*'
    }

    It 'says the kernel refused a value, and never echoes 5,000 characters' {
        $err = Get-CmdletError Set-Sysctl @{ NetNamespace = $ns; Name = 'net.ipv4.ip_forward'; Value = ('9' * 5000) }
        Assert-LvsError $err 'InvalidSysctlValue,LvsTools.Commands.SetSysctlCommand' 'InvalidArgument' 'net.ipv4.ip_forward'
        $err[0].Exception.Message | Should -BeLike "The kernel refused value '9999*… (5000 characters)' for 'net.ipv4.ip_forward'*"
        $err[0].Exception.Message.Length | Should -BeLessThan 300
        ip netns exec $ns sysctl -n net.ipv4.ip_forward | Should -Be '0'
    }

    It 'still writes per-namespace keys in the namespace only' {
        Set-Sysctl -NetNamespace $ns net.ipv4.conf.lo.arp_ignore 1
        ip netns exec $ns sysctl -n net.ipv4.conf.lo.arp_ignore | Should -Be '1'
    }

    It 'Get-Sysctl marks host-wide entries' {
        $e = Get-Sysctl -NetNamespace $ns kernel.printk_ratelimit, net.ipv4.ip_forward, net.core.somaxconn
        @($e | ForEach-Object { "$($_.Name)=$($_.Scope)" }) |
            Should -Be @('kernel.printk_ratelimit=Host', 'net.ipv4.ip_forward=NetNamespace', 'net.core.somaxconn=NetNamespace')
        ($e[0] | Out-String) | Should -BeLike '*kernel.printk_ratelimit = *# host-wide*'
        ($e[1] | Out-String) | Should -Not -BeLike '*host-wide*'
    }
}

Describe 'A namespace that vanishes mid-pipeline' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        # 20 addresses, the namespace deleted (or replaced) by an upstream ForEach-Object when the 6th item comes.
        function Invoke-VanishingAdd([string] $NetNamespace, [scriptblock] $Vanish) {
            $err = $null
            $out = 1..20 | ForEach-Object { if ($_ -eq 6) { & $Vanish }; [pscustomobject]@{ IPAddress = "10.77.0.$_" } } |
                Add-LvsVirtualIp -NetNamespace $NetNamespace -InterfaceName lo -PrefixLength 32 -ErrorVariable err -ErrorAction SilentlyContinue
            @{ Output = @($out); Errors = @($err) }
        }
    }

    It 'Add-LvsVirtualIp: deleted (ip netns del) -> every address NetNamespaceNotFound, none reported added' {
        $ns = New-TestNamespace -NoVeth
        try {
            $r = Invoke-VanishingAdd $ns { ip netns del $ns }
            $r.Output | Should -BeNullOrEmpty
            $r.Errors | Should -HaveCount 20
            @($r.Errors.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'NetNamespaceNotFound,LvsTools.Commands.AddLvsVirtualIpCommand'
            @($r.Errors.CategoryInfo.Category | Sort-Object -Unique) | Should -Be 'ObjectNotFound'
            # The pipeline's adds go to the kernel together at its end, after the namespace went: each address says so.
            @($r.Errors.TargetObject) | Should -Be @(1..20 | ForEach-Object { "10.77.0.$_/32 on lo" })
            $r.Errors[0].Exception.Message | Should -Be "10.77.0.1/32 on lo was not added: Network namespace '$ns' disappeared while the command ran (/run/netns/$ns no longer exists); nothing more is done there."
        }
        finally { Remove-TestNamespace $ns }
    }

    It 'Add-LvsVirtualIp: deleted and re-created under the same name -> nothing goes into the new one' {
        $ns = New-TestNamespace -NoVeth
        try {
            $r = Invoke-VanishingAdd $ns { ip netns del $ns; ip netns add $ns; ip -n $ns link set lo up }
            $r.Output | Should -BeNullOrEmpty
            $r.Errors | Should -HaveCount 20
            @($r.Errors.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'NetNamespaceNotFound,LvsTools.Commands.AddLvsVirtualIpCommand'
            $r.Errors[0].Exception.Message | Should -BeLike "*'$ns' disappeared while the command ran*now leads to another namespace*"
            @(Get-LoAddress $ns | Where-Object { $_ -like '10.77.*' }) | Should -BeNullOrEmpty
        }
        finally { Remove-TestNamespace $ns }
    }

    It 'Add-LvsVirtualIp: the process behind /proc/PID/ns/net ends -> NetNamespaceNotFound' {
        $p = Start-Process unshare -ArgumentList '-n', 'sleep', '300' -PassThru
        try {
            $path = "/proc/$($p.Id)/ns/net"
            for ($i = 0; $i -lt 50 -and (readlink $path) -eq (readlink /proc/self/ns/net); $i++) { Start-Sleep -Milliseconds 20 }
            $r = Invoke-VanishingAdd $path { Stop-Process -Id $p.Id -Force; $p.WaitForExit() }
            $r.Output | Should -BeNullOrEmpty
            $r.Errors | Should -HaveCount 20
            @($r.Errors.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'NetNamespaceNotFound,LvsTools.Commands.AddLvsVirtualIpCommand'
        }
        finally { if (-not $p.HasExited) { Stop-Process -Id $p.Id -Force } }
    }

    It 'Set-Sysctl writes item by item: 5 written, then 15 NetNamespaceNotFound' {
        $ns = New-TestNamespace -NoVeth
        try {
            $err = $null
            $out = 1..20 | ForEach-Object { if ($_ -eq 6) { ip netns del $ns }; [pscustomobject]@{ Name = 'net.ipv4.ip_forward'; Value = $_ % 2 } } |
                Set-Sysctl -NetNamespace $ns -PassThru -ErrorVariable err -ErrorAction SilentlyContinue
            @($out) | Should -HaveCount 5
            @($out.NetNamespace | Sort-Object -Unique) | Should -Be $ns
            @($err) | Should -HaveCount 15
            @($err.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'NetNamespaceNotFound,LvsTools.Commands.SetSysctlCommand'
        }
        finally { Remove-TestNamespace $ns }
    }

    It 'Remove-LvsVirtualIp of objects read before: 5 removed, then 15 NetNamespaceNotFound' {
        $ns = New-TestNamespace -NoVeth
        try {
            1..20 | ForEach-Object { [pscustomobject]@{ IPAddress = "10.78.0.$_" } } | Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -PrefixLength 32
            $aliases = @(Get-NetAlias -NetNamespace $ns -IPAddress (1..20 | ForEach-Object { "10.78.0.$_" }))
            $aliases | Should -HaveCount 20
            $err = $null; $n = 0
            $out = $aliases | ForEach-Object { if (++$n -eq 6) { ip netns del $ns }; $_ } |
                Remove-LvsVirtualIp -PassThru -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            @($out) | Should -HaveCount 5
            @($err) | Should -HaveCount 15
            @($err.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'NetNamespaceNotFound,LvsTools.Commands.RemoveLvsVirtualIpCommand'
        }
        finally { Remove-TestNamespace $ns }
    }
}

Describe 'Addresses act where they came from' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $nsA = New-TestNamespace -NoVeth
        $nsB = New-TestNamespace -NoVeth
        foreach ($n in $nsA, $nsB) {
            '10.79.0.1', '10.79.0.2', '10.79.0.3', '10.79.0.4' | ForEach-Object { [pscustomobject]@{ IPAddress = $_ } } |
                Add-LvsVirtualIp -NetNamespace $n -InterfaceName lo -PrefixLength 32
        }
        function Get-B([string] $Ip) { Get-NetAlias -NetNamespace $nsB -IPAddress $Ip }
    }
    AfterAll { Remove-TestNamespace $nsA; Remove-TestNamespace $nsB }

    It 'Remove-LvsVirtualIp -InputObject acts in the object''s namespace, not the caller''s' {
        $out = Remove-LvsVirtualIp -InputObject (Get-B 10.79.0.1) -Confirm:$false -PassThru
        $out.NetNamespace | Should -Be $nsB
        Get-LoAddress $nsB | Should -Not -Contain '10.79.0.1'
        Get-LoAddress $nsA | Should -Contain '10.79.0.1'
    }

    It 'a contradicting -NetNamespace is NetNamespaceMismatch, naming both, and nothing changes (by parameter and piped)' {
        $alias = Get-B 10.79.0.2
        $err = Get-CmdletError Remove-LvsVirtualIp @{ InputObject = $alias; NetNamespace = $nsA; Confirm = $false }
        Assert-LvsError $err 'NetNamespaceMismatch,LvsTools.Commands.RemoveLvsVirtualIpCommand' 'InvalidArgument'
        $err[0].Exception.Message | Should -BeLike "*'$nsB'*'$nsA'*"
        $err = $null
        $alias | Remove-LvsVirtualIp -NetNamespace $nsA -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-LvsError $err 'NetNamespaceMismatch,LvsTools.Commands.RemoveLvsVirtualIpCommand' 'InvalidArgument'
        Get-LoAddress $nsB | Should -Contain '10.79.0.2'
        Get-LoAddress $nsA | Should -Contain '10.79.0.2'
    }

    It 'the same namespace spelled /run/netns/NAME or /var/run/netns/NAME is no mismatch' {
        Remove-LvsVirtualIp -InputObject (Get-B 10.79.0.3) -NetNamespace "/run/netns/$nsB" -Confirm:$false
        Remove-LvsVirtualIp -InputObject (Get-B 10.79.0.4) -NetNamespace "/var/run/netns/$nsB" -Confirm:$false
        Get-LoAddress $nsB | Should -Not -Contain '10.79.0.3'
        Get-LoAddress $nsB | Should -Not -Contain '10.79.0.4'
        Get-LoAddress $nsA | Should -Contain '10.79.0.3'
    }

    It '-WhatIf names the namespace the object acts in' {
        $alias = Get-B 10.79.0.2
        $r = Get-HostText { Remove-LvsVirtualIp -InputObject $alias -WhatIf }
        $r.Text | Should -Match ([regex]::Escape("on target `"10.79.0.2/32 on lo (netns $nsB)`""))
    }
}

Describe 'Services and real servers act where they came from' -Tag Kernel -Skip:$skipIpvs {
    BeforeAll {
        # The same services in two namespaces; every scenario uses a service of its own, given as an object from B.
        $nsA = New-TestNamespace -NoVeth
        $nsB = New-TestNamespace -NoVeth
        foreach ($n in $nsA, $nsB) {
            1..9 | ForEach-Object { [pscustomobject]@{ VirtualAddress = "10.0.0.$_" } } | New-LvsService -NetNamespace $n -Port 80 -Scheduler rr | Out-Null
            3, 4 | ForEach-Object { Add-LvsRealServer -NetNamespace $n -VirtualAddress "10.0.0.$_" -VirtualPort 80 -Address 10.0.1.1 -Weight 1 } | Out-Null
        }
        $b = @{}
        Get-LvsService -NetNamespace $nsB | ForEach-Object { $b[$_.Address.ToString()] = $_ }
        $r = @{}
        $e = $null
        $r.set = @{ Output = @(Set-LvsService -InputObject $b['10.0.0.1'] -Scheduler wlc -PassThru -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.addrs = @{ Output = @(Add-LvsRealServer -Service $b['10.0.0.2'] -Address 10.0.1.2 -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.getrs = @{ Output = @(Get-LvsRealServer -Service $b['10.0.0.3'] -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.setrs = @{ Output = @(Set-LvsRealServer -InputObject $r.getrs.Output -Weight 5 -PassThru -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $rs4 = @(Get-LvsRealServer -Service $b['10.0.0.4'])
        $r.removers = @{ Output = @(Remove-LvsRealServer -InputObject $rs4 -Confirm:$false -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.remove = @{ Output = @(Remove-LvsService -InputObject $b['10.0.0.5'] -Confirm:$false -PassThru -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.mismatch = @{ Output = @(Remove-LvsService -InputObject $b['10.0.0.6'] -NetNamespace $nsA -Confirm:$false -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.mismatchPiped = @{ Output = @($b['10.0.0.6'] | Set-LvsService -NetNamespace $nsA -Scheduler sh -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.mismatchRs = @{ Output = @(Add-LvsRealServer -Service $b['10.0.0.6'] -NetNamespace $nsA -Address 10.0.1.9 -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.mismatchReset = @{ Output = @(Reset-LvsStatistics -InputObject $b['10.0.0.6'] -NetNamespace $nsA -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.samePath = @{ Output = @(Remove-LvsService -InputObject $b['10.0.0.7'] -NetNamespace "/run/netns/$nsB" -Confirm:$false -ErrorVariable e -ErrorAction SilentlyContinue); Errors = @($e) }
        $r.whatIf = Get-HostText { Remove-LvsService -InputObject $b['10.0.0.8'] -WhatIf }
        # A document with a host-wide sysctl under -NetNamespace: refused before anything is sent.
        $docFile = Join-Path $TestDrive 'doc.json'
        Set-Content -Path $docFile -Value ('{ "schemaVersion": 1, "services": [ { "protocol": "tcp", "address": "10.0.9.9", "port": 80, "scheduler": "rr" } ], ' +
            '"sysctls": [ { "name": "kernel.printk_ratelimit", "value": "7" } ] }')
        $ratelimit = Get-Content /proc/sys/kernel/printk_ratelimit
        $r.document = @{ Errors = @(try { Import-LvsConfiguration -Path $docFile -NetNamespace $nsA -ErrorAction Stop | Out-Null } catch { $_ }) }
        $ratelimitAfter = Get-Content /proc/sys/kernel/printk_ratelimit
        $blocksA = Split-IpvsadmSave (Get-IpvsadmSave $nsA)
        $blocksB = Split-IpvsadmSave (Get-IpvsadmSave $nsB)
    }
    AfterAll { Remove-TestNamespace $nsA; Remove-TestNamespace $nsB }

    It 'Set-LvsService -InputObject changes B''s service, not A''s' {
        $r.set.Errors | Should -BeNullOrEmpty
        $r.set.Output[0].NetNamespace | Should -Be $nsB
        Assert-Block $blocksB @{ '-t 10.0.0.1:80' = '-A -t 10.0.0.1:80 -s wlc' }
        Assert-Block $blocksA @{ '-t 10.0.0.1:80' = '-A -t 10.0.0.1:80 -s rr' }
    }

    It 'Add-LvsRealServer -Service adds to B''s service and says so' {
        $r.addrs.Errors | Should -BeNullOrEmpty
        $r.addrs.Output[0].NetNamespace | Should -Be $nsB
        Assert-Block $blocksB @{ '-t 10.0.0.2:80' = '-A -t 10.0.0.2:80 -s rr', '-a -t 10.0.0.2:80 -r 10.0.1.2:80 -g -w 1' }
        Assert-Block $blocksA @{ '-t 10.0.0.2:80' = '-A -t 10.0.0.2:80 -s rr' }
    }

    It 'Get-LvsRealServer -Service reads B; Set-LvsRealServer -InputObject changes B' {
        $r.getrs.Errors | Should -BeNullOrEmpty
        $r.getrs.Output | Should -HaveCount 1
        $r.getrs.Output[0].NetNamespace | Should -Be $nsB
        $r.setrs.Errors | Should -BeNullOrEmpty
        $r.setrs.Output[0].NetNamespace | Should -Be $nsB
        Assert-Block $blocksB @{ '-t 10.0.0.3:80' = '-A -t 10.0.0.3:80 -s rr', '-a -t 10.0.0.3:80 -r 10.0.1.1:80 -g -w 5' }
        Assert-Block $blocksA @{ '-t 10.0.0.3:80' = '-A -t 10.0.0.3:80 -s rr', '-a -t 10.0.0.3:80 -r 10.0.1.1:80 -g -w 1' }
    }

    It 'Remove-LvsRealServer -InputObject removes from B' {
        $r.removers.Errors | Should -BeNullOrEmpty
        Assert-Block $blocksB @{ '-t 10.0.0.4:80' = '-A -t 10.0.0.4:80 -s rr' }
        Assert-Block $blocksA @{ '-t 10.0.0.4:80' = '-A -t 10.0.0.4:80 -s rr', '-a -t 10.0.0.4:80 -r 10.0.1.1:80 -g -w 1' }
    }

    It 'Remove-LvsService -InputObject removes B''s service and leaves A''s' {
        $r.remove.Errors | Should -BeNullOrEmpty
        $r.remove.Output[0].NetNamespace | Should -Be $nsB
        Assert-Block $blocksB @{ '-t 10.0.0.5:80' = $null }
        Assert-Block $blocksA @{ '-t 10.0.0.5:80' = '-A -t 10.0.0.5:80 -s rr' }
    }

    It 'a contradicting -NetNamespace is NetNamespaceMismatch (<_>), and nothing changes' -ForEach 'mismatch', 'mismatchPiped', 'mismatchRs', 'mismatchReset' {
        $r[$_].Output | Should -BeNullOrEmpty
        $r[$_].Errors | Should -HaveCount 1
        $r[$_].Errors[0].FullyQualifiedErrorId | Should -BeLike 'NetNamespaceMismatch,*'
        $r[$_].Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $r[$_].Errors[0].Exception.Message | Should -BeLike "Virtual service TCP  10.0.0.6:80 comes from network namespace '$nsB', but -NetNamespace names network namespace '$nsA'*"
        Assert-Block $blocksB @{ '-t 10.0.0.6:80' = '-A -t 10.0.0.6:80 -s rr' }
        Assert-Block $blocksA @{ '-t 10.0.0.6:80' = '-A -t 10.0.0.6:80 -s rr' }
    }

    It 'the object''s namespace spelled as a path is no mismatch' {
        $r.samePath.Errors | Should -BeNullOrEmpty
        Assert-Block $blocksB @{ '-t 10.0.0.7:80' = $null }
        Assert-Block $blocksA @{ '-t 10.0.0.7:80' = '-A -t 10.0.0.7:80 -s rr' }
    }

    It '-WhatIf names the object''s namespace and changes nothing' {
        $r.whatIf.Text | Should -Match ([regex]::Escape("TCP  10.0.0.8:80 (netns $nsB)"))
        Assert-Block $blocksB @{ '-t 10.0.0.8:80' = '-A -t 10.0.0.8:80 -s rr' }
    }

    It 'a document with a host-wide sysctl under -NetNamespace is refused before any change' {
        $r.document.Errors | Should -HaveCount 1
        $r.document.Errors[0].FullyQualifiedErrorId | Should -BeLike 'SysctlNotNamespaced,*'
        $r.document.Errors[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $ratelimitAfter | Should -Be $ratelimit
        Assert-Block $blocksA @{ '-t 10.0.9.9:80' = $null }
    }
}

Describe 'New-LvsService in a namespace that vanishes mid-pipeline' -Tag Kernel -Skip:$skipIpvs {
    BeforeAll {
        function Invoke-VanishingNew([string] $NetNamespace, [scriptblock] $Vanish) {
            $err = $null
            $out = 1..20 | ForEach-Object { if ($_ -eq 6) { & $Vanish }; [pscustomobject]@{ VirtualAddress = "10.0.5.$_" } } |
                New-LvsService -NetNamespace $NetNamespace -Port 80 -Scheduler rr -ErrorVariable err -ErrorAction SilentlyContinue
            @{ Output = @($out); Errors = @($err) }
        }
        $nsC = New-TestNamespace -NoVeth
        $deleted = Invoke-VanishingNew $nsC { ip netns del $nsC }
        $nsD = New-TestNamespace -NoVeth
        $replaced = Invoke-VanishingNew $nsD { ip netns del $nsD; ip netns add $nsD }
        $afterReplace = Get-IpvsadmSave $nsD
    }
    AfterAll { Remove-TestNamespace $nsC; Remove-TestNamespace $nsD }

    It 'deleted: exactly 5 created, then 15 NetNamespaceNotFound' {
        @($deleted.Output | ForEach-Object { $_.Address.ToString() }) | Should -Be @(1..5 | ForEach-Object { "10.0.5.$_" })
        $deleted.Errors | Should -HaveCount 15
        @($deleted.Errors.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'NetNamespaceNotFound,LvsTools.Commands.NewLvsServiceCommand'
        @($deleted.Errors.CategoryInfo.Category | Sort-Object -Unique) | Should -Be 'ObjectNotFound'
        $deleted.Errors[0].Exception.Message | Should -BeLike "*'$nsC' disappeared while the command ran*"
    }

    It 'replaced under the same name: 5 created in the old one, nothing in the new one' {
        $replaced.Output | Should -HaveCount 5
        $replaced.Errors | Should -HaveCount 15
        @($replaced.Errors.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'NetNamespaceNotFound,LvsTools.Commands.NewLvsServiceCommand'
        $afterReplace | Should -BeNullOrEmpty
    }
}
