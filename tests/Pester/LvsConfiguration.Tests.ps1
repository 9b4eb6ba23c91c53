# Desired-state configuration as users script it: Export-, Import- and Sync-LvsConfiguration, and the ipvsadm rule
# converters. Kernel tests build their configuration with ipvsadm (and a few cmdlets) in namespaces of their own and
# cross-check with `ipvsadm -S -n`, `ip addr` and `sysctl`. They need IPVS (the UML guest, tests/Uml); the host kernel
# has none, and there the converter and NotInstalled tests run instead. Every process costs about a second in UML,
# so the tests spawn few: one ipvsadm -R per table, cmdlets for set-up that is not itself under test.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ipvsAvailable = [bool](Test-IpvsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and $ipvsAvailable -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # Runs a shell script in a namespace (one process for several ipvsadm / sysctl calls: processes are dear in UML).
    function Invoke-InNamespace([string] $Namespace, [string] $Script, [string[]] $InputLines) {
        if ($InputLines) { $InputLines | ip netns exec $Namespace sh -ec $Script } else { ip netns exec $Namespace sh -ec $Script }
        if ($LASTEXITCODE) { throw "in $Namespace, '$Script' exited with $LASTEXITCODE" }
    }

    # `ipvsadm -R` in a namespace.
    function Set-IpvsadmRule([string] $Namespace, [string[]] $Rules) {
        $Rules | ip netns exec $Namespace ipvsadm -R
        if ($LASTEXITCODE) { throw "ipvsadm -R in $Namespace exited with $LASTEXITCODE" }
    }

    # `ipvsadm -S -n` as sorted lines (the kernel's hash order is not the document's order).
    function Get-IpvsadmRule([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -S -n | Where-Object { $_ } | Sort-Object) }

    # Rule text as sorted lines.
    function Get-SortedLine([string[]] $Lines) { @($Lines -split "`n" | ForEach-Object Trim | Where-Object { $_ } | Sort-Object) }

    # The "What if:" lines a script block prints (they go to the host, not to a stream; a transcript records them).
    function Get-WhatIfText([scriptblock] $Script) {
        $file = Join-Path $TestDrive ("whatif-{0}.txt" -f [guid]::NewGuid().ToString('N'))
        Start-Transcript -Path $file -UseMinimalHeader | Out-Null
        try { $result = & $Script } finally { Stop-Transcript | Out-Null }
        [pscustomobject]@{ Result = $result; Lines = @(Get-Content $file | Where-Object { $_ -like 'What if:*' }) }
    }

    function Assert-CleanError($err, [string] $Id, [string] $Category) {
        $err | Should -Not -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be $Id
        $err[0].CategoryInfo.Category | Should -Be $Category
        $err[0].Exception.Message | Should -Not -Match '\bat LvsTools\.'   # a message, not a stack trace
    }

    # A step as one comparable line.
    function Format-Step($Step) { '{0} {1} [{2}] {3}' -f $Step.Action, $Step.Object, $Step.Target, $Step.Operation }
}

Describe 'Export and Import: a lossless round trip' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $copy = New-TestNamespace -NoVeth
        $restored = New-TestNamespace -NoVeth
        # TCP/UDP/SCTP/fwmark, IPv4 and IPv6, scheduler flags, persistence with netmask and the SIP engine, one-packet
        # scheduling, masquerade/route/tunnel (ipip, gue with port and checksums, gre), thresholds, weight 0, port 0.
        $rules = @(
            '-A -t 10.0.0.1:80 -s wrr -p 600 -M 255.255.255.0'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3 -x 100 -y 10'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:8080 -m -w 0'
            '-A -u 10.0.0.1:5060 -s sh -b sh-fallback,sh-port -p 120 --pe sip -o'
            '-a -u 10.0.0.1:5060 -r 10.0.1.12:5060 -i --tun-type gue --tun-port 6080 --tun-csum'
            '-a -u 10.0.0.1:5060 -r 10.0.1.13:5060 -i -x 50'
            '-a -u 10.0.0.1:5060 -r 10.0.1.15:5060 -i --tun-type gre --tun-csum'
            '-a -u 10.0.0.1:5060 -r 10.0.1.16:5060 -i --tun-type gue --tun-port 6081 --tun-remcsum -w 7'
            '-A --sctp-service [2001:db8::1]:3868 -s lc'
            '-a --sctp-service [2001:db8::1]:3868 -r [2001:db8::21]:3868 -m -w 5'
            '-A -t [2001:db8::1]:443 -s mh -b mh-fallback,mh-port'
            '-a -t [2001:db8::1]:443 -r [2001:db8::31]:443 -g -x 1000 -y 500'
            '-A -f 5 -6 -s dh -p 300 -M 64'
            '-a -f 5 -6 -r [2001:db8::11]:0 -i -w 2'
            '-A -f 7 -s rr -o'
            '-a -f 7 -r 10.0.2.1:0 -g'
            '-A -t 10.0.0.4:0 -s lblcr -p 3600'
            '-a -t 10.0.0.4:0 -r 10.0.1.41:0 -g'
        )
        Invoke-InNamespace $ns 'ipvsadm -R; ipvsadm --set 1000 60 200; ipvsadm --start-daemon master --mcast-interface lo --syncid 5' $rules
        # One service from the cmdlets too.
        $svc = New-LvsService -NetNamespace $ns -VirtualAddress 10.0.0.3 -Port 25 -Protocol Tcp -Scheduler sed
        Add-LvsRealServer -NetNamespace $ns -Service $svc -Address 10.0.1.31 -Port 2525 -ForwardingMethod Masquerade -Weight 4 -UpperThreshold 20 -LowerThreshold 5 | Out-Null
        $first = Join-Path $TestDrive 'first.json'
        $second = Join-Path $TestDrive 'second.json'
    }
    AfterAll {
        Remove-TestNamespace $ns
        Remove-TestNamespace $copy
        Remove-TestNamespace $restored
    }

    It 'exports every setting to a versioned JSON file' {
        # As Export-Csv and Out-File: nothing comes back unless -PassThru, then the file written.
        Export-LvsConfiguration -NetNamespace $ns -Path $first | Should -BeNullOrEmpty
        $file = Export-LvsConfiguration -NetNamespace $ns -Path $first -PassThru
        $file | Should -BeOfType ([System.IO.FileInfo])
        $file.FullName | Should -Be $first
        $json = Get-Content $first -Raw
        # The object without -Path is the same document.
        (Export-LvsConfiguration -NetNamespace $ns).ToJson() | Should -Be $json
        $d = $json | ConvertFrom-Json
        $d.schemaVersion | Should -Be 1
        $d.timeouts.tcp, $d.timeouts.tcpFin, $d.timeouts.udp | Should -Be @(1000, 60, 200)
        $d.syncDaemons | Should -HaveCount 1
        $d.syncDaemons[0].state | Should -Be 'master'
        $d.syncDaemons[0].multicastInterface | Should -Be 'lo'
        $d.syncDaemons[0].syncId | Should -Be 5
        $d.services | Should -HaveCount 8
        $sip = $d.services | Where-Object { $_.protocol -eq 'udp' -and $_.port -eq 5060 }
        $sip.scheduler | Should -Be 'sh'
        $sip.schedulerFlags | Should -Be @('sh-fallback', 'sh-port')
        $sip.persistence.timeout | Should -Be 120
        $sip.persistenceEngine | Should -Be 'sip'
        $sip.onePacket | Should -BeTrue
        $gue = $sip.realServers | Where-Object address -EQ '10.0.1.12'
        $gue.forwarding | Should -Be 'tunnel'
        $gue.tunnel.type | Should -Be 'gue'
        $gue.tunnel.port | Should -Be 6080
        $gue.tunnel.checksum | Should -Be 'checksum'
        ($sip.realServers | Where-Object address -EQ '10.0.1.16').tunnel.checksum | Should -Be 'remotechecksum'
        $web = $d.services | Where-Object { $_.protocol -eq 'tcp' -and $_.address -eq '10.0.0.1' }
        $web.persistence.netmask | Should -Be '255.255.255.0'
        $rs = $web.realServers | Where-Object address -EQ '10.0.1.11'
        $rs.weight, $rs.upperThreshold, $rs.lowerThreshold, $rs.forwarding | Should -Be @(3, 100, 10, 'route')
        ($web.realServers | Where-Object address -EQ '10.0.1.12').port | Should -Be 8080
        $fwm = $d.services | Where-Object firewallMark -EQ 5
        $fwm.family | Should -Be 'ipv6'
        $fwm.persistence.netmask | Should -Be '64'
        ($d.services | Where-Object { $_.protocol -eq 'sctp' }).family | Should -Be 'ipv6'
        ($d.services | Where-Object { $_.address -eq '2001:db8::1' -and $_.port -eq 443 }).schedulerFlags | Should -Be @('mh-fallback', 'mh-port')
        ($d.services | Where-Object firewallMark -EQ 7).onePacket | Should -BeTrue
        $smtp = ($d.services | Where-Object port -EQ 25).realServers[0]
        $smtp.port, $smtp.weight, $smtp.upperThreshold, $smtp.lowerThreshold | Should -Be @(2525, 4, 20, 5)
        # Neither virtual IPs nor sysctls unless asked for.
        $d.PSObject.Properties.Name | Should -Not -Contain 'virtualIps'
        $d.PSObject.Properties.Name | Should -Not -Contain 'sysctls'
    }

    It '-Path honours -WhatIf and -NoClobber' {
        $other = Join-Path $TestDrive 'other.json'
        Export-LvsConfiguration -NetNamespace $ns -Path $other -WhatIf | Should -BeNullOrEmpty
        Test-Path $other | Should -BeFalse
        $e = { Export-LvsConfiguration -NetNamespace $ns -Path $first -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'LvsConfigurationFileExists,LvsTools.Commands.ExportLvsConfigurationCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'ResourceExists'
    }

    It 'Export, Clear-LvsService, Import, Export gives the identical JSON text' {
        Clear-LvsService -NetNamespace $ns -Confirm:$false
        Stop-LvsSyncDaemon -NetNamespace $ns -State Master
        Set-LvsTimeout -NetNamespace $ns -Tcp 900 -TcpFin 120 -Udp 300
        Get-LvsService -NetNamespace $ns | Should -BeNullOrEmpty
        Get-LvsSyncDaemon -NetNamespace $ns | Should -BeNullOrEmpty
        # -WhatIf: the plan, nothing sent.
        $plan = Import-LvsConfiguration -NetNamespace $ns -Path $first -WhatIf
        $plan.Steps | Should -HaveCount 22
        $plan.Steps.Status | Sort-Object -Unique | Should -Be 'Planned'
        $plan.Steps.Operation | Should -Contain 'ipvsadm -a -u 10.0.0.1:5060 -r 10.0.1.12:5060 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum'
        Get-LvsService -NetNamespace $ns | Should -BeNullOrEmpty
        $result = Import-LvsConfiguration -NetNamespace $ns -Path $first
        $result | Should -BeOfType ([LvsTools.LvsApplyResult])
        $result.Failed | Should -Be 0
        $result.NotRun | Should -Be 0
        $result.Applied | Should -Be $result.Steps.Count
        $result.Steps.Status | Sort-Object -Unique | Should -Be 'Applied'
        # 8 services, 12 real servers, the timeouts and the daemon.
        $result.Steps | Should -HaveCount 22
        ($result.Steps | Where-Object Object -EQ 'Timeouts').Operation | Should -Be 'ipvsadm --set 1000 60 200'
        ($result.Steps | Where-Object Object -EQ 'SyncDaemon').Operation | Should -Match '^ipvsadm --start-daemon master --mcast-interface lo --syncid 5\b'
        Export-LvsConfiguration -NetNamespace $ns -Path $second | Out-Null
        Get-Content $second -Raw | Should -Be (Get-Content $first -Raw)
    }

    It 'ipvsadm -S, ConvertFrom-IpvsadmRule, Import into a fresh namespace gives the same ipvsadm -S' {
        $saved = ip netns exec $ns ipvsadm -S -n
        $script:savedRules = Get-SortedLine $saved
        $doc = $saved | ConvertFrom-IpvsadmRule
        $doc | Should -BeOfType ([LvsTools.LvsConfigurationDocument])
        $doc.Services | Should -HaveCount 8
        $result = $doc | Import-LvsConfiguration -NetNamespace $copy
        $result.Failed | Should -Be 0
        Get-IpvsadmRule $copy | Should -Be $savedRules
    }

    It 'ConvertTo-IpvsadmRule | ipvsadm -R reproduces the table, thresholds and tunnel options included' {
        $exported = Export-LvsConfiguration -NetNamespace $ns
        $rules = $exported | ConvertTo-IpvsadmRule
        $rules | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3 -x 100 -y 10'
        $rules | Should -Contain '-a -u 10.0.0.1:5060 -r 10.0.1.12:5060 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum'
        Set-IpvsadmRule $restored $rules
        Get-IpvsadmRule $restored | Should -Be $savedRules
        # ipvsadm -S drops thresholds: compare them through the cmdlets.
        $key = { '{0} -> {1}' -f $_.Service, $_.Endpoint }
        $want = Get-LvsRealServer -NetNamespace $ns | Sort-Object $key | ForEach-Object { '{0} {1}/{2} w{3}' -f (& $key), $_.UpperThreshold, $_.LowerThreshold, $_.Weight }
        $have = Get-LvsRealServer -NetNamespace $restored | Sort-Object $key | ForEach-Object { '{0} {1}/{2} w{3}' -f (& $key), $_.UpperThreshold, $_.LowerThreshold, $_.Weight }
        $have | Should -Be $want
        $have | Should -Contain 'TCP  [2001:db8::1]:443 -> [2001:db8::31]:443 1000/500 w1'
        # Services and real servers (not timeouts and daemons, which rules do not carry) are the same document.
        $again = Export-LvsConfiguration -NetNamespace $restored
        foreach ($d in $exported, $again) { $d.Timeouts = $null; $d.SyncDaemons.Clear() }
        $again.ToJson() | Should -Be $exported.ToJson()
    }
}

Describe 'Sync-LvsConfiguration converges exactly' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $desired = @(
            '-A -t 10.0.0.1:80 -s wrr'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 1'
            '-A -u 10.0.0.1:53 -s rr'
            '-a -u 10.0.0.1:53 -r 10.0.1.21:53 -m -w 1'
            '-A -f 7 -s sh -b sh-port'
            '-a -f 7 -r 10.0.2.1:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum'
        )
        $doc = $desired | ConvertFrom-IpvsadmRule
        # The kernel: the desired table with a changed scheduler, a changed weight, an extra real server, an extra service.
        $initial = @(
            '-A -t 10.0.0.1:80 -s rr'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 1'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 1'
            '-a -t 10.0.0.1:80 -r 10.0.1.13:80 -g -w 1'
            '-A -u 10.0.0.1:53 -s rr'
            '-a -u 10.0.0.1:53 -r 10.0.1.21:53 -m -w 1'
            '-A -f 7 -s sh -b sh-port'
            '-a -f 7 -r 10.0.2.1:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum'
            '-A -t 10.0.0.9:80 -s rr'
            '-a -t 10.0.0.9:80 -r 10.0.1.91:80 -g -w 1'
        )
        Set-IpvsadmRule $ns $initial
        $desiredRules = Get-SortedLine ($doc | ConvertTo-IpvsadmRule)
        $expectedPlan = @(
            'Delete RealServer [TCP  10.0.0.1:80 -> 10.0.1.13:80] ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.13:80'
            'Delete Service [TCP  10.0.0.9:80] ipvsadm -D -t 10.0.0.9:80'
            'Update Service [TCP  10.0.0.1:80] ipvsadm -E -t 10.0.0.1:80 -s wrr'
            'Update RealServer [TCP  10.0.0.1:80 -> 10.0.1.11:80] ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3'
        )
    }
    AfterAll { Remove-TestNamespace $ns }

    It '-WhatIf lists exactly the needed steps, each with its ipvsadm command, and sends nothing' {
        $run = Get-WhatIfText { Sync-LvsConfiguration -NetNamespace $ns -InputObject $doc -WhatIf }
        $plan = $run.Result
        $plan | Should -BeOfType ([LvsTools.LvsApplyResult])
        $plan.Steps | ForEach-Object { Format-Step $_ } | Should -Be $expectedPlan
        $plan.Steps.Status | Sort-Object -Unique | Should -Be 'Planned'
        ($plan.Steps | Where-Object Action -EQ 'Update').Changes | Should -Be @('scheduler rr -> wrr', 'weight 1 -> 3')
        $plan.Applied | Should -Be 0
        $plan.NotRun | Should -Be 4
        $plan.WritesSent | Should -Be 0              # the plan is read from the kernel, nothing is written
        $plan.RequestsSent | Should -BeGreaterThan 0
        # the sections the document leaves out are named as not managed, then the steps
        $unmanaged = @($run.Lines | Where-Object { $_ -like '*is not in the document: not managed*' })
        $unmanaged | Should -HaveCount 4
        $steps = @($run.Lines | Where-Object { $_ -notlike '*is not in the document: not managed*' })
        $steps | Should -HaveCount 4
        $steps[0] | Should -Be "What if: Performing the operation `"ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.13:80`" on target `"TCP  10.0.0.1:80 -> 10.0.1.13:80 (netns $ns)`"."
        $steps[3] | Should -BeLike '*"ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3"*'
        Get-IpvsadmRule $ns | Should -Be (Get-SortedLine $initial)
    }

    It 'applies the plan; the table is then the document''s ipvsadm rules' {
        $result = $doc | Sync-LvsConfiguration -NetNamespace $ns -Confirm:$false
        $result.Steps | ForEach-Object { Format-Step $_ } | Should -Be $expectedPlan
        $result.Applied | Should -Be 4
        $result.Failed | Should -Be 0
        $result.NotRun | Should -Be 0
        $result.Cancelled | Should -BeFalse
        $result.WritesSent | Should -Be 4
        $result.RequestsSent | Should -BeGreaterThan 4
        Get-IpvsadmRule $ns | Should -Be $desiredRules
    }

    It 'a second Sync finds nothing to do and only reads' {
        $result = Sync-LvsConfiguration -NetNamespace $ns -InputObject $doc -Confirm:$false
        $result.Steps | Should -HaveCount 0
        $result.Applied + $result.Failed + $result.NotRun | Should -Be 0
        # RequestsSent counts reads too (LvsApplyResult.RequestsSent): the dumps that found nothing to change.
        $result.RequestsSent | Should -BeGreaterThan 0
        $result.WritesSent | Should -Be 0
        Get-IpvsadmRule $ns | Should -Be $desiredRules
    }

    It 'Import never deletes extras; Sync does' {
        $extras = '-A -u 10.0.0.8:53 -s rr', '-a -t 10.0.0.1:80 -r 10.0.1.14:80 -g -w 1'
        Set-IpvsadmRule $ns $extras
        $import = Import-LvsConfiguration -NetNamespace $ns -InputObject $doc
        $import.Steps | Should -HaveCount 0
        Get-IpvsadmRule $ns | Should -Be (Get-SortedLine ($desiredRules + $extras))
        $sync = Sync-LvsConfiguration -NetNamespace $ns -InputObject $doc -Confirm:$false
        $sync.Steps | ForEach-Object { Format-Step $_ } | Should -Be @(
            'Delete RealServer [TCP  10.0.0.1:80 -> 10.0.1.14:80] ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.14:80'
            'Delete Service [UDP  10.0.0.8:53] ipvsadm -D -u 10.0.0.8:53')
        $sync.Applied | Should -Be 2
        Get-IpvsadmRule $ns | Should -Be $desiredRules
    }

    It 'leaves sync daemons and timeouts alone when the document (from ipvsadm rules) cannot describe them' {
        Start-LvsSyncDaemon -NetNamespace $ns -State Backup -MulticastInterface lo -SyncId 9
        Set-LvsTimeout -NetNamespace $ns -Tcp 1000 -TcpFin 100 -Udp 100
        $plan = Sync-LvsConfiguration -NetNamespace $ns -InputObject $doc -WhatIf
        $plan.Steps | ForEach-Object { Format-Step $_ } | Should -BeNullOrEmpty
    }

    It 'imports a schemaVersion 2 document as a static table: maintenance is weight 0, the controller''s members send nothing' {
        # The same table as schemaVersion 2, with a health check, a quorum, a sorry server and one server in maintenance.
        $v2 = [LvsTools.LvsConfigurationDocument]::FromJson($doc.ToJson())
        $v2.SchemaVersion = 2
        $web = $v2.Services | Where-Object Port -EQ 80
        $web.HealthCheck = [LvsTools.LvsHealthCheckEntry]@{ Type = 'http'; Path = '/health'; Interval = 2; Timeout = 1 }
        $web.SorryServer = [LvsTools.LvsSorryServerEntry]@{ Address = '10.0.9.9'; Port = 80 }
        $web.Quorum = 2
        $web.DrainTimeoutSeconds = 30
        ($web.RealServers | Where-Object Address -EQ '10.0.1.12').Maintenance = $true
        $file = Join-Path $TestDrive 'v2.json'
        Set-Content -Path $file -Value $v2.ToJson() -NoNewline
        $before = Get-IpvsadmRule $ns

        $plan = Import-LvsConfiguration -NetNamespace $ns -Path $file -WhatIf
        $plan.Steps | ForEach-Object { Format-Step $_ } | Should -Be 'Update RealServer [TCP  10.0.0.1:80 -> 10.0.1.12:80] ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 0'
        $plan.Steps[0].Changes | Should -Be 'weight 1 -> 0'
        $plan.WritesSent | Should -Be 0
        $result = Import-LvsConfiguration -NetNamespace $ns -Path $file
        $result.Applied | Should -Be 1
        $result.WritesSent | Should -Be 1
        $after = Get-IpvsadmRule $ns
        $after | Should -Be @($before -replace '^(-a -t 10\.0\.0\.1:80 -r 10\.0\.1\.12:80 -g -w) 1$', '$1 0')
        @($after -match '10\.0\.9\.9').Count | Should -Be 0   # no sorry server: that is the controller's
        # Export reads the kernel: weight 0, no member of version 2, so version 1; Sync of the v2 document then finds nothing.
        $export = Export-LvsConfiguration -NetNamespace $ns
        $export.SchemaVersion | Should -Be 1
        (($export.Services | Where-Object Port -EQ 80).RealServers | Where-Object Address -EQ '10.0.1.12').Weight | Should -Be 0
        (Sync-LvsConfiguration -NetNamespace $ns -Path $file -WhatIf).Steps | Should -BeNullOrEmpty
    }
}

Describe 'Import-LvsConfiguration with a step the kernel refuses' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        # The kernel refuses a real server whose address is a broadcast address of the namespace (EINVAL, "address not
        # unicast"). Only the namespace's routing table knows 10.0.5.255 is one, so no check before sending can.
        Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -IPAddress 10.0.5.1 -PrefixLength 24 | Out-Null
        $doc = @(
            '-A -u 10.0.0.2:53 -s rr'
            '-a -u 10.0.0.2:53 -r 10.0.1.1:53 -m'
            '-a -u 10.0.0.2:53 -r 10.0.5.255:53 -m'
            '-a -u 10.0.0.2:53 -r 10.0.1.2:53 -m'
            '-A -t 10.0.0.2:80 -s wlc'
            '-a -t 10.0.0.2:80 -r 10.0.1.1:80 -g'
        ) | ConvertFrom-IpvsadmRule
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'applies everything else and reports the one failed real server' {
        $err = $null
        $result = Import-LvsConfiguration -NetNamespace $ns -InputObject $doc -ErrorVariable err -ErrorAction SilentlyContinue
        $result.Steps | Should -HaveCount 6
        $result.Failed | Should -Be 1
        $result.Applied | Should -Be 5
        $result.NotRun | Should -Be 0
        $failed = @($result.Steps | Where-Object Status -EQ 'Failed')
        $failed[0].Target | Should -Be 'UDP  10.0.0.2:53 -> 10.0.5.255:53'
        $failed[0].Operation | Should -Be 'ipvsadm -a -u 10.0.0.2:53 -r 10.0.5.255:53 -m -w 1'
        $failed[0].Error | Should -Match 'EINVAL'
        $failed[0].Error | Should -Match '10\.0\.5\.255'   # the message names the real server, not "IPVS batch"
        Assert-CleanError $err 'LvsRealServerInvalid,LvsTools.Commands.ImportLvsConfigurationCommand' 'InvalidArgument'
        $err | Should -HaveCount 1
        $err[0].TargetObject.Target | Should -Be 'UDP  10.0.0.2:53 -> 10.0.5.255:53'
        $err[0].Exception.Message | Should -Match '10\.0\.5\.255'
        $rules = Get-IpvsadmRule $ns
        $rules | Should -HaveCount 5
        $rules | Should -Not -Contain '-a -u 10.0.0.2:53 -r 10.0.5.255:53 -m -w 1'
    }

    It 'running it again after fixing the document reconciles' {
        ($doc.Services.RealServers | Where-Object Address -EQ '10.0.5.255').Address = '10.0.1.3'
        $result = Import-LvsConfiguration -NetNamespace $ns -InputObject $doc
        $result.Steps | ForEach-Object { Format-Step $_ } | Should -Be 'Create RealServer [UDP  10.0.0.2:53 -> 10.0.1.3:53] ipvsadm -a -u 10.0.0.2:53 -r 10.0.1.3:53 -m -w 1'
        $result.Applied | Should -Be 1
        Get-IpvsadmRule $ns | Should -Be (Get-SortedLine ($doc | ConvertTo-IpvsadmRule))
    }

    It 'refuses a document that validation rejects, naming the real server, before sending anything' {
        $bad = @('-A -t 10.0.0.5:80 -s rr', '-a -t 10.0.0.5:80 -r 10.0.1.5:80 -m') | ConvertFrom-IpvsadmRule
        $bad.Services[0].RealServers[0].Address = '2001:db8::5'   # IPv6 masquerade on an IPv4 service
        $err = $null
        try { Import-LvsConfiguration -NetNamespace $ns -InputObject $bad -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null }
        catch { $err = @($_) }
        Assert-CleanError $err 'InvalidRealServerFamily,LvsTools.Commands.ImportLvsConfigurationCommand' 'InvalidArgument'
        $err[0].Exception.Message | Should -Match '2001:db8::5'
        Get-IpvsadmRule $ns | Should -Be (Get-SortedLine ($doc | ConvertTo-IpvsadmRule))
    }
}

Describe 'Virtual IPs and sysctls in the document' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $target = New-TestNamespace -NoVeth
        $sysctls = [ordered]@{
            'net.ipv4.ip_forward'              = '1'
            'net.ipv4.conf.lo.arp_ignore'      = '1'
            'net.ipv4.conf.all.arp_announce'   = '2'
            'net.ipv4.vs.conntrack'            = '1'
            'net.ipv4.vs.expire_nodest_conn'   = '1'
            'net.ipv6.conf.all.forwarding'     = '1'
        }
        $sysctls.GetEnumerator() | Set-Sysctl -NetNamespace $ns
        Set-Sysctl -NetNamespace $ns -Name net.ipv4.vs.sync_threshold -Value '5 60'
        Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -IPAddress 10.0.0.1 -PrefixLength 32 -Label lo:web | Out-Null
        Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -IPAddress 2001:db8::1 -PrefixLength 128 | Out-Null
        Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -IPAddress 10.9.9.9 -PrefixLength 32 | Out-Null   # no service's VIP
        Set-IpvsadmRule $ns @(
            '-A -t 10.0.0.1:80 -s wrr'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 2'
            '-A -t [2001:db8::1]:80 -s rr'
            '-a -t [2001:db8::1]:80 -r [2001:db8::11]:80 -g'
        )
    }
    AfterAll {
        Remove-TestNamespace $ns
        Remove-TestNamespace $target
    }

    It 'exports the virtual IPs that carry the services and the sysctls a director depends on' {
        $doc = Export-LvsConfiguration -NetNamespace $ns -IncludeVirtualIp -IncludeSysctl
        $doc.VirtualIps | ForEach-Object { '{0} {1} {2}' -f $_.InterfaceName, $_.Address, $_.Label } |
            Should -Be @('lo 10.0.0.1/32 lo:web', 'lo 2001:db8::1/128 ')
        $values = @{}
        $doc.Sysctls | ForEach-Object { $values[$_.Name] = $_.Value }
        foreach ($k in $sysctls.Keys) { $values[$k] | Should -Be $sysctls[$k] -Because $k }
        $values['net.ipv4.vs.sync_threshold'] -replace '\s+', ' ' | Should -Be '5 60'
        $values.Keys | Should -Not -Contain 'net.ipv4.conf.default.arp_ignore'
        $json = $doc.ToJson() | ConvertFrom-Json
        $json.virtualIps | Should -HaveCount 2
        $json.sysctls.Count | Should -Be $doc.Sysctls.Count
    }

    It 'applies them into a fresh namespace: the VIPs appear in ip addr, the sysctls are set' {
        $file = Join-Path $TestDrive 'director.json'
        Export-LvsConfiguration -NetNamespace $ns -IncludeVirtualIp -IncludeSysctl -Path $file | Out-Null
        $result = Import-LvsConfiguration -NetNamespace $target -Path $file
        $result.Failed | Should -Be 0
        ($result.Steps | Where-Object Object -EQ 'VirtualIp').Operation | Should -Contain 'ip addr add 10.0.0.1/32 dev lo label lo:web'
        ($result.Steps | Where-Object Object -EQ 'Sysctl').Target | Should -Contain 'net.ipv4.vs.conntrack'
        $addresses = Get-AddressSnapshot $target
        $addresses | Should -Contain 'lo 10.0.0.1/32 lo:web'
        $addresses | Should -Contain 'lo 2001:db8::1/128 '
        $addresses -like '* 10.9.9.9/*' | Should -BeNullOrEmpty   # not a service's VIP
        $names = @($sysctls.Keys) + 'net.ipv4.vs.sync_threshold'
        $read = ip netns exec $target sysctl -n @names
        ($read -replace '\s+', ' ') | Should -Be (@($sysctls.Values) + '5 60')
        # And the whole document comes back the same.
        Export-LvsConfiguration -NetNamespace $target -IncludeVirtualIp -IncludeSysctl | ForEach-Object ToJson | Should -Be (Get-Content $file -Raw)
        # A second import has nothing left to do.
        (Import-LvsConfiguration -NetNamespace $target -Path $file).Steps | Should -HaveCount 0
    }

    It 'does not add a virtual IP the host already holds for a service the same document creates' {
        ip netns exec $target ip addr add 10.0.7.1/32 dev lo
        $file = Join-Path $TestDrive 'new-service.json'
        Set-Content -Path $file -Value (@{
            schemaVersion = 1
            services      = @(@{ protocol = 'tcp'; address = '10.0.7.1'; port = 80; scheduler = 'rr'; realServers = @() })
            virtualIps    = @(@{ interfaceName = 'lo'; address = '10.0.7.1/32' })
        } | ConvertTo-Json -Depth 5)
        $result = Import-LvsConfiguration -NetNamespace $target -Path $file
        $result.Failed | Should -Be 0
        $result.Steps | Where-Object Object -EQ 'VirtualIp' | Should -BeNullOrEmpty
        ($result.Steps | Where-Object Object -EQ 'Service').Status | Should -Be 'Applied'
        (Get-AddressSnapshot $target) -like '* 10.0.7.1/32*' | Should -HaveCount 1
    }
}

Describe 'Bad input' {
    BeforeAll {
        $invalid = Join-Path $TestDrive 'invalid.json'
        Set-Content -Path $invalid -Value '{ "schemaVersion": 1, "services": [ { "protocol": "tcp", '
        $future = Join-Path $TestDrive 'future.json'
        Set-Content -Path $future -Value '{ "schemaVersion": 99, "services": [] }'
        $missing = Join-Path $TestDrive 'missing.json'
    }

    It '<Command> refuses <Case> with <Id>' -ForEach @(
        @{ Command = 'Import-LvsConfiguration'; Case = 'invalid JSON'; File = 'invalid'; Id = 'InvalidConfigurationDocument'; Category = 'InvalidArgument' }
        @{ Command = 'Sync-LvsConfiguration'; Case = 'invalid JSON'; File = 'invalid'; Id = 'InvalidConfigurationDocument'; Category = 'InvalidArgument' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'schemaVersion 99'; File = 'future'; Id = 'UnsupportedConfigurationVersion'; Category = 'InvalidArgument' }
        @{ Command = 'Sync-LvsConfiguration'; Case = 'schemaVersion 99'; File = 'future'; Id = 'UnsupportedConfigurationVersion'; Category = 'InvalidArgument' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'a missing file'; File = 'missing'; Id = 'LvsConfigurationFileNotFound'; Category = 'ObjectNotFound' }
        @{ Command = 'Sync-LvsConfiguration'; Case = 'a missing file'; File = 'missing'; Id = 'LvsConfigurationFileNotFound'; Category = 'ObjectNotFound' }
    ) {
        $path = Get-Variable -Name $File -ValueOnly
        $class = ($Command -replace '-', '') + 'Command'
        $e = { & $Command -Path $path -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "$Id,LvsTools.Commands.$class" -PassThru
        $e.CategoryInfo.Category | Should -Be $Category
        $e.Exception.Message | Should -Not -Match '\bat LvsTools\.'
        if ($Id -eq 'UnsupportedConfigurationVersion') { $e.Exception.Message | Should -Match '\b99\b' }
        if ($Id -eq 'LvsConfigurationFileNotFound') { $e.Exception.Message | Should -Match 'missing\.json' }
    }

    # A typo must not pass for a default: Sync would then "correct" the kernel to it (weight 1, scheduler wlc, or, for
    # an empty document, no services at all).
    It 'Import-LvsConfiguration refuses <Case> before reading the kernel' -ForEach @(
        @{ Case = 'a document without schemaVersion'; Json = '{ "services": [] }'; Pattern = 'schemaVersion' }
        @{ Case = 'an unknown property (a misspelt "weight")'; Json = '{ "schemaVersion": 1, "services": [ { "protocol": "tcp", "address": "10.0.0.1", "port": 80, "realServers": [ { "address": "10.0.1.1", "port": 80, "wieght": 5 } ] } ] }'; Pattern = 'wieght' }
    ) {
        $file = Join-Path $TestDrive 'typo.json'
        Set-Content -Path $file -Value $Json
        # -WhatIf: even if the document were accepted, nothing would be sent.
        $e = { Import-LvsConfiguration -Path $file -WhatIf -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -Match '^(InvalidConfigurationDocument|UnsupportedConfigurationVersion),LvsTools\.Commands\.ImportLvsConfigurationCommand$'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match $Pattern
    }

    It 'ConvertFrom-IpvsadmRule refuses an unknown option with InvalidIpvsadmRule, naming the line' {
        $e = { '-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g --bogus 3' | ConvertFrom-IpvsadmRule -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidIpvsadmRule,LvsTools.Commands.ConvertFromIpvsadmRuleCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match 'Line 2\b'
        $e.Exception.Message | Should -Match -- '--bogus'
    }

    It 'ConvertFrom-IpvsadmRule -Path reports a missing file' {
        { ConvertFrom-IpvsadmRule -Path (Join-Path $TestDrive 'nosuch.rules') -ErrorAction Stop } |
            Should -Throw -ErrorId 'IpvsadmRuleFileNotFound,LvsTools.Commands.ConvertFromIpvsadmRuleCommand'
    }
}

Describe 'Rule conversion and configuration cmdlets on a kernel without IPVS' -Skip:$ipvsAvailable {
    BeforeAll {
        # Canonical order (firewall marks, then by protocol, family, address, port) and form: what ConvertTo-IpvsadmRule writes, and ipvsadm -S -n would print (plus -x/-y).
        $canonical = @(
            '-A -f 7 -s rr -o'
            '-a -f 7 -r 10.0.2.1:0 -g -w 1'
            '-A -f 5 -6 -s mh -p 300 -M 64 -b mh-port'
            '-a -f 5 -6 -r [2001:db8::11]:0 -i -w 2 --tun-type ipip'
            '-A --sctp-service [2001:db8::1]:3868 -s lc'
            '-a --sctp-service [2001:db8::1]:3868 -r [2001:db8::21]:3868 -m -w 1'
            '-A -t 10.0.0.1:80 -s wrr -p 600 -M 255.255.255.0'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3 -x 100 -y 10'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:8080 -m -w 0'
            '-A -u 10.0.0.1:5060 -s sh -p 120 --pe sip -o -b sh-fallback,sh-port'
            '-a -u 10.0.0.1:5060 -r 10.0.1.12:5060 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum'
            '-a -u 10.0.0.1:5060 -r 10.0.1.15:5060 -i -w 1 --tun-type gre --tun-nocsum'
        )
    }

    It 'reads rule text into a document' {
        $doc = $canonical | ConvertFrom-IpvsadmRule
        $doc | Should -BeOfType ([LvsTools.LvsConfigurationDocument])
        $doc.SchemaVersion | Should -Be 1
        $doc.Services | Should -HaveCount 5
        $doc.RealServerCount | Should -Be 7
        $sip = $doc.Services | Where-Object Port -EQ 5060
        $sip.Protocol, $sip.Address, $sip.Scheduler, $sip.PersistenceEngine, $sip.OnePacket | Should -Be @('udp', '10.0.0.1', 'sh', 'sip', $true)
        $sip.SchedulerFlags | Should -Be @('sh-fallback', 'sh-port')
        $sip.Persistence.Timeout | Should -Be 120
        $gue = $sip.RealServers | Where-Object Address -EQ '10.0.1.12'
        $gue.Forwarding, $gue.Tunnel.Type, $gue.Tunnel.Port, $gue.Tunnel.Checksum | Should -Be @('tunnel', 'gue', 6080, 'checksum')
        $web = $doc.Services | Where-Object { $_.Port -eq 80 }
        $web.Persistence.Netmask | Should -Be '255.255.255.0'
        $rs = $web.RealServers | Where-Object Address -EQ '10.0.1.11'
        $rs.Weight, $rs.UpperThreshold, $rs.LowerThreshold, $rs.Forwarding | Should -Be @(3, 100, 10, 'route')
        ($web.RealServers | Where-Object Address -EQ '10.0.1.12').Port | Should -Be 8080
        $fwm = $doc.Services | Where-Object FirewallMark -EQ 5
        $fwm.Family, $fwm.Persistence.Netmask, $fwm.Protocol | Should -Be @('ipv6', '64', $null)
        ($doc.Services | Where-Object Protocol -EQ 'sctp').Family | Should -Be 'ipv6'
    }

    It 'writes a document back as the same rule text' {
        $canonical | ConvertFrom-IpvsadmRule | ConvertTo-IpvsadmRule | Should -Be $canonical
        # In any order, from a file, with the long options, comments and "ipvsadm" prefixes of hand-written files.
        $file = Join-Path $TestDrive 'rules'
        Set-Content -Path $file -Value (@('# saved by hand', '') + ($canonical | Sort-Object -Descending | ForEach-Object { "ipvsadm $_" }))
        ConvertFrom-IpvsadmRule -Path $file | ConvertTo-IpvsadmRule | Should -Be $canonical
    }

    It 'applies -E, -e, -d, -D and -C lines in order, as ipvsadm -R does' {
        $doc = @(
            '-A -t 10.9.9.9:80 -s rr'
            '-C'
            '-A -t 10.0.0.1:80 -s rr'
            '-a -t 10.0.0.1:80 -r 10.0.1.1 -g'
            '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 2'
            '-A -u 10.0.0.1:53 -s rr'
            '-E -t 10.0.0.1:80 -s wlc -p 60'
            '-e -t 10.0.0.1:80 -r 10.0.1.2:80 -w 5 -x 10'
            '-d -t 10.0.0.1:80 -r 10.0.1.1:80'
            '-D -u 10.0.0.1:53'
        ) | ConvertFrom-IpvsadmRule
        $doc | ConvertTo-IpvsadmRule | Should -Be @('-A -t 10.0.0.1:80 -s wlc -p 60', '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 5 -x 10')
    }

    It 'a document survives JSON unchanged' {
        $doc = $canonical | ConvertFrom-IpvsadmRule
        $json = $doc.ToJson()
        [LvsTools.LvsConfigurationDocument]::FromJson($json).ToJson() | Should -Be $json
    }

    It '<Command> (<Source>) fails with IPVSNotInstalled' -ForEach @(
        @{ Command = 'Export-LvsConfiguration'; Source = 'object' }
        @{ Command = 'Import-LvsConfiguration'; Source = 'InputObject' }
        @{ Command = 'Sync-LvsConfiguration'; Source = 'InputObject' }
        @{ Command = 'Import-LvsConfiguration'; Source = 'Path' }
        @{ Command = 'Sync-LvsConfiguration'; Source = 'Path' }
    ) {
        # The current namespace: where IPVS is missing it is missing in every namespace, and nothing can change.
        $empty = New-Object LvsTools.LvsConfigurationDocument
        $params = switch ($Source) {
            'object' { @{} }
            'InputObject' { @{ InputObject = $empty } }
            'Path' {
                $file = Join-Path $TestDrive 'empty.json'
                Set-Content -Path $file -Value $empty.ToJson() -NoNewline
                @{ Path = $file }
            }
        }
        $class = ($Command -replace '-', '') + 'Command'
        $e = { & $Command @params -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "IPVSNotInstalled,LvsTools.Commands.$class" -PassThru
        $e.CategoryInfo.Category | Should -Be 'NotInstalled'
        $e.Exception.Message | Should -Match 'ip_vs'
    }
}
