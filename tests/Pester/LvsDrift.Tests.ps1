# Compare-LvsConfiguration and Test-LvsConfiguration as users script them: drift as objects between a document and a
# live namespace, read only. The host kernel has no IPVS: there the errors and the sections that need none (virtual
# IPs, sysctls) are tested in a namespace of the test's own; the IPVS drift of every kind runs in the UML guest
# (tag Kernel), cross-checked against Sync-LvsConfiguration -WhatIf and ipvsadm -S -n.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:canNamespace = [bool](Test-KernelTestsAvailable)
    $script:skipKernel = -not ($canNamespace -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    function New-Document([string] $Json) {
        $file = Join-Path $TestDrive ('doc-{0}.json' -f [guid]::NewGuid().ToString('N'))
        Set-Content -LiteralPath $file -Value $Json -NoNewline
        $file
    }

    # A difference as one comparable line.
    function Format-Difference($d) {
        $line = '{0} {1} {2}' -f $d.Kind, $d.Section, $d.Key
        if ($d.Property) { $line += ' {0}: {1} / {2}' -f $d.Property, $d.DocumentValue, $d.KernelValue }
        $line
    }

    # The error id a command gives for a document, without the command's class.
    function Get-DocumentErrorId([scriptblock] $Script) {
        try { & $Script; $null } catch { ($_.FullyQualifiedErrorId -split ',')[0] }
    }
}

Describe 'Compare- and Test-LvsConfiguration: a document that does not parse' {
    It '<Case>: the same error as Sync-LvsConfiguration, from both' -ForEach @(
        @{ Case = 'no such file'; Json = $null; Id = 'LvsConfigurationFileNotFound' }
        @{ Case = 'not JSON'; Json = '{"schemaVersion": 1, "services": [' ; Id = 'InvalidConfigurationDocument' }
        @{ Case = 'a service twice'; Json = '{"schemaVersion": 1, "services": [{"protocol": "tcp", "address": "10.0.0.1", "port": 80}, {"protocol": "TCP", "address": "10.0.0.1", "port": 80}]}'; Id = 'DuplicateService' }
        @{ Case = 'a weight out of range'; Json = '{"schemaVersion": 1, "services": [{"protocol": "tcp", "address": "10.0.0.1", "port": 80, "realServers": [{"address": "10.0.1.1", "port": 80, "weight": -1}]}]}'; Id = 'InvalidWeight' }
    ) {
        $file = if ($Json) { New-Document $Json } else { Join-Path $TestDrive 'missing.json' }
        $e = { Compare-LvsConfiguration -Path $file -ErrorAction Stop } | Should -Throw -ErrorId "$Id,LvsTools.Commands.CompareLvsConfigurationCommand" -PassThru
        $e.Exception.Message | Should -Not -Match '\bat LvsTools\.'
        { Test-LvsConfiguration -Path $file -ErrorAction Stop } | Should -Throw -ErrorId "$Id,LvsTools.Commands.TestLvsConfigurationCommand"
        Get-DocumentErrorId { Sync-LvsConfiguration -Path $file -WhatIf -ErrorAction Stop } | Should -Be $Id
    }

    It 'a broken document is an error, not $false' {
        $file = New-Document '{"schemaVersion": 9}'
        $out = $null
        { $script:out = Test-LvsConfiguration -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'UnsupportedConfigurationVersion,*'
        $script:out | Should -BeNullOrEmpty
    }

    It 'a document with services on a kernel without IPVS: IPVSNotInstalled' -Skip:(Test-IpvsAvailable) {
        $file = New-Document '{"schemaVersion": 1, "services": []}'
        $e = { Compare-LvsConfiguration -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'IPVSNotInstalled,LvsTools.Commands.CompareLvsConfigurationCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'NotInstalled'
    }

    It 'a document that manages nothing has no drift' {
        Compare-LvsConfiguration -InputObject ([LvsTools.LvsConfigurationDocument]::FromJson('{"schemaVersion": 1}')) | Should -BeNullOrEmpty
        Test-LvsConfiguration -InputObject ([LvsTools.LvsConfigurationDocument]::FromJson('{"schemaVersion": 1}')) | Should -BeTrue
    }
}

Describe 'Compare-LvsConfiguration: virtual IPs and sysctls (no IPVS needed)' -Skip:(-not $canNamespace) {
    BeforeAll {
        $ns = New-TestNamespace
        # ip_forward and arp_announce differ from a new namespace's 0; accept_local is 0 there already (a sysctl outside
        # the dependent ones, read because the document lists it); net.ipv4.vs.conntrack exists only with ip_vs.
        $file = New-Document (@{
                schemaVersion = 1
                virtualIps    = @(@{ interfaceName = 'veth0'; address = '10.9.0.1/32' })
                sysctls       = @(
                    @{ name = 'net.ipv4.ip_forward'; value = '1' }
                    @{ name = 'net.ipv4.conf.veth0.arp_announce'; value = '2' }
                    @{ name = 'net.ipv4.conf.veth0.accept_local'; value = '0' }
                    @{ name = 'net.ipv4.vs.conntrack'; value = '0' })
            } | ConvertTo-Json -Depth 5)
        $before = @(Compare-LvsConfiguration -NetNamespace $ns -Path $file)
        $testBefore = Test-LvsConfiguration -NetNamespace $ns -Path $file
        $addressesBefore = Get-AddressSnapshot $ns
        $forwardBefore = ip netns exec $ns sysctl -n net.ipv4.ip_forward
        Add-LvsVirtualIp -NetNamespace $ns -InterfaceName veth0 -IPAddress 10.9.0.1 -PrefixLength 32 | Out-Null
        Set-Sysctl -NetNamespace $ns -Name net.ipv4.ip_forward -Value 1 | Out-Null
        Set-Sysctl -NetNamespace $ns -Name net.ipv4.conf.veth0.arp_announce -Value 2 | Out-Null
        $after = @(Compare-LvsConfiguration -NetNamespace $ns -Path $file)
        $testAfter = Test-LvsConfiguration -NetNamespace $ns -Path $file
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'reports each difference, with the kernel value cross-checked by sysctl' {
        $forwardBefore | Should -Be '0'
        $expected = @(
            'Missing VirtualIp 10.9.0.1/32 on veth0'
            'Different Sysctl net.ipv4.ip_forward value: 1 / 0'
            'Different Sysctl net.ipv4.conf.veth0.arp_announce value: 2 / 0'
            if (Test-IpvsAvailable) { if ((ip netns exec $ns sysctl -n net.ipv4.vs.conntrack) -ne '0') { 'Different Sysctl net.ipv4.vs.conntrack value: 0 / 1' } }
            else { 'Missing Sysctl net.ipv4.vs.conntrack' }
        )
        $before | ForEach-Object { Format-Difference $_ } | Sort-Object | Should -Be ($expected | Sort-Object)
        $before | ForEach-Object { $_.NetNamespace | Should -Be $ns }
        $testBefore | Should -BeFalse
    }

    It 'only reads: the namespace is as it was' {
        # (taken after the two reads: the address and the sysctl were not set by them)
        $addressesBefore | Should -Not -Match '10\.9\.0\.1'
        $forwardBefore | Should -Be '0'
    }

    It 'what the operator fixed is no drift any more; only what cannot be set remains' {
        $left = @($after | ForEach-Object { Format-Difference $_ })
        $left | Should -Not -Match 'VirtualIp|ip_forward|arp_announce|accept_local'
        if (-not (Test-IpvsAvailable)) {
            $left | Should -Be @('Missing Sysctl net.ipv4.vs.conntrack')
            $testAfter | Should -BeFalse
        }
    }

    It 'a document of what the namespace holds has no drift' {
        $doc = [LvsTools.LvsConfigurationDocument]::FromJson((@{
                    schemaVersion = 1
                    virtualIps    = @(@{ interfaceName = 'veth0'; address = '10.9.0.1/32' })
                    sysctls       = @(@{ name = 'net.ipv4.ip_forward'; value = '1' }, @{ name = 'net.ipv4.conf.veth0.accept_local'; value = '0' })
                } | ConvertTo-Json -Depth 5))
        Compare-LvsConfiguration -NetNamespace $ns -InputObject $doc | Should -BeNullOrEmpty
        $doc | Test-LvsConfiguration -NetNamespace $ns | Should -BeTrue
    }
}

Describe 'Compare-LvsConfiguration against a live IPVS table: every kind of drift' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        @(
            '-A -t 10.0.0.1:80 -s wlc'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 1'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:8080 -m -w 1'
            '-A -t 10.0.0.9:80 -s rr'
            '-a -t 10.0.0.9:80 -r 10.0.1.50:80 -m -w 1'
        ) | ip netns exec $ns ipvsadm -R
        if ($LASTEXITCODE) { throw "ipvsadm -R exited with $LASTEXITCODE" }
        $file = New-Document (@{
                schemaVersion = 2
                services      = @(
                    @{ protocol = 'tcp'; address = '10.0.0.1'; port = 80; scheduler = 'wrr'
                        healthCheck = @{ type = 'http'; path = '/health' }
                        realServers = @(
                            @{ address = '10.0.1.11'; port = 8080; forwarding = 'masquerade'; weight = 3 }
                            @{ address = '10.0.1.13'; port = 8080; forwarding = 'masquerade'; weight = 1 }
                            @{ address = '10.0.1.14'; port = 8080; forwarding = 'masquerade'; weight = 5; maintenance = $true })
                    }
                    @{ protocol = 'udp'; address = '10.0.0.1'; port = 53; scheduler = 'rr'
                        realServers = @(@{ address = '10.0.1.11'; port = 53; forwarding = 'masquerade'; weight = 1 }) })
            } | ConvertTo-Json -Depth 6)
        $rulesBefore = @(ip netns exec $ns ipvsadm -S -n | Sort-Object)
        $drift = @(Compare-LvsConfiguration -NetNamespace $ns -Path $file)
        $testBefore = Test-LvsConfiguration -NetNamespace $ns -Path $file
        $rulesAfterCompare = @(ip netns exec $ns ipvsadm -S -n | Sort-Object)
        $plan = Sync-LvsConfiguration -NetNamespace $ns -Path $file -WhatIf
        $sync = Sync-LvsConfiguration -NetNamespace $ns -Path $file -Confirm:$false
        $after = @(Compare-LvsConfiguration -NetNamespace $ns -Path $file)
        $testAfter = Test-LvsConfiguration -NetNamespace $ns -Path $file
        # drift made behind the document's back, by ipvsadm: a weight and a service option
        ip netns exec $ns sh -ec 'ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 7; ipvsadm -E -u 10.0.0.1:53 -s lc'
        $again = @(Compare-LvsConfiguration -NetNamespace $ns -Path $file)
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'reports missing, extra and different services and real servers, maintenance as weight 0' {
        $drift | ForEach-Object { Format-Difference $_ } | Should -Be @(
            'Extra RealServer TCP  10.0.0.1:80 -> 10.0.1.12:8080'
            'Extra Service TCP  10.0.0.9:80'
            'Different Service TCP  10.0.0.1:80 scheduler: wrr / wlc'
            'Missing Service UDP  10.0.0.1:53'
            'Different RealServer TCP  10.0.0.1:80 -> 10.0.1.11:8080 weight: 3 / 1'
            'Missing RealServer TCP  10.0.0.1:80 -> 10.0.1.13:8080'
            'Missing RealServer TCP  10.0.0.1:80 -> 10.0.1.14:8080'
            'Missing RealServer UDP  10.0.0.1:53 -> 10.0.1.11:53'
        )
        ($drift | Where-Object Key -EQ 'TCP  10.0.0.1:80 -> 10.0.1.14:8080').Operation | Should -Match '-w 0$'
        $testBefore | Should -BeFalse
    }

    It 'changes nothing' {
        $rulesAfterCompare | Should -Be $rulesBefore
    }

    It 'is exactly Sync -WhatIf''s plan: one step for each difference' {
        @($plan.Steps.Operation) | Should -Be @($drift.Operation)
    }

    It 'after Sync there is no drift, and Test says so' {
        $sync.Failed | Should -Be 0
        $after | Should -BeNullOrEmpty
        $testAfter | Should -BeTrue
    }

    It 'sees drift that ipvsadm made: a weight and a scheduler' {
        $again | ForEach-Object { Format-Difference $_ } | Should -Be @(
            'Different Service UDP  10.0.0.1:53 scheduler: rr / lc'
            'Different RealServer TCP  10.0.0.1:80 -> 10.0.1.11:8080 weight: 3 / 7'
        )
        ($again | Where-Object Property -EQ weight).KernelValue | Should -BeOfType [int]
    }
}
