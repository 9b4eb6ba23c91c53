# Virtual services as users script them, in namespaces of the tests' own, cross-checked with ipvsadm: what the cmdlets
# create, `ipvsadm -S -n` must read back line for line; what ipvsadm creates, Get-LvsService must report property by
# property. Kernel tests need IPVS (the UML guest, tests/Uml); the host kernel has none, and there the NotInstalled
# tests run instead.
#
# UML runs every external command slowly (0.5-1 s from pwsh), so a Describe makes one namespace, gives every scenario
# a service of its own, runs all scenarios in BeforeAll and reads the table with ONE `ipvsadm -S -n`. The dump is cut
# into per-service blocks (the -A line and its -a lines); each scenario compares the full text of its block(s) with an
# expected literal (or checks a block is absent), and one test checks that the table holds no other service.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ipvsAvailable = [bool](Test-IpvsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and $ipvsAvailable -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))

    # New-LvsService scenarios: Params for New-LvsService; Expected: ipvsadm -S block per service key.
    $script:newCases = @(
        @{ Case = 'a TCP service'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80; Scheduler = 'wrr' }
            Expected = @{ '-t 10.0.0.1:80' = '-A -t 10.0.0.1:80 -s wrr' } }
        @{ Case = 'a UDP service'; Params = @{ VirtualAddress = '10.0.0.2'; Protocol = 'Udp'; Port = 53; Scheduler = 'rr' }
            Expected = @{ '-u 10.0.0.2:53' = '-A -u 10.0.0.2:53 -s rr' } }
        @{ Case = 'an SCTP service with the default scheduler wlc'; Params = @{ VirtualAddress = '10.0.0.3'; Protocol = 'Sctp'; Port = 3868 }
            Expected = @{ '--sctp-service 10.0.0.3:3868' = '-A --sctp-service 10.0.0.3:3868 -s wlc' } }
        @{ Case = 'an IPv6 TCP service'; Params = @{ VirtualAddress = '2001:db8::1'; Port = 443; Scheduler = 'lc' }
            Expected = @{ '-t [2001:db8::1]:443' = '-A -t [2001:db8::1]:443 -s lc' } }
        @{ Case = 'an IPv6 UDP service'; Params = @{ VirtualAddress = '2001:db8::2'; Protocol = 'Udp'; Port = 53; Scheduler = 'sh' }
            Expected = @{ '-u [2001:db8::2]:53' = '-A -u [2001:db8::2]:53 -s sh' } }
        @{ Case = 'an IPv6 SCTP service'; Params = @{ VirtualAddress = '2001:db8::3'; Protocol = 'Sctp'; Port = 3868; Scheduler = 'rr' }
            Expected = @{ '--sctp-service [2001:db8::3]:3868' = '-A --sctp-service [2001:db8::3]:3868 -s rr' } }
        @{ Case = 'an IPv4 fwmark service'; Params = @{ FirewallMark = 7; Scheduler = 'rr' }
            Expected = @{ '-f 7' = '-A -f 7 -s rr' } }
        @{ Case = 'an IPv6 fwmark service'; Params = @{ FirewallMark = 8; AddressFamily = 'IPv6'; Scheduler = 'rr' }
            Expected = @{ '-f 8 -6' = '-A -f 8 -6 -s rr' } }
        @{ Case = 'sh with sh-fallback and sh-port'; Params = @{ VirtualAddress = '10.0.0.4'; Port = 80; Scheduler = 'sh'; SchedulerFlag = 'sh-fallback', 'sh-port' }
            Expected = @{ '-t 10.0.0.4:80' = '-A -t 10.0.0.4:80 -s sh -b sh-fallback,sh-port' } }
        @{ Case = 'sh with sh-port'; Params = @{ VirtualAddress = '10.0.0.5'; Port = 80; Scheduler = 'sh'; SchedulerFlag = 'sh-port' }
            Expected = @{ '-t 10.0.0.5:80' = '-A -t 10.0.0.5:80 -s sh -b sh-port' } }
        @{ Case = 'mh with mh-fallback'; Params = @{ VirtualAddress = '10.0.0.6'; Port = 80; Scheduler = 'mh'; SchedulerFlag = 'mh-fallback' }
            Expected = @{ '-t 10.0.0.6:80' = '-A -t 10.0.0.6:80 -s mh -b mh-fallback' } }
        @{ Case = 'mh with mh-fallback and mh-port'; Params = @{ VirtualAddress = '10.0.0.7'; Port = 80; Scheduler = 'mh'; SchedulerFlag = 'mh-fallback', 'mh-port' }
            Expected = @{ '-t 10.0.0.7:80' = '-A -t 10.0.0.7:80 -s mh -b mh-fallback,mh-port' } }
        @{ Case = 'mh with mh-port'; Params = @{ VirtualAddress = '10.0.0.8'; Port = 80; Scheduler = 'mh'; SchedulerFlag = 'mh-port' }
            Expected = @{ '-t 10.0.0.8:80' = '-A -t 10.0.0.8:80 -s mh -b mh-port' } }
        @{ Case = '-Persistent with the documented default of 300 s'; Params = @{ VirtualAddress = '10.0.0.9'; Port = 80; Persistent = $true }
            Expected = @{ '-t 10.0.0.9:80' = '-A -t 10.0.0.9:80 -s wlc -p 300' } }
        @{ Case = '-PersistenceTimeout as a TimeSpan'; Params = @{ VirtualAddress = '10.0.0.10'; Port = 80; Scheduler = 'rr'; PersistenceTimeout = [timespan]::FromMinutes(10) }
            Expected = @{ '-t 10.0.0.10:80' = '-A -t 10.0.0.10:80 -s rr -p 600' } }
        @{ Case = '-PersistenceTimeout as a number of seconds, like ipvsadm -p 600 and Set-LvsTimeout'; Params = @{ VirtualAddress = '10.0.0.11'; Port = 80; Scheduler = 'rr'; PersistenceTimeout = 600 }
            Expected = @{ '-t 10.0.0.11:80' = '-A -t 10.0.0.11:80 -s rr -p 600' } }
        @{ Case = '-PersistenceNetmask 255.255.255.0'; Params = @{ VirtualAddress = '10.0.0.12'; Port = 80; Persistent = $true; PersistenceNetmask = '255.255.255.0' }
            Expected = @{ '-t 10.0.0.12:80' = '-A -t 10.0.0.12:80 -s wlc -p 300 -M 255.255.255.0' } }
        @{ Case = '-PersistenceNetmask as an IPv4 prefix length'; Params = @{ VirtualAddress = '10.0.0.13'; Port = 80; Persistent = $true; PersistenceNetmask = '16' }
            Expected = @{ '-t 10.0.0.13:80' = '-A -t 10.0.0.13:80 -s wlc -p 300 -M 255.255.0.0' } }
        @{ Case = 'an IPv6 persistence prefix'; Params = @{ VirtualAddress = '2001:db8::4'; Port = 443; Scheduler = 'rr'; Persistent = $true; PersistenceNetmask = '64' }
            Expected = @{ '-t [2001:db8::4]:443' = '-A -t [2001:db8::4]:443 -s rr -p 300 -M 64' } }
        @{ Case = 'the sip persistence engine on UDP 5060'; Params = @{ VirtualAddress = '10.0.0.14'; Protocol = 'Udp'; Port = 5060; Scheduler = 'rr'; PersistenceTimeout = [timespan]::FromSeconds(120); PersistenceNetmask = '255.255.255.0'; PersistenceEngine = 'sip' }
            Expected = @{ '-u 10.0.0.14:5060' = '-A -u 10.0.0.14:5060 -s rr -p 120 -M 255.255.255.0 --pe sip' } }
        @{ Case = 'one-packet scheduling on UDP'; Params = @{ VirtualAddress = '10.0.0.15'; Protocol = 'Udp'; Port = 53; Scheduler = 'rr'; OnePacket = $true }
            Expected = @{ '-u 10.0.0.15:53' = '-A -u 10.0.0.15:53 -s rr -o' } }
        @{ Case = 'one-packet scheduling on an fwmark service'; Params = @{ FirewallMark = 9; Scheduler = 'rr'; OnePacket = $true }
            Expected = @{ '-f 9' = '-A -f 9 -s rr -o' } }
        @{ Case = 'a persistent any-port service (port 0)'; Params = @{ VirtualAddress = '10.0.0.16'; Port = 0; Scheduler = 'rr'; PersistenceTimeout = [timespan]::FromSeconds(60) }
            Expected = @{ '-t 10.0.0.16:0' = '-A -t 10.0.0.16:0 -s rr -p 60' } }
        @{ Case = 'a persistent IPv6 fwmark service with a prefix'; Params = @{ FirewallMark = 10; AddressFamily = 'IPv6'; Scheduler = 'lc'; Persistent = $true; PersistenceNetmask = '48' }
            Expected = @{ '-f 10 -6' = '-A -f 10 -6 -s lc -p 300 -M 48' } }
    )
    # One service per scheduler the UML kernel has.
    $i = 0
    foreach ($s in 'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh') {
        $i++
        $script:newCases += @{ Case = "the scheduler $s"; Params = @{ VirtualAddress = "10.0.1.$i"; Port = 80; Scheduler = $s }
            Expected = @{ "-t 10.0.1.$($i):80" = "-A -t 10.0.1.$($i):80 -s $s" } }
    }

    # Set-LvsService scenarios: Base for New-LvsService, Set for Set-LvsService (both name the same service).
    $script:setCases = @(
        @{ Case = 'changes the scheduler and keeps persistence and mask'
            Base = @{ VirtualAddress = '10.0.2.1'; Port = 80; PersistenceTimeout = [timespan]::FromSeconds(600); PersistenceNetmask = '255.255.255.0' }
            Set = @{ VirtualAddress = '10.0.2.1'; Port = 80; Scheduler = 'rr' }
            Expected = @{ '-t 10.0.2.1:80' = '-A -t 10.0.2.1:80 -s rr -p 600 -M 255.255.255.0' } }
        @{ Case = '-Persistent:$false removes persistence and keeps the scheduler'
            Base = @{ VirtualAddress = '10.0.2.2'; Port = 80; Scheduler = 'sed'; PersistenceTimeout = [timespan]::FromSeconds(600) }
            Set = @{ VirtualAddress = '10.0.2.2'; Port = 80; Persistent = $false }
            Expected = @{ '-t 10.0.2.2:80' = '-A -t 10.0.2.2:80 -s sed' } }
        @{ Case = '-PersistenceTimeout makes a service persistent'
            Base = @{ VirtualAddress = '10.0.2.3'; Port = 80; Scheduler = 'rr' }
            Set = @{ VirtualAddress = '10.0.2.3'; Port = 80; PersistenceTimeout = [timespan]::FromSeconds(120) }
            Expected = @{ '-t 10.0.2.3:80' = '-A -t 10.0.2.3:80 -s rr -p 120' } }
        @{ Case = '-Persistent keeps the timeout the service has'
            Base = @{ VirtualAddress = '10.0.2.4'; Port = 80; Scheduler = 'rr'; PersistenceTimeout = [timespan]::FromSeconds(900) }
            Set = @{ VirtualAddress = '10.0.2.4'; Port = 80; Persistent = $true }
            Expected = @{ '-t 10.0.2.4:80' = '-A -t 10.0.2.4:80 -s rr -p 900' } }
        @{ Case = '-PersistenceNetmask alone keeps scheduler and timeout'
            Base = @{ VirtualAddress = '10.0.2.5'; Port = 80; Scheduler = 'lblc'; PersistenceTimeout = [timespan]::FromSeconds(100) }
            Set = @{ VirtualAddress = '10.0.2.5'; Port = 80; PersistenceNetmask = '255.255.0.0' }
            Expected = @{ '-t 10.0.2.5:80' = '-A -t 10.0.2.5:80 -s lblc -p 100 -M 255.255.0.0' } }
        @{ Case = 'replaces the scheduler flags'
            Base = @{ VirtualAddress = '10.0.2.6'; Port = 80; Scheduler = 'sh'; SchedulerFlag = 'sh-fallback' }
            Set = @{ VirtualAddress = '10.0.2.6'; Port = 80; SchedulerFlag = 'sh-port' }
            Expected = @{ '-t 10.0.2.6:80' = '-A -t 10.0.2.6:80 -s sh -b sh-port' } }
        @{ Case = 'clears the scheduler flags with an empty list'
            Base = @{ VirtualAddress = '10.0.2.7'; Port = 80; Scheduler = 'mh'; SchedulerFlag = 'mh-fallback', 'mh-port' }
            Set = @{ VirtualAddress = '10.0.2.7'; Port = 80; SchedulerFlag = @() }
            Expected = @{ '-t 10.0.2.7:80' = '-A -t 10.0.2.7:80 -s mh' } }
        @{ Case = 'keeps the scheduler flags when only -Persistent is given'
            Base = @{ VirtualAddress = '10.0.2.8'; Port = 80; Scheduler = 'sh'; SchedulerFlag = 'sh-port' }
            Set = @{ VirtualAddress = '10.0.2.8'; Port = 80; Persistent = $true }
            Expected = @{ '-t 10.0.2.8:80' = '-A -t 10.0.2.8:80 -s sh -p 300 -b sh-port' } }
        @{ Case = '-OnePacket:$false turns one-packet scheduling off'
            Base = @{ VirtualAddress = '10.0.2.9'; Protocol = 'Udp'; Port = 53; Scheduler = 'rr'; OnePacket = $true }
            Set = @{ VirtualAddress = '10.0.2.9'; Protocol = 'Udp'; Port = 53; OnePacket = $false }
            Expected = @{ '-u 10.0.2.9:53' = '-A -u 10.0.2.9:53 -s rr' } }
        @{ Case = '-OnePacket turns it on'
            Base = @{ VirtualAddress = '10.0.2.10'; Protocol = 'Udp'; Port = 53; Scheduler = 'rr' }
            Set = @{ VirtualAddress = '10.0.2.10'; Protocol = 'Udp'; Port = 53; OnePacket = $true }
            Expected = @{ '-u 10.0.2.10:53' = '-A -u 10.0.2.10:53 -s rr -o' } }
        @{ Case = 'removes the persistence engine with an empty string'
            Base = @{ VirtualAddress = '10.0.2.11'; Protocol = 'Udp'; Port = 5060; Scheduler = 'rr'; Persistent = $true; PersistenceEngine = 'sip' }
            Set = @{ VirtualAddress = '10.0.2.11'; Protocol = 'Udp'; Port = 5060; PersistenceEngine = '' }
            Expected = @{ '-u 10.0.2.11:5060' = '-A -u 10.0.2.11:5060 -s rr -p 300' } }
        @{ Case = 'changes an IPv6 fwmark service named by -FirewallMark -AddressFamily IPv6, not the IPv4 one'
            Base = @{ FirewallMark = 8; AddressFamily = 'IPv6'; Scheduler = 'rr' }
            Set = @{ FirewallMark = 8; AddressFamily = 'IPv6'; Scheduler = 'dh' }
            Expected = @{ '-f 8 -6' = '-A -f 8 -6 -s dh'; '-f 8' = '-A -f 8 -s rr' } }
        @{ Case = 'changes an IPv6 service''s prefix'
            Base = @{ VirtualAddress = '2001:db8::1'; Port = 443; Scheduler = 'rr'; Persistent = $true; PersistenceNetmask = '64' }
            Set = @{ VirtualAddress = '2001:db8::1'; Port = 443; PersistenceNetmask = '56' }
            Expected = @{ '-t [2001:db8::1]:443' = '-A -t [2001:db8::1]:443 -s rr -p 300 -M 56' } }
    )

    # Refusals. Key: the service the call concerns, whose ipvsadm -S block must stay as it was (absent stays absent).
    $script:errorCases = @(
        @{ Command = 'New-LvsService'; Case = 'an unknown scheduler'; Params = @{ VirtualAddress = '10.0.1.1'; Port = 80; Scheduler = 'nosuch' }; Id = 'InvalidScheduler'; Category = 'InvalidArgument'; Target = 'nosuch'; Key = '-t 10.0.1.1:80' }
        @{ Command = 'New-LvsService'; Case = 'port 0 on a non-persistent service'; Params = @{ VirtualAddress = '10.0.1.2'; Port = 0; Scheduler = 'rr' }; Id = 'InvalidPort'; Category = 'InvalidArgument'; Target = 0; Key = '-t 10.0.1.2:0' }
        @{ Command = 'New-LvsService'; Case = 'port 65536'; Params = @{ VirtualAddress = '10.0.1.3'; Port = 65536 }; Id = 'InvalidPort'; Category = 'InvalidArgument'; Target = 65536; Key = '-t 10.0.1.3:0' }
        @{ Command = 'New-LvsService'; Case = 'an invalid address'; Params = @{ VirtualAddress = '999.1.1.1'; Port = 80 }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1'; Key = $null }
        @{ Command = 'New-LvsService'; Case = 'an existing service'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80; Scheduler = 'rr' }; Id = 'LvsServiceExists'; Category = 'ResourceExists'; Target = 'TCP  10.0.0.1:80'; Key = '-t 10.0.0.1:80' }
        @{ Command = 'New-LvsService'; Case = 'one-packet scheduling on TCP'; Params = @{ VirtualAddress = '10.0.1.4'; Port = 80; OnePacket = $true }; Id = 'InvalidOnePacket'; Category = 'InvalidArgument'; Target = 'TCP  10.0.1.4:80'; Key = '-t 10.0.1.4:80' }
        @{ Command = 'New-LvsService'; Case = 'an unknown persistence engine'; Params = @{ VirtualAddress = '10.0.1.5'; Protocol = 'Udp'; Port = 5060; Persistent = $true; PersistenceEngine = 'http' }; Id = 'InvalidPersistenceEngine'; Category = 'InvalidArgument'; Target = 'http'; Key = '-u 10.0.1.5:5060' }
        @{ Command = 'New-LvsService'; Case = 'an unknown scheduler flag'; Params = @{ VirtualAddress = '10.0.1.6'; Port = 80; Scheduler = 'sh'; SchedulerFlag = 'sh-sticky' }; Id = 'InvalidSchedulerFlag'; Category = 'InvalidArgument'; Target = 'sh-sticky'; Key = '-t 10.0.1.6:80' }
        @{ Command = 'New-LvsService'; Case = 'an sh flag on another scheduler (ipvsadm: incompatible scheduler flag)'; Params = @{ VirtualAddress = '10.0.1.7'; Port = 80; Scheduler = 'rr'; SchedulerFlag = 'sh-fallback' }; Id = 'InvalidSchedulerFlag'; Category = 'InvalidArgument'; Target = 'sh-fallback'; Key = '-t 10.0.1.7:80' }
        @{ Command = 'New-LvsService'; Case = 'firewall mark 0'; Params = @{ FirewallMark = 0 }; Id = 'InvalidFirewallMark'; Category = 'InvalidArgument'; Target = 0; Key = $null }
        @{ Command = 'New-LvsService'; Case = 'an IPv6 prefix of 129'; Params = @{ VirtualAddress = '2001:db8::1'; Port = 80; Persistent = $true; PersistenceNetmask = '129' }; Id = 'InvalidNetmask'; Category = 'InvalidArgument'; Target = 129; Key = '-t [2001:db8::1]:80' }
        @{ Command = 'New-LvsService'; Case = 'a dotted mask on an IPv6 service'; Params = @{ VirtualAddress = '2001:db8::2'; Port = 80; Persistent = $true; PersistenceNetmask = '255.255.255.0' }; Id = 'InvalidNetmask'; Category = 'InvalidArgument'; Target = '255.255.255.0'; Key = '-t [2001:db8::2]:80' }
        @{ Command = 'New-LvsService'; Case = 'a persistence timeout over 31 days'; Params = @{ VirtualAddress = '10.0.1.8'; Port = 80; PersistenceTimeout = [timespan]::FromDays(32) }; Id = 'InvalidPersistenceTimeout'; Category = 'InvalidArgument'; Target = [timespan]::FromDays(32); Key = '-t 10.0.1.8:80' }
        @{ Command = 'Set-LvsService'; Case = 'an unknown scheduler'; Params = @{ VirtualAddress = '10.0.0.2'; Port = 80; Scheduler = 'nosuch' }; Id = 'InvalidScheduler'; Category = 'InvalidArgument'; Target = 'nosuch'; Key = '-t 10.0.0.2:80' }
        @{ Command = 'Set-LvsService'; Case = 'a missing service'; Params = @{ VirtualAddress = '10.0.0.9'; Port = 80; Scheduler = 'rr' }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'TCP  10.0.0.9:80'; Key = '-t 10.0.0.9:80' }
        @{ Command = 'Set-LvsService'; Case = 'a missing service of another protocol'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80; Protocol = 'Udp'; Scheduler = 'rr' }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'UDP  10.0.0.1:80'; Key = '-u 10.0.0.1:80' }
        @{ Command = 'Set-LvsService'; Case = 'an invalid address'; Params = @{ VirtualAddress = '999.1.1.1'; Port = 80; Scheduler = 'rr' }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1'; Key = $null }
        @{ Command = 'Set-LvsService'; Case = 'making a port-0 service non-persistent'; Params = @{ VirtualAddress = '10.0.0.5'; Port = 0; Persistent = $false }; Id = 'InvalidPort'; Category = 'InvalidArgument'; Target = 0; Key = '-t 10.0.0.5:0' }
        @{ Command = 'Set-LvsService'; Case = 'one-packet scheduling on TCP'; Params = @{ VirtualAddress = '10.0.0.3'; Port = 80; OnePacket = $true }; Id = 'InvalidOnePacket'; Category = 'InvalidArgument'; Target = 'TCP  10.0.0.3:80'; Key = '-t 10.0.0.3:80' }
        @{ Command = 'Remove-LvsService'; Case = 'a missing service'; Params = @{ VirtualAddress = '10.0.0.9'; Port = 80 }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'TCP  10.0.0.9:80'; Key = '-t 10.0.0.9:80' }
        @{ Command = 'Remove-LvsService'; Case = 'a missing fwmark service'; Params = @{ FirewallMark = 99 }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'FWM  99'; Key = '-f 99' }
        @{ Command = 'Remove-LvsService'; Case = 'a missing IPv6 fwmark service whose IPv4 twin exists'; Params = @{ FirewallMark = 7; AddressFamily = 'IPv6' }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'FWM  7 IPv6'; Key = '-f 7' }
        @{ Command = 'Remove-LvsService'; Case = 'an invalid address'; Params = @{ VirtualAddress = '999.1.1.1'; Port = 80 }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1'; Key = $null }
        @{ Command = 'Get-LvsService'; Case = 'a filter that matches nothing'; Params = @{ VirtualAddress = '10.0.0.9' }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = '10.0.0.9'; Key = $null }
        @{ Command = 'Get-LvsService'; Case = 'an invalid address'; Params = @{ VirtualAddress = '999.1.1.1' }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1'; Key = $null }
    )

    # -WhatIf: each command and the What-if text it must show ({0} = the namespace); Key: the service it concerns.
    $script:whatIfCases = @(
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '10.0.0.50'; Port = 80; Scheduler = 'sh'; SchedulerFlag = 'sh-port'; Persistent = $true }; Key = '-t 10.0.0.50:80'
            Text = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -t 10.0.0.50:80 -s sh -p 300 -b sh-port" on target "TCP  10.0.0.50:80 (netns {0})"' }
        @{ Command = 'New-LvsService'; Params = @{ FirewallMark = 8; AddressFamily = 'IPv6'; Scheduler = 'rr'; PersistenceTimeout = [timespan]::FromSeconds(60); PersistenceNetmask = '64' }; Key = '-f 8 -6'
            Text = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -f 8 -6 -s rr -p 60 -M 64" on target "FWM  8 IPv6 (netns {0})"' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '10.0.0.51'; Protocol = 'Udp'; Port = 5060; Scheduler = 'rr'; Persistent = $true; PersistenceEngine = 'sip'; OnePacket = $true }; Key = '-u 10.0.0.51:5060'
            Text = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -u 10.0.0.51:5060 -s rr -p 300 --pe sip -o" on target "UDP  10.0.0.51:5060 (netns {0})"' }
        @{ Command = 'Set-LvsService'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80; Scheduler = 'rr' }; Key = '-t 10.0.0.1:80'
            Text = '"IPVS_CMD_SET_SERVICE: ipvsadm -E -t 10.0.0.1:80 -s rr -p 600 -M 255.255.255.0" on target "TCP  10.0.0.1:80 (netns {0})"' }
        @{ Command = 'Set-LvsService'; Params = @{ VirtualAddress = '10.0.0.2'; Protocol = 'Udp'; Port = 53; OnePacket = $false }; Key = '-u 10.0.0.2:53'
            Text = '"IPVS_CMD_SET_SERVICE: ipvsadm -E -u 10.0.0.2:53 -s lc" on target "UDP  10.0.0.2:53 (netns {0})"' }
        @{ Command = 'Remove-LvsService'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80 }; Key = '-t 10.0.0.1:80'
            Text = '"IPVS_CMD_DEL_SERVICE: ipvsadm -D -t 10.0.0.1:80" on target "TCP  10.0.0.1:80 (netns {0})"' }
        @{ Command = 'Remove-LvsService'; Params = @{ FirewallMark = 3; AddressFamily = 'IPv6' }; Key = '-f 3 -6'
            Text = '"IPVS_CMD_DEL_SERVICE: ipvsadm -D -f 3 -6" on target "FWM  3 IPv6 (netns {0})"' }
        @{ Command = 'Clear-LvsService'; Params = @{}; Key = $null
            Text = '"IPVS_CMD_FLUSH: ipvsadm -C" on target "IPVS table (netns {0})"' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # `ipvsadm -S -n` of a namespace: its lines.
    function Get-IpvsadmSave([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -S -n) }

    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Split-IpvsadmSave, Assert-Block, Get-CmdletError, Assert-LvsError, Get-HostText
}

Describe 'New-LvsService: what ipvsadm -S -n reads back' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $newCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $results = @{}
        foreach ($c in $Cases) {
            $err = $null
            $p = $c.Params
            $out = New-LvsService -NetNamespace $ns @p -ErrorVariable err -ErrorAction SilentlyContinue
            $results[$c.Case] = @{ Output = @($out); Errors = @($err) }
        }
        # A pipeline of three, the second a duplicate: the good ones are created, the bad one reported.
        $pipeErr = $null
        $pipeOut = @(
            [pscustomobject]@{ VirtualAddress = '10.0.9.1'; NetNamespace = $ns }
            [pscustomobject]@{ VirtualAddress = '10.0.9.1'; NetNamespace = $ns }
            [pscustomobject]@{ VirtualAddress = '10.0.9.2'; NetNamespace = $ns }
        ) | New-LvsService -Port 80 -Scheduler rr -ErrorVariable pipeErr -ErrorAction SilentlyContinue
        $blocks = Split-IpvsadmSave (Get-IpvsadmSave $ns)
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'creates <Case>' -ForEach $Cases {
        $r = $results[$Case]
        $r.Errors | Should -BeNullOrEmpty
        Assert-Block $blocks $Expected
        $r.Output | Should -HaveCount 1
        $r.Output[0] | Should -BeOfType ([LvsTools.LvsService])
        $r.Output[0].NetNamespace | Should -Be $ns
        $r.Output[0].ToString() | Should -BeLike ([WildcardPattern]::Escape("$($r.Output[0].Key) $($r.Output[0].Scheduler)") + '*')
    }

    It 'creates the good items of a pipeline and reports the duplicate' {
        @($pipeOut | ForEach-Object { $_.Address.ToString() }) | Should -Be @('10.0.9.1', '10.0.9.2')
        Assert-LvsError $pipeErr 'LvsServiceExists,LvsTools.Commands.NewLvsServiceCommand' 'ResourceExists' 'TCP  10.0.9.1:80'
        Assert-Block $blocks @{ '-t 10.0.9.1:80' = '-A -t 10.0.9.1:80 -s rr'; '-t 10.0.9.2:80' = '-A -t 10.0.9.2:80 -s rr' }
    }

    It 'creates nothing else' {
        $keys = @($Cases | ForEach-Object { $_.Expected.Keys }) + '-t 10.0.9.1:80', '-t 10.0.9.2:80'
        @($blocks.Keys | Where-Object { $_ -notin $keys }) | Should -BeNullOrEmpty
    }

    It 'returns the service as the kernel has it' {
        $svc = $results['the sip persistence engine on UDP 5060'].Output[0]
        $svc.Protocol | Should -Be 'Udp'
        $svc.Address | Should -Be ([ipaddress]'10.0.0.14')
        $svc.Port | Should -Be 5060
        $svc.Scheduler | Should -Be 'rr'
        $svc.Persistent | Should -BeTrue
        $svc.PersistenceTimeout | Should -Be ([timespan]::FromSeconds(120))
        $svc.PersistenceMask | Should -Be ([ipaddress]'255.255.255.0')
        $svc.PersistenceEngine | Should -Be 'sip'
        $svc.Flags | Should -Be ([LvsTools.ServiceFlags]'Persistent, Hashed')
        $svc.ToString() | Should -Be 'UDP  10.0.0.14:5060 rr persistent 120 mask 255.255.255.0 pe sip'
    }

    It 'Get-LvsService reads back every scheduler' {
        $mine = Get-LvsService -NetNamespace $ns -VirtualAddress (1..13 | ForEach-Object { "10.0.1.$_" })
        @($mine | Sort-Object { $_.Address.GetAddressBytes()[3] } | ForEach-Object Scheduler) |
            Should -Be @('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh')
    }
}

Describe 'Set-LvsService, Remove-LvsService, Clear-LvsService: what ipvsadm -S -n reads back' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $setCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        # Services with real servers, made by ipvsadm (one ipvsadm -R).
        @(
            '-A -t 10.0.3.1:80 -s wlc -p 600'
            '-a -t 10.0.3.1:80 -r 10.0.1.11:8080 -m -w 3'
            '-A -t 10.0.4.2:80 -s rr'
            '-a -t 10.0.4.2:80 -r 10.0.1.11:80 -g -w 1'
        ) | ip netns exec $ns ipvsadm -R
        $results = @{}
        foreach ($c in $Cases) {
            $p = $c.Base
            New-LvsService -NetNamespace $ns @p | Out-Null
            if ($c.Base.ContainsKey('FirewallMark')) { New-LvsService -NetNamespace $ns -FirewallMark $c.Base.FirewallMark -Scheduler rr | Out-Null }
            $err = $null
            $p = $c.Set
            $out = Set-LvsService -NetNamespace $ns @p -ErrorVariable err -ErrorAction SilentlyContinue
            $results[$c.Case] = @{ Output = @($out); Errors = @($err) }
        }
        # Set through the pipeline, with -PassThru, on a service with a real server.
        $passThru = @(Get-LvsService -NetNamespace $ns -VirtualAddress 10.0.3.1 | Set-LvsService -Scheduler wrr -PassThru)
        # Remove by address: only TCP 10.0.4.1:80 goes.
        New-LvsService -NetNamespace $ns 10.0.4.1 80 -Scheduler rr | Out-Null
        New-LvsService -NetNamespace $ns 10.0.4.1 443 -Scheduler rr | Out-Null
        New-LvsService -NetNamespace $ns 10.0.4.1 80 -Protocol Udp -Scheduler rr | Out-Null
        $removeByAddress = @(Remove-LvsService -NetNamespace $ns -VirtualAddress 10.0.4.1 -Port 80)
        # Remove piped services (one with a real server) with -PassThru; the UDP service on the same address stays.
        New-LvsService -NetNamespace $ns 10.0.4.3 80 -Scheduler rr | Out-Null
        New-LvsService -NetNamespace $ns 10.0.4.2 53 -Protocol Udp -Scheduler rr | Out-Null
        $gone = @(Get-LvsService -NetNamespace $ns -VirtualAddress 10.0.4.2, 10.0.4.3 -Protocol Tcp | Remove-LvsService -PassThru)
        # Remove the IPv6 fwmark service 5, not the IPv4 one.
        New-LvsService -NetNamespace $ns -FirewallMark 5 -Scheduler rr | Out-Null
        New-LvsService -NetNamespace $ns -FirewallMark 5 -AddressFamily IPv6 -Scheduler rr | Out-Null
        Remove-LvsService -NetNamespace $ns -FirewallMark 5 -AddressFamily IPv6
        $blocks = Split-IpvsadmSave (Get-IpvsadmSave $ns)
        $countBeforeClear = @(Get-LvsService -NetNamespace $ns).Count
        $clearOut = @(Clear-LvsService -NetNamespace $ns -Confirm:$false)
        $afterClear = Get-IpvsadmSave $ns
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'Set-LvsService <Case>' -ForEach $Cases {
        $results[$Case].Errors | Should -BeNullOrEmpty
        $results[$Case].Output | Should -BeNullOrEmpty
        Assert-Block $blocks $Expected
    }

    It 'Set-LvsService keeps the real servers, and -PassThru returns the service read back' {
        $passThru | Should -HaveCount 1
        $passThru[0].Scheduler | Should -Be 'wrr'
        $passThru[0].PersistenceTimeout | Should -Be ([timespan]::FromSeconds(600))
        Assert-Block $blocks @{ '-t 10.0.3.1:80' = '-A -t 10.0.3.1:80 -s wrr -p 600', '-a -t 10.0.3.1:80 -r 10.0.1.11:8080 -m -w 3' }
    }

    It 'Remove-LvsService deletes the service named by address, and only that one' {
        $removeByAddress | Should -BeNullOrEmpty
        Assert-Block $blocks @{ '-t 10.0.4.1:80' = $null; '-t 10.0.4.1:443' = '-A -t 10.0.4.1:443 -s rr'; '-u 10.0.4.1:80' = '-A -u 10.0.4.1:80 -s rr' }
    }

    It 'Remove-LvsService deletes piped services with their real servers, -PassThru returns them' {
        @($gone | ForEach-Object { $_.Address.ToString() }) | Sort-Object | Should -Be @('10.0.4.2', '10.0.4.3')
        Assert-Block $blocks @{ '-t 10.0.4.2:80' = $null; '-t 10.0.4.3:80' = $null; '-u 10.0.4.2:53' = '-A -u 10.0.4.2:53 -s rr' }
    }

    It 'Remove-LvsService deletes an IPv6 fwmark service and leaves the IPv4 one with the same mark' {
        Assert-Block $blocks @{ '-f 5 -6' = $null; '-f 5' = '-A -f 5 -s rr' }
    }

    It 'leaves nothing else in the table' {
        $keys = @($Cases | ForEach-Object { $_.Expected.Keys }) + '-t 10.0.3.1:80', '-t 10.0.4.1:443', '-u 10.0.4.1:80', '-u 10.0.4.2:53', '-f 5'
        @($blocks.Keys | Where-Object { $_ -notin $keys }) | Should -BeNullOrEmpty
    }

    It 'Clear-LvsService empties the table, real servers included' {
        $countBeforeClear | Should -BeGreaterThan 10
        $clearOut | Should -BeNullOrEmpty
        $afterClear | Should -BeNullOrEmpty
        Get-LvsService -NetNamespace $ns | Should -BeNullOrEmpty
    }
}

Describe 'Get-LvsService: what ipvsadm creates, property by property' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        # One ipvsadm -R for the whole table (one external command instead of ten).
        @(
            '-A -t 10.0.0.1:80 -s wrr'
            '-A -u 10.0.0.2:5060 -s rr -p 120 -M 255.255.255.0 --pe sip'
            '-A -u 10.0.0.3:53 -s lc -o'
            '-A --sctp-service 10.0.0.4:3868 -s sh -b sh-fallback,sh-port'
            '-A -t [2001:db8::1]:443 -s mh -b mh-port -p 300 -M 64'
            '-A -f 7 -s lblcr'
            '-A -f 8 -6 -s nq -p'
            '-A -t 10.0.0.5:0 -s dh -p 600 -M 255.255.0.0'
            '-A -t 10.0.0.6:80 -s mh -b mh-fallback'
            '-A -u 10.0.0.7:4000 -s ovf -b flag-3'
        ) | ip netns exec $ns ipvsadm -R
        $all = Get-LvsService -NetNamespace $ns
        $ipvsadmLn = @(ip netns exec $ns sh -c 'ipvsadm -Ln --stats --exact; echo =====; ipvsadm -Ln')
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'lists every service ipvsadm -Ln lists, in its words' {
        $all | Should -HaveCount 10
        $ln = $ipvsadmLn[([array]::IndexOf($ipvsadmLn, '=====') + 1)..($ipvsadmLn.Count - 1)]
        $theirs = @($ln | Where-Object { $_ -match '^(TCP|UDP|SCTP|FWM) ' } | ForEach-Object TrimEnd) | Sort-Object
        @($all | ForEach-Object { $_.ToString().TrimEnd() }) | Sort-Object | Should -Be $theirs
    }

    It 'reports <Case>' -ForEach @(
        @{ Case = 'a TCP wrr service'; Key = 'TCP  10.0.0.1:80'
            Expect = @{ AddressFamily = 'IPv4'; Protocol = 'Tcp'; Address = '10.0.0.1'; Port = 80; FirewallMark = $null; Scheduler = 'wrr'; Flags = 'Hashed'
                Persistent = $false; PersistenceTimeout = 0; PersistenceMask = '255.255.255.255'; PersistencePrefixLength = 32; PersistenceEngine = $null; OnePacket = $false; SchedulerFlagNames = @() } }
        @{ Case = 'a persistent UDP service with a mask and the sip engine'; Key = 'UDP  10.0.0.2:5060'
            Expect = @{ AddressFamily = 'IPv4'; Protocol = 'Udp'; Address = '10.0.0.2'; Port = 5060; Scheduler = 'rr'; Flags = 'Persistent, Hashed'
                Persistent = $true; PersistenceTimeout = 120; PersistenceMask = '255.255.255.0'; PersistencePrefixLength = 24; PersistenceEngine = 'sip'; OnePacket = $false; SchedulerFlagNames = @() } }
        @{ Case = 'one-packet scheduling'; Key = 'UDP  10.0.0.3:53'
            Expect = @{ Protocol = 'Udp'; Port = 53; Scheduler = 'lc'; Flags = 'Hashed, OnePacket'; Persistent = $false; PersistenceTimeout = 0; OnePacket = $true; SchedulerFlagNames = @() } }
        @{ Case = 'SCTP with sh-fallback and sh-port'; Key = 'SCTP 10.0.0.4:3868'
            Expect = @{ Protocol = 'Sctp'; Port = 3868; Scheduler = 'sh'; Flags = 'Hashed, Sched1, Sched2'; SchedulerFallback = $true; SchedulerPort = $true
                SchedulerFlagNames = @('sh-fallback', 'sh-port'); Persistent = $false } }
        @{ Case = 'IPv6 mh with mh-port, persistence and a prefix'; Key = 'TCP  [2001:db8::1]:443'
            Expect = @{ AddressFamily = 'IPv6'; Protocol = 'Tcp'; Address = '2001:db8::1'; Port = 443; Scheduler = 'mh'; Flags = 'Persistent, Hashed, Sched2'
                SchedulerFallback = $false; SchedulerPort = $true; SchedulerFlagNames = @('mh-port'); Persistent = $true; PersistenceTimeout = 300
                PersistenceNetmask = 64; PersistencePrefixLength = 64; PersistenceMask = $null } }
        @{ Case = 'an IPv4 fwmark service'; Key = 'FWM  7'
            Expect = @{ AddressFamily = 'IPv4'; Protocol = $null; Address = $null; Port = 0; FirewallMark = 7; Scheduler = 'lblcr'; Flags = 'Hashed'; Persistent = $false
                PersistenceMask = '255.255.255.255' } }
        @{ Case = 'an IPv6 fwmark service made persistent with ipvsadm''s own default timeout (360 s)'; Key = 'FWM  8 IPv6'
            Expect = @{ AddressFamily = 'IPv6'; Protocol = $null; Address = $null; Port = 0; FirewallMark = 8; Scheduler = 'nq'; Flags = 'Persistent, Hashed'; Persistent = $true
                PersistenceTimeout = 360; PersistenceNetmask = 128; PersistenceMask = $null } }
        @{ Case = 'a persistent any-port service'; Key = 'TCP  10.0.0.5:0'
            Expect = @{ Port = 0; Scheduler = 'dh'; Persistent = $true; PersistenceTimeout = 600; PersistenceMask = '255.255.0.0'; PersistencePrefixLength = 16 } }
        @{ Case = 'mh with mh-fallback'; Key = 'TCP  10.0.0.6:80'
            Expect = @{ Scheduler = 'mh'; Flags = 'Hashed, Sched1'; SchedulerFallback = $true; SchedulerPort = $false; SchedulerFlagNames = @('mh-fallback') } }
        @{ Case = 'a generic scheduler flag'; Key = 'UDP  10.0.0.7:4000'
            Expect = @{ Scheduler = 'ovf'; Flags = 'Hashed, Sched3'; SchedulerFlagNames = @('flag-3') } }
    ) {
        $s = @($all | Where-Object { $_.Key.ToString() -eq $Key })
        $s | Should -HaveCount 1
        $s = $s[0]
        $s.NetNamespace | Should -Be $ns
        foreach ($name in $Expect.Keys) {
            $want = $Expect[$name]
            $have = $s.$name
            switch ($name) {
                'Flags' { $have | Should -Be ([LvsTools.ServiceFlags]$want) -Because $name }
                'PersistenceTimeout' { $have | Should -Be ([timespan]::FromSeconds($want)) -Because $name }
                { $_ -in 'Address', 'PersistenceMask' } {
                    if ($null -eq $want) { $have | Should -BeNullOrEmpty -Because $name } else { $have | Should -Be ([ipaddress]$want) -Because $name }
                }
                'SchedulerFlagNames' { @($have) | Should -Be @($want) -Because $name }
                default { if ($null -eq $want) { $have | Should -BeNullOrEmpty -Because $name } else { "$have" | Should -Be "$want" -Because $name } }
            }
        }
    }

    It 'filters by <Case>' -ForEach @(
        @{ Case = 'protocol'; Params = @{ Protocol = 'Udp' }; Keys = @('UDP  10.0.0.2:5060', 'UDP  10.0.0.3:53', 'UDP  10.0.0.7:4000') }
        @{ Case = 'address'; Params = @{ VirtualAddress = '10.0.0.1', '2001:db8::1' }; Keys = @('TCP  10.0.0.1:80', 'TCP  [2001:db8::1]:443') }
        @{ Case = 'port'; Params = @{ Port = 80 }; Keys = @('TCP  10.0.0.1:80', 'TCP  10.0.0.6:80') }
        @{ Case = 'firewall mark'; Params = @{ FirewallMark = 7, 8 }; Keys = @('FWM  7', 'FWM  8 IPv6') }
    ) {
        @(Get-LvsService -NetNamespace $ns @Params | ForEach-Object { $_.Key.ToString() }) | Sort-Object | Should -Be ($Keys | Sort-Object)
    }

    It 'reports the statistics ipvsadm -Ln --stats --exact shows' {
        $theirs = @{}
        foreach ($line in $ipvsadmLn) {
            if ($line -eq '=====') { break }
            if ($line -match '^(TCP|UDP|SCTP|FWM)\s+(\S+(?: IPv6)?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$') {
                $theirs["$($Matches[1]) $($Matches[2])"] = "$($Matches[3]) $($Matches[4]) $($Matches[5]) $($Matches[6]) $($Matches[7])"
            }
        }
        $theirs.Count | Should -Be 10
        foreach ($s in $all) {
            $k = $s.Key.ToString() -replace '\s+', ' '
            $st = $s.Statistics
            "$($st.Connections) $($st.InPackets) $($st.OutPackets) $($st.InBytes) $($st.OutBytes)" | Should -Be $theirs[$k] -Because $k
        }
    }
}

Describe 'Network namespaces keep their own tables' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $nsA = New-TestNamespace -NoVeth
        $nsB = New-TestNamespace -NoVeth
        $tableA = "-A -t 10.0.0.1:80 -s rr`n-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 1`n-A -f 3 -s wlc"
    }
    AfterAll { Remove-TestNamespace $nsA; Remove-TestNamespace $nsB }

    It 'creates in namespace A only: ipvsadm -Ln and Get-LvsService in B show nothing' {
        New-LvsService -NetNamespace $nsA 10.0.0.1 80 -Scheduler rr | Add-LvsRealServer -Address 10.0.1.11 | Out-Null
        New-LvsService -NetNamespace $nsA -FirewallMark 3 | Out-Null
        $lnB = @(ip netns exec $nsB ipvsadm -Ln)
        $lnB | Should -HaveCount 3   # the three header lines only
        $lnB[0] | Should -Match '^IP Virtual Server version'
        Get-LvsService -NetNamespace $nsB | Should -BeNullOrEmpty
        Get-LvsRealServer -NetNamespace $nsB | Should -BeNullOrEmpty
        $a = Get-LvsService -NetNamespace $nsA
        $a | Should -HaveCount 2
        $a.NetNamespace | Sort-Object -Unique | Should -Be $nsA
        (Get-IpvsadmSave $nsA) -join "`n" | Should -Be $tableA
    }

    It 'finds no service of A when asked in B' {
        $err = Get-CmdletError Get-LvsService @{ NetNamespace = $nsB; Port = 80 }
        Assert-LvsError $err 'LvsServiceNotFound,LvsTools.Commands.GetLvsServiceCommand' 'ObjectNotFound'
        $err = Get-CmdletError Remove-LvsService @{ NetNamespace = $nsB; VirtualAddress = '10.0.0.1'; Port = 80 }
        Assert-LvsError $err 'LvsServiceNotFound,LvsTools.Commands.RemoveLvsServiceCommand' 'ObjectNotFound' 'TCP  10.0.0.1:80'
        $err = Get-CmdletError Set-LvsService @{ NetNamespace = $nsB; FirewallMark = 3; Scheduler = 'rr' }
        Assert-LvsError $err 'LvsServiceNotFound,LvsTools.Commands.SetLvsServiceCommand' 'ObjectNotFound' 'FWM  3'
    }

    It 'creates the same service in B independently, and clears B without touching A' {
        New-LvsService -NetNamespace $nsB 10.0.0.1 80 -Scheduler wrr | Out-Null
        (Get-LvsService -NetNamespace $nsB).Scheduler | Should -Be 'wrr'
        (Get-LvsService -NetNamespace $nsA -Port 80).Scheduler | Should -Be 'rr'
        Clear-LvsService -NetNamespace $nsB -Confirm:$false
        Get-IpvsadmSave $nsB | Should -BeNullOrEmpty
        (Get-IpvsadmSave $nsA) -join "`n" | Should -Be $tableA
    }
}

Describe 'Service cmdlets with -WhatIf' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $whatIfCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        @(
            '-A -t 10.0.0.1:80 -s wlc -p 600 -M 255.255.255.0'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 2'
            '-A -u 10.0.0.2:53 -s lc -o'
            '-A -f 3 -6 -s rr'
        ) | ip netns exec $ns ipvsadm -R
        $beforeLines = Get-IpvsadmSave $ns
        $before = Split-IpvsadmSave $beforeLines
        $results = @{}
        foreach ($c in $Cases) {
            $p = $c.Params
            $results[$c.Text] = Get-HostText { & $c.Command -NetNamespace $ns @p -WhatIf }
        }
        $afterLines = Get-IpvsadmSave $ns
        $after = Split-IpvsadmSave $afterLines
    }
    AfterAll { Remove-TestNamespace $ns }

    It '<Command> -WhatIf shows the exact ipvsadm command line and sends nothing' -ForEach $Cases {
        $r = $results[$Text]
        $r.Text | Should -Match ('What if: Performing the operation ' + [regex]::Escape(($Text -f $ns)))
        $r.Output | Should -BeNullOrEmpty
        if ($Key) { $after[$Key] | Should -Be $before[$Key] }
        $afterLines -join "`n" | Should -Be ($beforeLines -join "`n")
    }
}

Describe 'Service cmdlets: bad input and kernel refusals' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $errorCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        @(
            '-A -t 10.0.0.1:80 -s wrr -p 600'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3'
            '-A -t 10.0.0.2:80 -s wlc'
            '-A -t 10.0.0.3:80 -s rr'
            '-A -t 10.0.0.5:0 -s rr -p 60'
            '-A -f 7 -s rr'
        ) | ip netns exec $ns ipvsadm -R
        $beforeLines = Get-IpvsadmSave $ns
        $before = Split-IpvsadmSave $beforeLines
        $results = @{}
        foreach ($c in $Cases) { $results["$($c.Command) $($c.Case)"] = Get-CmdletError $c.Command (@{ NetNamespace = $ns } + $c.Params) }
        $afterLines = Get-IpvsadmSave $ns
        $after = Split-IpvsadmSave $afterLines
    }
    AfterAll { Remove-TestNamespace $ns }

    It '<Command> rejects <Case> with <Id> and leaves the service as it was' -ForEach $Cases {
        $class = ($Command -replace '-', '') + 'Command'
        Assert-LvsError $results["$Command $Case"] "$Id,LvsTools.Commands.$class" $Category $Target
        if ($Key) { $after[$Key] | Should -Be $before[$Key] -Because "ipvsadm -S -n of $Key must not change" }
    }

    It 'changes nothing else: ipvsadm -S -n is the same before and after the refusals' {
        # Services a refusal concerns are checked by that refusal's test; every other block must be as it was.
        $caseKeys = @($Cases | ForEach-Object { $_.Key } | Where-Object { $_ })
        @($before.Keys) | Should -HaveCount 5
        foreach ($k in @($before.Keys) + @($after.Keys) | Sort-Object -Unique) {
            if ($k -notin $caseKeys) { $after[$k] | Should -Be $before[$k] -Because "ipvsadm -S -n of $k" }
        }
    }

    It 'throws with -ErrorAction Stop' {
        { New-LvsService -NetNamespace $ns 10.0.0.1 80 -ErrorAction Stop } | Should -Throw -ErrorId 'LvsServiceExists,LvsTools.Commands.NewLvsServiceCommand'
        { Set-LvsService -NetNamespace $ns 10.0.0.9 80 -Scheduler rr -ErrorAction Stop } | Should -Throw -ErrorId 'LvsServiceNotFound,LvsTools.Commands.SetLvsServiceCommand'
        { Get-LvsService -NetNamespace $ns -VirtualAddress 999.1.1.1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidIPAddress,LvsTools.Commands.GetLvsServiceCommand'
    }
}

Describe 'Service cmdlets on a kernel without IPVS' -Skip:$ipvsAvailable {
    # The current namespace: where IPVS is missing it is missing in every namespace, and nothing can change.
    It '<Command> fails with IPVSNotInstalled (<Case>)' -ForEach @(
        @{ Command = 'New-LvsService'; Case = 'address'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80 } }
        @{ Command = 'New-LvsService'; Case = 'fwmark'; Params = @{ FirewallMark = 7; AddressFamily = 'IPv6' } }
        @{ Command = 'Get-LvsService'; Case = 'all'; Params = @{} }
        @{ Command = 'Get-LvsService'; Case = 'filtered'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80 } }
        @{ Command = 'Set-LvsService'; Case = 'address'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80; Scheduler = 'rr' } }
        @{ Command = 'Set-LvsService'; Case = 'fwmark'; Params = @{ FirewallMark = 7; Persistent = $true } }
        @{ Command = 'Remove-LvsService'; Case = 'address'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80 } }
        @{ Command = 'Remove-LvsService'; Case = 'fwmark'; Params = @{ FirewallMark = 7 } }
        @{ Command = 'Clear-LvsService'; Case = 'all'; Params = @{ Confirm = $false } }
    ) {
        $err = $null
        $out = $null
        try { $out = & $Command @Params -ErrorVariable err -ErrorAction SilentlyContinue }
        catch { $err = @($_) }
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $class = ($Command -replace '-', '') + 'Command'
        Assert-LvsError $err "IPVSNotInstalled,LvsTools.Commands.$class" 'NotInstalled'
        $err[0].Exception.Message | Should -Match 'ip_vs'
    }
}
