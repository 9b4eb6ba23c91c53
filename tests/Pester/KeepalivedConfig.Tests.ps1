# ConvertTo-KeepalivedConfig and ConvertFrom-KeepalivedConfig as users script them. On the host: the pipeline and -Path
# forms, the warnings, the errors with their file and line, and `keepalived -t` (Debian's keepalived 2.2.7) accepting
# every line written. In the UML kernel (tag Kernel), against the real keepalived: the table keepalived builds from the
# exported file equals, by `ipvsadm -S -n` and by Export-LvsConfiguration (which also shows thresholds and tunnel
# options), the one Import-LvsConfiguration builds from the same document; and a keepalived.conf written by hand
# (several services, checks, a group) gives the same keepalived table after ConvertFrom / ConvertTo. Every check points at
# the lab's HTTP servers and passes, and no service has alpha, so keepalived's table is the configured one from its start
# (a MISC_CHECK gets 5 s and three tries: starting /bin/true can take over a second in the loaded UML guest).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Keepalived.psm1') -Force
    $script:noKeepalived = -not (Test-KeepalivedAvailable)
    $python = if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' }
    $script:skipKernel = $script:noKeepalived -or -not ((Test-IpvsAvailable) -and (Test-KernelTestsAvailable) -and (Test-Path $python) -and
        (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Keepalived.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ('lvst-kad-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $script:dir
    $script:rules = @(
        '-A -t 10.0.0.1:80 -s wrr -p 600 -M 255.255.255.0'
        '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3'
        '-A -u [2001:db8::1]:53 -s rr -o'
        '-a -u [2001:db8::1]:53 -r [2001:db8::11]:53 -m -w 1'
        '-A -f 7 -s sh -b sh-fallback,sh-port'
        '-a -f 7 -r 10.0.2.1:0 -g -w 1'
        '-A --sctp-service 10.0.0.3:3868 -s lc'
        '-a --sctp-service 10.0.0.3:3868 -r 10.0.3.1:3868 -i -w 5 --tun-type gue --tun-port 6080 --tun-csum')
    $script:checkedJson = @'
{"schemaVersion": 2, "services": [
  {"protocol": "tcp", "address": "10.0.0.1", "port": 80, "scheduler": "wrr", "quorum": 2, "hysteresis": 1,
   "healthCheck": {"type": "http", "path": "/health", "timeout": 1, "interval": 2, "rise": 2, "fall": 3},
   "realServers": [{"address": "10.0.1.1", "port": 80, "forwarding": "masquerade", "weight": 2, "upperThreshold": 50}]}]}
'@
    $script:jsonPath = Join-Path $script:dir 'doc.json'
    [IO.File]::WriteAllText($script:jsonPath, $script:checkedJson)

    # `keepalived -t` on the lines: its exit code and what it said.
    function Test-KeepalivedText([string[]] $Lines) {
        $path = Join-Path $script:dir ('t-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.conf')
        [IO.File]::WriteAllText($path, ($Lines -join "`n") + "`n")
        $out = & (Get-KeepalivedPath) -t -l -n -f $path 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
    }
}

AfterAll {
    if ($script:dir) { Remove-Item -LiteralPath $script:dir -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'ConvertTo-KeepalivedConfig' {
    It 'writes a document from the pipeline, one line a string, that keepalived -t accepts without a word' -Skip:$noKeepalived {
        $lines = $rules | ConvertFrom-IpvsadmRule | ConvertTo-KeepalivedConfig -WarningVariable w
        $w | Should -BeNullOrEmpty
        $lines | Should -Contain 'virtual_server fwmark 7 {'
        $lines | Should -Contain '    lvs_method TUN type gue port 6080 csum'
        $r = Test-KeepalivedText $lines
        $r.Output | Should -BeNullOrEmpty
        $r.ExitCode | Should -Be 0
    }

    It 'writes a vrrp_instance for the VIPs that keepalived -t reads without complaint but the interface' -Skip:$noKeepalived {
        $lines = $rules | ConvertFrom-IpvsadmRule | ConvertTo-KeepalivedConfig -VrrpInterface eth0 -VirtualRouterId 9 -Priority 150 -State MASTER
        $lines | Should -Contain '    virtual_router_id 9'
        $lines | Should -Contain '    priority 150'
        $lines | Should -Contain '        2001:db8::1/128'
        # (the UML guest's root namespace has no eth0: that, and only that, keepalived may mention)
        @((Test-KeepalivedText $lines).Output -split "`n" | Where-Object { $_ -and $_ -notmatch "interface eth0 for vrrp_instance .* doesn't exist|Non-existent interface" }) |
            Should -BeNullOrEmpty
    }

    It 'reads -Path as Import-LvsConfiguration reads it, and warns per option keepalived cannot express, as a comment too' -Skip:$noKeepalived {
        $fromPath = ConvertTo-KeepalivedConfig -Path $jsonPath -WarningVariable w -WarningAction SilentlyContinue
        $fromPipe = [LvsTools.LvsConfigurationDocument]::FromJson($checkedJson) | ConvertTo-KeepalivedConfig -WarningAction SilentlyContinue
        $fromPath | Should -Be $fromPipe
        $w.Count | Should -Be 1
        "$($w[0])" | Should -BeLike "TCP 10.0.0.1:80, real server 10.0.1.1:80: 'healthCheck.rise 2' cannot be expressed*"
        $fromPath | Should -Contain "# LvsTools: $($w[0])"
        $fromPath | Should -Contain '    quorum 2'
        $fromPath | Should -Contain '        uthreshold 50'
        (Test-KeepalivedText $fromPath).ExitCode | Should -Be 0
    }

    It 'refuses a router id or priority out of range, and VRRP options without -VrrpInterface' {
        { $rules | ConvertFrom-IpvsadmRule | ConvertTo-KeepalivedConfig -VrrpInterface eth0 -VirtualRouterId 256 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidVrrpOption,*'
        { $rules | ConvertFrom-IpvsadmRule | ConvertTo-KeepalivedConfig -VrrpInterface eth0 -Priority 255 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidVrrpOption,*'
        { $rules | ConvertFrom-IpvsadmRule | ConvertTo-KeepalivedConfig -Priority 10 } | Should -Throw -ErrorId 'VrrpInterfaceMissing,*'
        { ConvertTo-KeepalivedConfig -Path (Join-Path $dir 'nope.json') } | Should -Throw -ErrorId 'LvsConfigurationFileNotFound,*'
    }
}

Describe 'ConvertFrom-KeepalivedConfig' {
    BeforeAll {
        $null = New-Item -ItemType Directory -Path (Join-Path $dir 'conf.d') -Force
        [IO.File]::WriteAllText((Join-Path $dir 'main.conf'), @'
global_defs {
    router_id lvst
}
include conf.d/*.conf
'@)
        [IO.File]::WriteAllText((Join-Path $dir 'conf.d/web.conf'), @'
virtual_server 10.0.0.1 80 {   # the web service
    lb_algo wrr
    protocol TCP
    real_server 10.0.1.1 80 {
        weight 2
        notify_up "/usr/local/bin/notify up"
        TCP_CHECK {
            connect_timeout 2
        }
    }
}
'@)
    }

    It 'reads -Path with its includes into a document the other cmdlets take, skipping global_defs verbosely' {
        $doc = ConvertFrom-KeepalivedConfig -Path (Join-Path $dir 'main.conf') -Verbose -WarningVariable w -WarningAction SilentlyContinue 4>&1 |
            Tee-Object -Variable all | Where-Object { $_ -is [LvsTools.LvsConfigurationDocument] }
        @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*main.conf:1: *global_defs*' }).Count | Should -Be 1
        $w.Count | Should -Be 1
        "$($w[0])" | Should -BeLike '*web.conf:6: *notify_up*'
        $doc.SchemaVersion | Should -Be 2
        $doc | ConvertTo-IpvsadmRule | Should -Be @('-A -t 10.0.0.1:80 -s wrr', '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2')
        $doc.Services[0].HealthCheck.Timeout | Should -Be 2
        [LvsTools.LvsConfigurationDocument]::FromJson($doc.ToJson()).ToJson() | Should -Be $doc.ToJson()
    }

    It 'reads text from the pipeline as it reads the file' {
        $fromPipe = Get-Content (Join-Path $dir 'conf.d/web.conf') | ConvertFrom-KeepalivedConfig -WarningAction SilentlyContinue
        $fromFile = ConvertFrom-KeepalivedConfig (Join-Path $dir 'conf.d/web.conf') -WarningAction SilentlyContinue
        $fromPipe.ToJson() | Should -Be $fromFile.ToJson()
    }

    It 'names the file and line of what it cannot read, with a stable error id' {
        $bad = Join-Path $dir 'bad.conf'
        [IO.File]::WriteAllText($bad, "virtual_server 10.0.0.1 80 {`n    protocol TCP`n    lb_algoo rr`n}`n")
        { ConvertFrom-KeepalivedConfig $bad } | Should -Throw -ErrorId 'KeepalivedUnknownKeyword,*' -ExpectedMessage "$($bad):3: unknown keyword 'lb_algoo'*"
        [IO.File]::WriteAllText($bad, "virtual_server 10.0.0.1 80 {`n    protocol TCP`n")
        { ConvertFrom-KeepalivedConfig $bad } | Should -Throw -ErrorId 'KeepalivedSyntaxError,*' -ExpectedMessage "$($bad):1: *never closed*"
        [IO.File]::WriteAllText($bad, "include bad.conf`n")
        { ConvertFrom-KeepalivedConfig $bad } | Should -Throw -ErrorId 'KeepalivedIncludeLoop,*' -ExpectedMessage "$($bad):1: *"
        { 'virtual_server 10.0.0.1 80 {', 'real_server 10.0.1.1 80 {', 'weight 99999999999', '}', '}' | ConvertFrom-KeepalivedConfig } |
            Should -Throw -ErrorId 'KeepalivedValueOutOfRange,*' -ExpectedMessage '(pipeline):3: *'
        { ConvertFrom-KeepalivedConfig (Join-Path $dir 'missing.conf') } | Should -Throw -ErrorId 'KeepalivedConfigFileNotFound,*'
    }
}

Describe 'the real keepalived builds the table LvsTools builds' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'LabTraffic.psm1') -Force
        # keepalived runs in the lab's director, whose br0 reaches the three HTTP servers its checks ask; Import runs in a
        # namespace of its own.
        $lab = New-LvsLab -Mode Nat -RealServerCount 3 -Port 8080
        $d = $lab.Director
        $plain = New-TestNamespace -NoVeth
        $rs1, $rs2, $rs3 = $lab.RealServerAddresses
        $p = $lab.Port
        $run = Join-Path $TestDrive 'keepalived'
        # MISC_CHECK runs its script as root only when told to (keepalived's script security).
        $globals = 'global_defs {', '    script_user root', '    enable_script_security', '}'
        function Get-SortedRule([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -S -n | Where-Object { $_ } | Sort-Object) }
        function Get-FullRule([string] $Namespace) { @(Export-LvsConfiguration -NetNamespace $Namespace | ConvertTo-IpvsadmRule | Sort-Object) }
        # keepalived adds its services after "Startup complete": read until the table holds what is expected (or 30 s).
        function Wait-KeepalivedTable([string[]] $Expected) {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            do {
                $now = Get-SortedRule $d
                if (($now -join "`n") -eq ($Expected -join "`n")) { break }
                Start-Sleep -Milliseconds 500
            } while ([DateTime]::UtcNow -lt $deadline)
            $now
        }
        $doc = [LvsTools.LvsConfigurationDocument]::FromJson(@"
{"schemaVersion": 2, "services": [
  {"protocol": "tcp", "address": "192.0.2.100", "port": $p, "scheduler": "wrr", "persistence": {"timeout": 600, "netmask": "255.255.255.0"},
   "quorum": 1, "hysteresis": 0, "onFailure": "inhibit",
   "healthCheck": {"type": "http", "path": "/", "expectStatus": [200], "timeout": 3, "interval": 3, "rise": 1, "fall": 2},
   "realServers": [{"address": "$rs1", "port": $p, "forwarding": "masquerade", "weight": 3, "upperThreshold": 100, "lowerThreshold": 10},
                   {"address": "$rs2", "port": $p, "forwarding": "masquerade", "weight": 2},
                   {"address": "$rs3", "port": $p, "forwarding": "masquerade", "weight": 1,
                    "healthCheck": {"type": "tcp", "timeout": 1, "interval": 1, "rise": 1, "fall": 1}}]},
  {"protocol": "tcp", "address": "192.0.2.100", "port": 8081, "scheduler": "sh", "schedulerFlags": ["sh-fallback", "sh-port"], "onFailure": "remove",
   "healthCheck": {"type": "command", "command": ["/bin/true"], "timeout": 5, "interval": 5, "rise": 1, "fall": 3},
   "realServers": [{"address": "$rs1", "port": $p, "forwarding": "masquerade", "weight": 1},
                   {"address": "$rs2", "port": $p, "forwarding": "masquerade", "weight": 4}]},
  {"protocol": "udp", "address": "192.0.2.100", "port": 53, "scheduler": "rr", "onePacket": true,
   "realServers": [{"address": "10.77.0.50", "port": 53, "forwarding": "masquerade", "weight": 1}]},
  {"firewallMark": 7, "family": "ipv4", "scheduler": "lc", "persistence": {"timeout": 300},
   "realServers": [{"address": "$rs3", "port": 0, "forwarding": "route", "weight": 4, "healthCheck": {"type": "tcp", "port": $p, "timeout": 1, "interval": 1, "rise": 1, "fall": 1}},
                   {"address": "10.77.0.60", "port": 0, "forwarding": "tunnel", "weight": 2, "tunnel": {"type": "gue", "port": 6080, "checksum": "checksum"}}]},
  {"protocol": "tcp", "address": "192.0.2.101", "port": 443, "scheduler": "mh", "schedulerFlags": ["mh-port"],
   "realServers": [{"address": "10.77.0.70", "port": 443, "forwarding": "tunnel", "weight": 1, "tunnel": {"type": "ipip"}},
                   {"address": "10.77.0.71", "port": 443, "forwarding": "route", "weight": 7, "upperThreshold": 20}]},
  {"protocol": "tcp", "address": "2001:db8::100", "port": 80, "family": "ipv6", "scheduler": "wlc", "persistence": {"timeout": 60, "netmask": "64"},
   "realServers": [{"address": "2001:db8:1::10", "port": 8080, "forwarding": "masquerade", "weight": 3, "lowerThreshold": 2, "upperThreshold": 9}]},
  {"firewallMark": 8, "family": "ipv6", "scheduler": "rr",
   "realServers": [{"address": "2001:db8:1::11", "port": 0, "forwarding": "tunnel", "weight": 1, "tunnel": {"type": "ipip"}}]}]}
"@)
        # The HTTP check gives the lab's one-request-at-a-time servers 3 s: with 1 s, a guest on a slow host (steal time)
        # saw keepalived inhibit two healthy servers between the two reads of its table (CI, 2026-12-01).
        try {
            # 1. The exported file against Import-LvsConfiguration.
            $exported = @($doc | ConvertTo-KeepalivedConfig -WarningVariable exportWarnings)
            Import-LvsConfiguration -NetNamespace $plain -InputObject $doc -ErrorAction Stop
            $expected = Get-SortedRule $plain
            $expectedFull = Get-FullRule $plain
            $ka = Start-Keepalived -Namespace $d -Directory $run -Name exported -Config (($globals + $exported) -join "`n")
            $exportedTable = Wait-KeepalivedTable $expected
            $exportedFull = Get-FullRule $d
            $null = Stop-Keepalived $ka
            $ka = $null

            # 2. A hand-written keepalived.conf, through ConvertFrom / ConvertTo, gives keepalived the same table.
            $hand = @"
! written by hand, as a keepalived user would
virtual_server_group WEB {
    192.0.2.100 $p
    192.0.2.102-103 $p   # two more VIPs
}
virtual_server group WEB {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    delay_loop 1
    inhibit_on_failure
    real_server $rs1 $p {
        weight 2
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server $rs2 $p {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server 192.0.2.100 8091 {
    lvs_sched sh
    sh-port
    protocol TCP
    persistence_timeout 120
    persistence_granularity 255.255.255.0
    delay_loop 5
    real_server $rs1 $p {
        MISC_CHECK {
            misc_path "/bin/true $rs1 $p"
            misc_timeout 5
            retry 2
        }
    }
    real_server $rs3 $p {
        weight 5
        uthreshold 50
        lthreshold 5
    }
}
virtual_server fwmark 9 {
    lvs_sched rr
    lvs_method DR
    delay_loop 1
    real_server $rs3 $p {
        TCP_CHECK {
            connect_port $p
            connect_timeout 1
        }
    }
}
"@
            $ka = Start-Keepalived -Namespace $d -Directory $run -Name hand -Config (($globals -join "`n") + "`n" + $hand)
            Start-Sleep -Seconds 3
            $handTable = Get-SortedRule $d
            $handFull = Get-FullRule $d
            $null = Stop-Keepalived $ka
            $ka = $null
            $handDoc = ConvertFrom-KeepalivedConfig -Path (Join-Path $run 'hand.conf') -WarningAction SilentlyContinue
            $again = @($handDoc | ConvertTo-KeepalivedConfig -WarningAction SilentlyContinue)
            $ka = Start-Keepalived -Namespace $d -Directory $run -Name again -Config (($globals + $again) -join "`n")
            $againTable = Wait-KeepalivedTable $handTable
            $againFull = Get-FullRule $d
            $null = Stop-Keepalived $ka
            $ka = $null
            Clear-LvsService -NetNamespace $plain -Confirm:$false
            Import-LvsConfiguration -NetNamespace $plain -InputObject $handDoc -ErrorAction Stop
            $importedHand = Get-FullRule $plain
        } finally {
            if ($ka) { $null = Stop-Keepalived $ka }
        }
    }

    AfterAll {
        if ($lab) { Remove-LvsLab $lab }
        Remove-TestNamespace $plain
    }

    It 'keepalived builds from the exported file what Import-LvsConfiguration builds, by ipvsadm -S -n' {
        $expected.Count | Should -Be 19
        $exportedTable | Should -Be $expected
    }

    It 'and by Export-LvsConfiguration, which also shows thresholds and tunnel options' {
        $expectedFull | Should -Contain "-a -t 192.0.2.100:$($p) -r $($rs1):$p -m -w 3 -x 100 -y 10"
        $expectedFull | Should -Contain '-a -f 7 -r 10.77.0.60:0 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum'
        $expectedFull | Should -Contain '-A -t [2001:db8::100]:80 -s wlc -p 60 -M 64'
        $exportedFull | Should -Be $expectedFull
        $exportWarnings | Should -BeNullOrEmpty
    }

    It 'a hand-written keepalived.conf gives keepalived the same table after ConvertFrom and ConvertTo' {
        $handTable.Count | Should -Be 14
        $againTable | Should -Be $handTable
        $againFull | Should -Be $handFull
    }

    It 'and Import-LvsConfiguration builds that table from the document ConvertFrom-KeepalivedConfig read' {
        $importedHand | Should -Be $handFull
    }
}
