# IPVS configuration as users script it: timeouts, sync daemons, version, statistics, connections. Each kernel
# test works in namespaces of its own and is cross-checked with ipvsadm (`-L --timeout`, `-L --daemon`,
# `-Ln --stats --exact`, `-Lnc`). Kernel tests need IPVS (the UML guest, tests/Uml); the host kernel has none,
# and there the NotInstalled tests run instead.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ipvsAvailable = [bool](Test-IpvsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and $ipvsAvailable -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
    $script:inUml = $env:LVSTOOLS_KERNEL -eq 'uml'
    $script:skipLab = $skipKernel
    # Every IPVS cmdlet of this suite, in a form that reaches the kernel.
    $script:everyCmdlet = @(
        @{ Command = 'Get-LvsTimeout'; Class = 'GetLvsTimeoutCommand'; Params = @{} }
        @{ Command = 'Set-LvsTimeout'; Class = 'SetLvsTimeoutCommand'; Params = @{ Tcp = 600 } }
        @{ Command = 'Get-LvsSyncDaemon'; Class = 'GetLvsSyncDaemonCommand'; Params = @{} }
        @{ Command = 'Start-LvsSyncDaemon'; Class = 'StartLvsSyncDaemonCommand'; Params = @{ State = 'Master'; MulticastInterface = 'lo' } }
        @{ Command = 'Stop-LvsSyncDaemon'; Class = 'StopLvsSyncDaemonCommand'; Params = @{ State = 'Backup' } }
        @{ Command = 'Get-LvsInfo'; Class = 'GetLvsInfoCommand'; Params = @{} }
        @{ Command = 'Get-LvsInfo'; Class = 'GetLvsInfoCommand'; Params = @{ Capabilities = $true } }
        @{ Command = 'Reset-LvsStatistics'; Class = 'ResetLvsStatisticsCommand'; Params = @{} }
        @{ Command = 'Reset-LvsStatistics'; Class = 'ResetLvsStatisticsCommand'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80 } }
        @{ Command = 'Get-LvsConnection'; Class = 'GetLvsConnectionCommand'; Params = @{} }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # `ipvsadm -L --timeout` as three numbers.
    function Get-IpvsadmTimeout([string] $Namespace) {
        $line = ip netns exec $Namespace ipvsadm -L --timeout
        if ($line -notmatch 'Timeout \(tcp tcpfin udp\): (\d+) (\d+) (\d+)') { throw "unexpected ipvsadm output: $line" }
        [int[]]@($Matches[1], $Matches[2], $Matches[3])
    }

    # `ipvsadm -L --daemon` lines.
    function Get-IpvsadmDaemon([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -L --daemon | Where-Object { $_ }) }

    # Exact counters of the services: @{ 'TCP  1.2.3.4:80' = [long[]](conns, inpkts, outpkts, inbytes, outbytes) }.
    function Get-IpvsadmServiceStats([string] $Namespace) {
        $stats = @{}
        foreach ($line in ip netns exec $Namespace ipvsadm -Ln --stats --exact) {
            if ($line -match '^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)') {
                $stats["$($Matches[1]) $($Matches[2])"] = [long[]]@($Matches[3..7])
            }
        }
        $stats
    }

    # Waits until `ipvsadm -Ln --stats` shows connections for every given service and the counters have settled
    # (the kernel folds its per-CPU counters in from an estimator about every 2 s; zeroing before they settled
    # would let the rest show up after the reset).
    function Wait-IpvsStats([string] $Namespace, [string[]] $Services, [int] $TimeoutSec = 30) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        $last = $null
        while ($true) {
            $s = Get-IpvsadmServiceStats $Namespace
            $text = ($s.Keys | Sort-Object | ForEach-Object { "$_=$($s[$_] -join ',')" }) -join ';'
            $counted = @($Services | Where-Object { -not $s[$_] -or $s[$_][0] -eq 0 }).Count -eq 0
            if ($counted -and $text -eq $last) { return $s }
            if ([DateTime]::UtcNow -gt $deadline) { throw "counters for $($Services -join ', ') did not settle in $TimeoutSec s: $text" }
            $last = if ($counted) { $text } else { $null }
            Start-Sleep -Milliseconds 2500
        }
    }

    function Assert-CleanError($err, [string] $Id, [string] $Category) {
        $err | Should -Not -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be $Id
        $err[0].CategoryInfo.Category | Should -Be $Category
        $err[0].Exception.Message | Should -Not -Match '\bat LvsTools\.'   # a message, not a stack trace
    }
}

Describe 'IPVS cmdlets on a kernel without IPVS' -Skip:$ipvsAvailable {
    # The current namespace: where IPVS is missing it is missing in every namespace, and nothing can change.
    It '<Command> fails with IPVSNotInstalled' -ForEach $everyCmdlet {
        $err = $null
        $out = & $Command @Params -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        Assert-CleanError $err "IPVSNotInstalled,LvsTools.Commands.$Class" 'NotInstalled'
        $err[0].Exception.Message | Should -Match 'ip_vs'
    }

    It '<Command> throws it with -ErrorAction Stop' -ForEach ($everyCmdlet | Select-Object -First 1) {
        { & $Command @Params -ErrorAction Stop } | Should -Throw -ErrorId "IPVSNotInstalled,LvsTools.Commands.$Class"
    }
}

Describe 'Validation and -WhatIf (no kernel needed)' {
    It 'rejects <Case> with <Id> before anything is sent' -ForEach @(
        @{ Case = 'a negative timeout'; Command = 'Set-LvsTimeout'; Params = @{ Tcp = -1 }; Id = 'InvalidTimeout' }
        @{ Case = 'a timeout over 2147483 s (INT_MAX/HZ with HZ=1000)'; Command = 'Set-LvsTimeout'; Params = @{ Udp = 2147484 }; Id = 'InvalidTimeout' }
        @{ Case = 'a fractional timeout'; Command = 'Set-LvsTimeout'; Params = @{ TcpFin = [timespan]::FromMilliseconds(1500) }; Id = 'InvalidTimeout' }
        @{ Case = 'sync id 256'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Master'; MulticastInterface = 'lo'; SyncId = 256 }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'a negative sync id'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Master'; MulticastInterface = 'lo'; SyncId = -1 }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'a unicast group'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Backup'; MulticastInterface = 'lo'; MulticastGroup = '10.0.0.1' }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'a malformed group'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Backup'; MulticastInterface = 'lo'; MulticastGroup = '224.1' }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'TTL 0'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Master'; MulticastInterface = 'lo'; MulticastTtl = 0 }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'port 65536'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Master'; MulticastInterface = 'lo'; MulticastPort = 65536 }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'sync-maxlen 65508'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Master'; MulticastInterface = 'lo'; SyncMaxLength = 65508 }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'an interface name over 15 characters'; Command = 'Start-LvsSyncDaemon'; Params = @{ State = 'Master'; MulticastInterface = 'a234567890123456' }; Id = 'InvalidSyncDaemon' }
        @{ Case = 'a malformed virtual address'; Command = 'Reset-LvsStatistics'; Params = @{ VirtualAddress = '10.0.0.256'; Port = 80 }; Id = 'InvalidIPAddress' }
        @{ Case = 'firewall mark 0'; Command = 'Reset-LvsStatistics'; Params = @{ FirewallMark = 0 }; Id = 'InvalidFirewallMark' }
        @{ Case = 'a malformed network filter'; Command = 'Get-LvsConnection'; Params = @{ ClientAddress = '10.0.0.0/33' }; Id = 'InvalidPrefixLength' }
    ) {
        $err = $null
        # -WhatIf where the cmdlet has it: even if validation let a value through, nothing would be sent.
        $p = @{} + $Params
        if ((Get-Command $Command).Parameters.ContainsKey('WhatIf')) { $p.WhatIf = $true }
        # A bad filter stops Get-LvsConnection (a terminating error); the others report the item and go on.
        try { & $Command @p -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty }
        catch { $err = @($_) }
        $class = ($Command -replace '-', '') + 'Command'
        Assert-CleanError $err "$Id,LvsTools.Commands.$class" 'InvalidArgument'
    }

    # The text does not depend on the kernel; a child pwsh costs about 40 s in the UML guest, so run it on the host only.
    It 'takes a number as seconds, and a TimeSpan or "hh:mm:ss" as they are' -Skip:$inUml {
        # What-if text goes to the host, so read it from a child process's output.
        $script = "Import-Module '$(Get-LvsModulePath)'; " +
            'Set-LvsTimeout -Tcp 900 -WhatIf; Set-LvsTimeout -TcpFin "00:02:00" -WhatIf; Set-LvsTimeout -Udp ([timespan]::FromMinutes(5)) -WhatIf; ' +
            'Start-LvsSyncDaemon Backup eth1 -SyncId 7 -MulticastGroup 239.0.0.7 -MulticastPort 8849 -MulticastTtl 2 -SyncMaxLength 1400 -WhatIf; ' +
            'Stop-LvsSyncDaemon Master -WhatIf; Reset-LvsStatistics -WhatIf; Reset-LvsStatistics 192.0.2.100 80 -Protocol Udp -WhatIf; ' +
            'Reset-LvsStatistics -FirewallMark 3 -AddressFamily IPv6 -WhatIf'
        $out = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script | Out-String
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_SET_CONFIG: ipvsadm --set 900 0 0" on target "IPVS timeouts"'))
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_SET_CONFIG: ipvsadm --set 0 120 0"'))
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_SET_CONFIG: ipvsadm --set 0 0 300"'))
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_NEW_DAEMON: ipvsadm --start-daemon backup --mcast-interface eth1 --syncid 7 --sync-maxlen 1400 --mcast-group 239.0.0.7 --mcast-port 8849 --mcast-ttl 2" on target "backup sync daemon"'))
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_DEL_DAEMON: ipvsadm --stop-daemon master" on target "master sync daemon"'))
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_ZERO: ipvsadm -Z" on target "IPVS table"'))
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_ZERO: ipvsadm -Z -u 192.0.2.100:80"'))
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_ZERO: ipvsadm -Z -f 3 -6"'))
    }

    It 'declares its outputs' {
        (Get-Command Get-LvsTimeout).OutputType.Type | Should -Be ([LvsTools.LvsTimeouts])
        (Get-Command Get-LvsSyncDaemon).OutputType.Type | Should -Be ([LvsTools.LvsSyncDaemon])
        (Get-Command Get-LvsConnection).OutputType.Type | Should -Be ([LvsTools.LvsConnection])
        (Get-Command Get-LvsInfo).OutputType.Type | Should -Contain ([LvsTools.LvsInfo])
        (Get-Command Get-LvsInfo).OutputType.Type | Should -Contain ([LvsTools.Core.Ipvs.IpvsCapabilities])
        (Get-Command Reset-LvsStatistics).Parameters['InputObject'].Attributes.ValueFromPipeline | Should -Contain $true
        (Get-Command Reset-LvsStatistics).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact |
            Should -Be 'Medium'
    }
}

Describe 'Get-LvsTimeout and Set-LvsTimeout' -Tag Kernel -Skip:$skipKernel {
    BeforeEach { $ns = New-TestNamespace -NoVeth }
    AfterEach { Remove-TestNamespace $ns }

    It 'reads the kernel defaults, as ipvsadm -L --timeout shows them' {
        $t = Get-LvsTimeout -NetNamespace $ns
        $t | Should -BeOfType ([LvsTools.LvsTimeouts])
        $t.NetNamespace | Should -Be $ns
        [int[]]@($t.Tcp.TotalSeconds, $t.TcpFin.TotalSeconds, $t.Udp.TotalSeconds) | Should -Be (Get-IpvsadmTimeout $ns)
        $t.Tcp | Should -Be ([timespan]::FromSeconds(900))
        ($t | Out-String).Trim() | Should -Be (ip netns exec $ns ipvsadm -L --timeout)
    }

    It 'changes only the values given' {
        $r = Set-LvsTimeout -NetNamespace $ns -Tcp 600 -PassThru
        $r.Tcp | Should -Be ([timespan]::FromSeconds(600))
        Get-IpvsadmTimeout $ns | Should -Be @(600, 120, 300)
        Set-LvsTimeout -NetNamespace $ns -TcpFin '00:00:30' -Udp ([timespan]::FromMinutes(2))
        Get-IpvsadmTimeout $ns | Should -Be @(600, 30, 120)
    }

    It 'treats 0 as unchanged, as the kernel does' {
        ip netns exec $ns ipvsadm --set 100 50 20
        Set-LvsTimeout -NetNamespace $ns -Tcp 0 -TcpFin 0 -Udp 0 -PassThru | ForEach-Object { [int]$_.Tcp.TotalSeconds } | Should -Be 100
        Get-IpvsadmTimeout $ns | Should -Be @(100, 50, 20)
    }

    It 'reads what ipvsadm --set wrote' {
        ip netns exec $ns ipvsadm --set 1000 60 45
        $t = Get-LvsTimeout -NetNamespace $ns
        [int[]]@($t.Tcp.TotalSeconds, $t.TcpFin.TotalSeconds, $t.Udp.TotalSeconds) | Should -Be @(1000, 60, 45)
    }

    It 'copies timeouts from one namespace to another through the pipeline' {
        $other = New-TestNamespace -NoVeth
        try {
            ip netns exec $ns ipvsadm --set 1234 56 78
            Get-LvsTimeout -NetNamespace $ns | Set-LvsTimeout -NetNamespace $other
            Get-IpvsadmTimeout $other | Should -Be @(1234, 56, 78)
            Get-IpvsadmTimeout $ns | Should -Be @(1234, 56, 78)
        } finally { Remove-TestNamespace $other }
    }

    It 'accepts the largest value every kernel takes, 2147483 s (INT_MAX/HZ with HZ=1000)' {
        Set-LvsTimeout -NetNamespace $ns -Udp 2147483
        (Get-IpvsadmTimeout $ns)[2] | Should -Be 2147483
    }

    It 'rejects <Case> and changes nothing' -ForEach @(
        @{ Case = 'a negative value'; Params = @{ Tcp = -5 } }
        @{ Case = 'more than 2147483 s'; Params = @{ TcpFin = [timespan]::FromSeconds(2147484) } }
    ) {
        $err = $null
        Set-LvsTimeout -NetNamespace $ns @Params -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'InvalidTimeout,LvsTools.Commands.SetLvsTimeoutCommand' 'InvalidArgument'
        Get-IpvsadmTimeout $ns | Should -Be @(900, 120, 300)
    }

    It '-WhatIf changes nothing' {
        Set-LvsTimeout -NetNamespace $ns -Tcp 60 -TcpFin 60 -Udp 60 -WhatIf
        Get-IpvsadmTimeout $ns | Should -Be @(900, 120, 300)
    }

    It 'reports a missing namespace as ObjectNotFound' {
        { Get-LvsTimeout -NetNamespace 'lvsp-doesnotexist' -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetNamespaceNotFound,LvsTools.Commands.GetLvsTimeoutCommand'
    }
}

Describe 'Sync daemons' -Tag Kernel -Skip:$skipKernel {
    BeforeEach {
        $ns = New-TestNamespace -NoVeth
        ip -n $ns link add sync0 type dummy
        ip -n $ns link set sync0 up
    }
    AfterEach { Remove-TestNamespace $ns }

    It 'lists none when none runs' {
        Get-LvsSyncDaemon -NetNamespace $ns | Should -BeNullOrEmpty
        Get-IpvsadmDaemon $ns | Should -BeNullOrEmpty
    }

    It 'starts a master and reports the kernel defaults, as ipvsadm -L --daemon shows them' {
        $d = Start-LvsSyncDaemon -NetNamespace $ns -State Master -MulticastInterface sync0 -SyncId 5 -PassThru
        $d | Should -BeOfType ([LvsTools.LvsSyncDaemon])
        $d.State | Should -Be 'Master'
        $d.MulticastInterface | Should -Be 'sync0'
        $d.SyncId | Should -Be 5
        $d.MulticastGroup | Should -Be ([ipaddress]'224.0.0.81')
        $d.MulticastPort | Should -Be 8848
        $d.MulticastTtl | Should -Be 1
        $d.SyncMaxLength | Should -BeGreaterThan 0
        $d.NetNamespace | Should -Be $ns
        $ipvsadm = @(Get-IpvsadmDaemon $ns)
        $ipvsadm | Should -HaveCount 1
        ($d | Out-String).Trim() | Should -Be $ipvsadm[0]
    }

    It 'starts a backup with every option' {
        Start-LvsSyncDaemon -NetNamespace $ns Backup sync0 -SyncId 9 -SyncMaxLength 1200 -MulticastGroup 239.1.2.3 -MulticastPort 9000 -MulticastTtl 3
        Get-IpvsadmDaemon $ns | Should -Be 'backup sync daemon (mcast=sync0, syncid=9, maxlen=1200, group=239.1.2.3, port=9000, ttl=3)'
        $d = Get-LvsSyncDaemon -NetNamespace $ns -State Backup
        $d.SyncMaxLength | Should -Be 1200
        $d.MulticastGroup | Should -Be ([ipaddress]'239.1.2.3')
    }

    It 'starts a master on an IPv6 group' {
        Start-LvsSyncDaemon -NetNamespace $ns Master sync0 -MulticastGroup ff02::1:81
        (Get-LvsSyncDaemon -NetNamespace $ns).MulticastGroup | Should -Be ([ipaddress]'ff02::1:81')
        Get-IpvsadmDaemon $ns | Should -Match 'group=ff02::1:81'
    }

    It 'reads what ipvsadm started, master and backup' {
        ip netns exec $ns ipvsadm --start-daemon master --mcast-interface sync0 --syncid 3
        ip netns exec $ns ipvsadm --start-daemon backup --mcast-interface lo --syncid 4
        $d = Get-LvsSyncDaemon -NetNamespace $ns
        $d | Should -HaveCount 2
        ($d | Out-String) -split "`n" | ForEach-Object Trim | Where-Object { $_ } | Should -Be (Get-IpvsadmDaemon $ns)
        (Get-LvsSyncDaemon -NetNamespace $ns -State Backup).SyncId | Should -Be 4
    }

    It 'stops what Get-LvsSyncDaemon lists, through the pipeline' {
        Start-LvsSyncDaemon -NetNamespace $ns Master sync0 -SyncId 12
        Start-LvsSyncDaemon -NetNamespace $ns Backup sync0 -MulticastGroup 239.9.9.9 -MulticastPort 9999
        $before = Get-IpvsadmDaemon $ns
        $stopped = Get-LvsSyncDaemon -NetNamespace $ns | Stop-LvsSyncDaemon -PassThru
        $stopped.State | Should -Be @('Master', 'Backup')
        Get-IpvsadmDaemon $ns | Should -BeNullOrEmpty
        Get-LvsSyncDaemon -NetNamespace $ns | Should -BeNullOrEmpty
        # What -PassThru returned starts the same daemons again (every property binds by name).
        $stopped | Start-LvsSyncDaemon
        Get-IpvsadmDaemon $ns | Should -Be $before
    }

    It 'stops only the state given' {
        Start-LvsSyncDaemon -NetNamespace $ns Master sync0
        Start-LvsSyncDaemon -NetNamespace $ns Backup sync0
        Stop-LvsSyncDaemon -NetNamespace $ns -State Backup
        (Get-LvsSyncDaemon -NetNamespace $ns).State | Should -Be 'Master'
    }

    It 'reports a second start as LvsSyncDaemonExists (EEXIST)' {
        Start-LvsSyncDaemon -NetNamespace $ns Master sync0 -SyncId 1
        $err = $null
        Start-LvsSyncDaemon -NetNamespace $ns Master sync0 -SyncId 2 -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'LvsSyncDaemonExists,LvsTools.Commands.StartLvsSyncDaemonCommand' 'ResourceExists'
        $err[0].Exception.InnerException.InnerException.Errno | Should -Be 17
        Get-IpvsadmDaemon $ns | Should -Match 'syncid=1,'
    }

    It 'reports stopping a daemon that does not run as LvsSyncDaemonNotFound (ESRCH)' {
        $err = $null
        Stop-LvsSyncDaemon -NetNamespace $ns -State Master -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'LvsSyncDaemonNotFound,LvsTools.Commands.StopLvsSyncDaemonCommand' 'ObjectNotFound'
        $err[0].Exception.InnerException.InnerException.Errno | Should -Be 3
    }

    It 'reports a missing interface as InterfaceNotFound (ENODEV)' {
        $err = $null
        Start-LvsSyncDaemon -NetNamespace $ns Backup nosuch0 -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'InterfaceNotFound,LvsTools.Commands.StartLvsSyncDaemonCommand' 'ObjectNotFound'
        $err[0].Exception.InnerException.InnerException.Errno | Should -Be 19
        Get-IpvsadmDaemon $ns | Should -BeNullOrEmpty
    }

    It '-WhatIf starts and stops nothing' {
        Start-LvsSyncDaemon -NetNamespace $ns Master sync0 -WhatIf
        Get-IpvsadmDaemon $ns | Should -BeNullOrEmpty
        ip netns exec $ns ipvsadm --start-daemon backup --mcast-interface sync0
        Get-LvsSyncDaemon -NetNamespace $ns | Stop-LvsSyncDaemon -WhatIf
        Get-IpvsadmDaemon $ns | Should -HaveCount 1
    }
}

Describe 'Get-LvsInfo' -Tag Kernel -Skip:$skipKernel {
    BeforeEach { $ns = New-TestNamespace -NoVeth }
    AfterEach { Remove-TestNamespace $ns }

    It 'reads version and table size, as the header of ipvsadm -Ln' {
        $i = Get-LvsInfo -NetNamespace $ns
        $i | Should -BeOfType ([LvsTools.LvsInfo])
        $header = @(ip netns exec $ns ipvsadm -Ln)[0]
        $header -match '^IP Virtual Server version (\S+) \(size=(\d+)\)$' | Should -BeTrue
        $i.Version | Should -Be ([version]$Matches[1])
        $i.ConnectionTableSize | Should -Be ([uint32]$Matches[2])
        @(($i | Out-String).Trim() -split "`r?`n")[0] | Should -Be $header
        $i.KernelVersion | Should -Be (uname -r)
        $i.Schedulers | Should -Contain 'rr'
        $i.Schedulers | Should -Contain 'wlc'
        $i.NetNamespace | Should -Be $ns
    }

    It 'probes capabilities with -Capabilities' {
        ip netns exec $ns ipvsadm -A -t 10.0.0.1:80 -s rr
        ip netns exec $ns ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m
        $c = Get-LvsInfo -NetNamespace $ns -Capabilities
        $c | Should -BeOfType ([LvsTools.Core.Ipvs.IpvsCapabilities])
        $c.IpvsVersion | Should -Be ([version]'1.2.1')
        $c.ReportsStatistics64 | Should -BeTrue
        $c.ReportsRealServerAddressFamily | Should -BeTrue
        $c.AvailableSchedulers | Should -Contain 'mh'
        $c.AvailablePersistenceEngines | Should -Contain 'sip'
    }
}

Describe 'Reset-LvsStatistics (without traffic)' -Tag Kernel -Skip:$skipKernel {
    BeforeEach {
        $ns = New-TestNamespace -NoVeth
        ip netns exec $ns ipvsadm -A -t 10.0.0.1:80 -s rr
        ip netns exec $ns ipvsadm -A -f 7 -s rr
    }
    AfterEach { Remove-TestNamespace $ns }

    It 'reports a service that does not exist as LvsServiceNotFound (ESRCH)' -ForEach @(
        @{ Params = @{ VirtualAddress = '10.0.0.2'; Port = 80 } }
        @{ Params = @{ VirtualAddress = '10.0.0.1'; Port = 80; Protocol = 'Udp' } }
        @{ Params = @{ FirewallMark = 8 } }
    ) {
        $err = $null
        Reset-LvsStatistics -NetNamespace $ns @Params -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-CleanError $err 'LvsServiceNotFound,LvsTools.Commands.ResetLvsStatisticsCommand' 'ObjectNotFound'
        $err[0].Exception.InnerException.InnerException.Errno | Should -Be 3
    }

    It 'zeroes existing services by key and all at once' {
        Reset-LvsStatistics -NetNamespace $ns -VirtualAddress 10.0.0.1 -Port 80 -ErrorAction Stop
        Reset-LvsStatistics -NetNamespace $ns -FirewallMark 7 -ErrorAction Stop
        Reset-LvsStatistics -NetNamespace $ns -ErrorAction Stop
    }
}

Describe 'Connections and statistics with real traffic' -Tag Kernel -Skip:$skipLab {
    # One NAT lab for the whole block (building it costs seconds in UML): client -> director (IPVS) -> 2 real
    # servers, each answering HTTP on 8080. Two services: VIP:8080 and VIP:8081 (both to the servers' 8080).
    BeforeAll {
        $lab = New-LvsLab -Mode Nat -RealServerCount 2 -Port 8080
        $dir = $lab.Director
        $vip = "$($lab.Vip)"
        ip -n $dir addr add "$vip/32" dev $lab.VipInterface
        ip netns exec $dir sysctl -qw net.ipv4.ip_forward=1
        foreach ($port in 8080, 8081) {
            ip netns exec $dir ipvsadm -A -t "${vip}:$port" -s rr
            foreach ($a in $lab.RealServerAddresses) { ip netns exec $dir ipvsadm -a -t "${vip}:$port" -r "${a}:$($lab.Port)" -m }
        }
        $svc80 = "TCP ${vip}:8080"
        $svc81 = "TCP ${vip}:8081"
        $r1 = Invoke-LvsLabRequest -Lab $lab -Count 4
        $r2 = Invoke-LvsLabRequest -Lab $lab -Count 2 -Port 8081
        if ($r1.Summary.Failed -or $r2.Summary.Failed) { throw "lab traffic failed: $($r1.Requests + $r2.Requests | Out-String)" }
        $clientPorts = @($r1.Requests.ClientPort) + @($r2.Requests.ClientPort)
    }
    AfterAll { if ($lab) { $lab | Remove-LvsLab } }

    It 'lists what ipvsadm -Lnc lists' {
        $mine = Get-LvsConnection -NetNamespace $dir
        $mine | Should -Not -BeNullOrEmpty
        $mine[0] | Should -BeOfType ([LvsTools.LvsConnection])
        $theirs = @(ip netns exec $dir ipvsadm -Lnc | Select-Object -Skip 2 | ForEach-Object {
                $f = -split $_
                '{0} {1} {2} {3} {4}' -f $f[0], $f[2], $f[3], $f[4], $f[5]
            })
        $mineText = @($mine | ForEach-Object {
                '{0} {1} {2}:{3} {4}:{5} {6}:{7}' -f $_.Protocol, $_.State, $_.ClientAddress, $_.ClientPort,
                    $_.VirtualAddress, $_.VirtualPort, $_.DestinationAddress, $_.DestinationPort
            })
        ($mineText | Sort-Object) | Should -Be ($theirs | Sort-Object)
        foreach ($p in $clientPorts) { $mine.ClientPort | Should -Contain $p }
        $mine | ForEach-Object { $_.Expires | Should -BeGreaterThan ([timespan]::Zero) }
        $mine[0].NetNamespace | Should -Be $dir
    }

    It 'shows a table like ipvsadm -Lnc' {
        $text = Get-LvsConnection -NetNamespace $dir -ClientAddress "$($lab.ClientAddress)" | Out-String -Width 200
        $text | Should -Match 'Pro\s+Expire\s+State\s+Source\s+Virtual\s+Destination'
        $text | Should -Match ('TCP\s+\d\d:\d\d\s+\S+\s+{0}:\d+\s+{1}:8080\s+10\.77\.1\.[12]:8080' -f [regex]::Escape($lab.ClientAddress), [regex]::Escape($vip))
    }

    It 'filters by <Name>' -ForEach @(
        @{ Name = 'virtual port'; Params = @{ VirtualPort = 8081 }; Expected = 2 }
        @{ Name = 'virtual address and port'; Params = @{ VirtualAddress = '10.76.0.100'; VirtualPort = 8080, 8081 }; Expected = 6 }
        @{ Name = 'client network'; Params = @{ ClientAddress = '10.76.0.0/24' }; Expected = 6 }
        @{ Name = 'client wildcard'; Params = @{ ClientAddress = '10.76.0.*' }; Expected = 6 }
        @{ Name = 'another client'; Params = @{ ClientAddress = '198.51.100.1' }; Expected = 0 }
        @{ Name = 'real server'; Params = @{ DestinationAddress = '10.77.1.1' }; Expected = 3 }
        @{ Name = 'real server and port'; Params = @{ DestinationAddress = '10.77.1.0/24'; DestinationPort = 8080 }; Expected = 6 }
        @{ Name = 'protocol, case-insensitive'; Params = @{ Protocol = 'tcp' }; Expected = 6 }
        @{ Name = 'protocol UDP'; Params = @{ Protocol = 'UDP' }; Expected = 0 }
        @{ Name = 'state wildcard'; Params = @{ State = '*WAIT*', 'CLOSE*', 'ESTABLISHED' }; Expected = 6 }
    ) {
        @(Get-LvsConnection -NetNamespace $dir @Params) | Should -HaveCount $Expected
    }

    It 'zeroes one service and leaves the other' {
        $before = Wait-IpvsStats $dir @($svc80, $svc81)
        $before[$svc80][0] | Should -Be 4
        Reset-LvsStatistics -NetNamespace $dir -VirtualAddress $vip -Port 8081
        $after = Get-IpvsadmServiceStats $dir
        $after[$svc81] | Should -Be @(0, 0, 0, 0, 0)
        $after[$svc80][0] | Should -Be $before[$svc80][0]
    }

    It 'zeroes the services piped from Get-LvsService' {
        if (-not (Get-Command Get-LvsService -ErrorAction SilentlyContinue)) { Set-ItResult -Skipped -Because 'Get-LvsService is not in this build'; return }
        $null = Invoke-LvsLabRequest -Lab $lab -Count 1 -Port 8081
        $null = Wait-IpvsStats $dir @($svc80, $svc81)
        Get-LvsService -NetNamespace $dir | Where-Object Port -EQ 8081 | Reset-LvsStatistics
        $after = Get-IpvsadmServiceStats $dir
        $after[$svc81][0] | Should -Be 0
        $after[$svc80][0] | Should -BeGreaterThan 0
    }

    It 'zeroes every service, real servers included, with no service given' {
        $null = Invoke-LvsLabRequest -Lab $lab -Count 2 -Port 8081
        $null = Wait-IpvsStats $dir @($svc80, $svc81)
        Reset-LvsStatistics -NetNamespace $dir -Confirm:$false
        $lines = @(ip netns exec $dir ipvsadm -Ln --stats --exact | Where-Object { $_ -match '^\s*(TCP|->)\s+\d' })
        $lines | Should -HaveCount 6
        foreach ($l in $lines) { (-split $l)[-5..-1] | Should -Be @('0', '0', '0', '0', '0') }
    }

    It '-WhatIf zeroes nothing' {
        $null = Invoke-LvsLabRequest -Lab $lab -Count 1
        $before = Wait-IpvsStats $dir @($svc80)
        Reset-LvsStatistics -NetNamespace $dir -WhatIf
        (Get-IpvsadmServiceStats $dir)[$svc80][0] | Should -Be $before[$svc80][0]
    }
}
