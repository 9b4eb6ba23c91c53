# Real servers as users script them, in namespaces of the tests' own, cross-checked with ipvsadm: what the cmdlets
# create, `ipvsadm -S -n` (and `-Ln --thresholds`, `-Ln --stats --exact`) must read back exactly; what ipvsadm creates,
# Get-LvsRealServer must report property by property. Kernel tests need IPVS (the UML guest, tests/Uml); the host
# kernel has none, and there the NotInstalled tests run instead.
#
# UML runs every external command slowly (0.5-1 s from pwsh), so a Describe makes one namespace, gives every scenario
# a service of its own, runs all scenarios in BeforeAll and reads the table with ONE ipvsadm call. The `ipvsadm -S -n`
# dump is cut into per-service blocks (the -A line and its -a lines); each scenario compares the full text of its
# block(s) with an expected literal, and one test checks that the table holds nothing else.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ipvsAvailable = [bool](Test-IpvsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and $ipvsAvailable -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))

    # Add-LvsRealServer scenarios. Service: New-LvsService's parameters; Params: Add-LvsRealServer's (the new service is
    # piped in unless Params names it); Expected: ipvsadm -S block per service key.
    $script:addCases = @(
        @{ Case = 'a masqueraded server with port and weight'; Service = @{ VirtualAddress = '10.0.0.1'; Port = 80; Scheduler = 'wrr' }
            Params = @{ Address = '10.0.1.11'; Port = 8080; ForwardingMethod = 'Masquerade'; Weight = 3 }
            Expected = @{ '-t 10.0.0.1:80' = '-A -t 10.0.0.1:80 -s wrr', '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3' } }
        @{ Case = 'a direct-routing server by default, on the service''s port'; Service = @{ VirtualAddress = '10.0.0.2'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.1.11' }
            Expected = @{ '-t 10.0.0.2:80' = '-A -t 10.0.0.2:80 -s rr', '-a -t 10.0.0.2:80 -r 10.0.1.11:80 -g -w 1' } }
        @{ Case = 'a server given as address:port'; Service = @{ VirtualAddress = '10.0.0.3'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.1.11:8080'; ForwardingMethod = 'Masquerade' }
            Expected = @{ '-t 10.0.0.3:80' = '-A -t 10.0.0.3:80 -s rr', '-a -t 10.0.0.3:80 -r 10.0.1.11:8080 -m -w 1' } }
        @{ Case = 'several servers in one call'; Service = @{ VirtualAddress = '10.0.0.4'; Port = 80; Scheduler = 'wlc' }
            Params = @{ Address = '10.0.1.12', '10.0.1.11'; Port = 8080; ForwardingMethod = 'Masquerade'; Weight = 2 }
            Expected = @{ '-t 10.0.0.4:80' = '-A -t 10.0.0.4:80 -s wlc', '-a -t 10.0.0.4:80 -r 10.0.1.11:8080 -m -w 2', '-a -t 10.0.0.4:80 -r 10.0.1.12:8080 -m -w 2' } }
        @{ Case = 'an IPv6 server given as [address]:port'; Service = @{ VirtualAddress = '2001:db8::1'; Port = 443; Scheduler = 'rr' }
            Params = @{ Address = '[2001:db8::11]:8443'; ForwardingMethod = 'Masquerade' }
            Expected = @{ '-t [2001:db8::1]:443' = '-A -t [2001:db8::1]:443 -s rr', '-a -t [2001:db8::1]:443 -r [2001:db8::11]:8443 -m -w 1' } }
        @{ Case = 'an IPv6 server without a port'; Service = @{ VirtualAddress = '2001:db8::2'; Port = 443; Scheduler = 'rr' }
            Params = @{ Address = '2001:db8::11'; Weight = 4 }
            Expected = @{ '-t [2001:db8::2]:443' = '-A -t [2001:db8::2]:443 -s rr', '-a -t [2001:db8::2]:443 -r [2001:db8::11]:443 -g -w 4' } }
        @{ Case = 'a tunnel server (ipip by default)'; Service = @{ VirtualAddress = '10.0.0.5'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.2.1'; ForwardingMethod = 'Tunnel' }
            Expected = @{ '-t 10.0.0.5:80' = '-A -t 10.0.0.5:80 -s rr', '-a -t 10.0.0.5:80 -r 10.0.2.1:80 -i -w 1 --tun-type ipip' } }
        @{ Case = 'an explicit ipip tunnel'; Service = @{ VirtualAddress = '10.0.0.6'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.2.1'; ForwardingMethod = 'Tunnel'; TunnelType = 'IpIp'; Weight = 5 }
            Expected = @{ '-t 10.0.0.6:80' = '-A -t 10.0.0.6:80 -s rr', '-a -t 10.0.0.6:80 -r 10.0.2.1:80 -i -w 5 --tun-type ipip' } }
        @{ Case = 'a GUE tunnel with -TunnelPort'; Service = @{ VirtualAddress = '10.0.0.7'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.2.2'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gue'; TunnelPort = 6080 }
            Expected = @{ '-t 10.0.0.7:80' = '-A -t 10.0.0.7:80 -s rr', '-a -t 10.0.0.7:80 -r 10.0.2.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum' } }
        @{ Case = 'a GUE tunnel with checksums'; Service = @{ VirtualAddress = '10.0.0.8'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.2.3'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gue'; TunnelPort = 6080; TunnelChecksum = 'Checksum' }
            Expected = @{ '-t 10.0.0.8:80' = '-A -t 10.0.0.8:80 -s rr', '-a -t 10.0.0.8:80 -r 10.0.2.3:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum' } }
        @{ Case = 'a GUE tunnel with remote checksum offload'; Service = @{ VirtualAddress = '10.0.0.9'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.2.4'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gue'; TunnelPort = 6081; TunnelChecksum = 'RemoteChecksum' }
            Expected = @{ '-t 10.0.0.9:80' = '-A -t 10.0.0.9:80 -s rr', '-a -t 10.0.0.9:80 -r 10.0.2.4:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-remcsum' } }
        @{ Case = 'a GRE tunnel'; Service = @{ VirtualAddress = '10.0.0.10'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.2.5'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gre' }
            Expected = @{ '-t 10.0.0.10:80' = '-A -t 10.0.0.10:80 -s rr', '-a -t 10.0.0.10:80 -r 10.0.2.5:80 -i -w 1 --tun-type gre --tun-nocsum' } }
        @{ Case = 'a GRE tunnel with checksums'; Service = @{ VirtualAddress = '10.0.0.11'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '10.0.2.6'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gre'; TunnelChecksum = 'Checksum' }
            Expected = @{ '-t 10.0.0.11:80' = '-A -t 10.0.0.11:80 -s rr', '-a -t 10.0.0.11:80 -r 10.0.2.6:80 -i -w 1 --tun-type gre --tun-csum' } }
        @{ Case = 'an IPv6 tunnel server on an IPv4 service'; Service = @{ VirtualAddress = '10.0.0.12'; Port = 80; Scheduler = 'rr' }
            Params = @{ Address = '2001:db8::7'; ForwardingMethod = 'Tunnel' }
            Expected = @{ '-t 10.0.0.12:80' = '-A -t 10.0.0.12:80 -s rr', '-a -t 10.0.0.12:80 -r [2001:db8::7]:80 -i -w 1 --tun-type ipip' } }
        @{ Case = 'weight 0 (quiesced)'; Service = @{ VirtualAddress = '10.0.0.13'; Port = 80; Scheduler = 'wlc' }
            Params = @{ Address = '10.0.1.11'; Weight = 0 }
            Expected = @{ '-t 10.0.0.13:80' = '-A -t 10.0.0.13:80 -s wlc', '-a -t 10.0.0.13:80 -r 10.0.1.11:80 -g -w 0' } }
        @{ Case = 'weight 65535'; Service = @{ VirtualAddress = '10.0.0.14'; Port = 80; Scheduler = 'wlc' }
            Params = @{ Address = '10.0.1.11'; Weight = 65535 }
            Expected = @{ '-t 10.0.0.14:80' = '-A -t 10.0.0.14:80 -s wlc', '-a -t 10.0.0.14:80 -r 10.0.1.11:80 -g -w 65535' } }
        @{ Case = 'a server of an fwmark service named by -FirewallMark (port 0)'; Service = @{ FirewallMark = 7; Scheduler = 'rr' }
            Params = @{ FirewallMark = 7; Address = '10.0.3.1'; ForwardingMethod = 'Masquerade' }
            Expected = @{ '-f 7' = '-A -f 7 -s rr', '-a -f 7 -r 10.0.3.1:0 -m -w 1' } }
        @{ Case = 'a server of an IPv6 fwmark service'; Service = @{ FirewallMark = 8; AddressFamily = 'IPv6'; Scheduler = 'rr' }
            Params = @{ FirewallMark = 8; AddressFamily = 'IPv6'; Address = '2001:db8::5'; Weight = 2 }
            Expected = @{ '-f 8 -6' = '-A -f 8 -6 -s rr', '-a -f 8 -6 -r [2001:db8::5]:0 -g -w 2' } }
        @{ Case = 'a server of a UDP service named by -VirtualAddress -Protocol -VirtualPort'; Service = @{ VirtualAddress = '10.0.0.15'; Protocol = 'Udp'; Port = 53; Scheduler = 'rr' }
            Params = @{ VirtualAddress = '10.0.0.15'; Protocol = 'Udp'; VirtualPort = 53; Address = '10.0.1.11' }
            Expected = @{ '-u 10.0.0.15:53' = '-A -u 10.0.0.15:53 -s rr', '-a -u 10.0.0.15:53 -r 10.0.1.11:53 -g -w 1' } }
        @{ Case = 'a server of an SCTP service'; Service = @{ VirtualAddress = '10.0.0.16'; Protocol = 'Sctp'; Port = 3868; Scheduler = 'rr' }
            Params = @{ Address = '10.0.1.11'; Port = 13868; ForwardingMethod = 'Masquerade'; Weight = 2 }
            Expected = @{ '--sctp-service 10.0.0.16:3868' = '-A --sctp-service 10.0.0.16:3868 -s rr', '-a --sctp-service 10.0.0.16:3868 -r 10.0.1.11:13868 -m -w 2' } }
        @{ Case = 'a server of a persistent any-port service (port 0)'; Service = @{ VirtualAddress = '10.0.0.17'; Port = 0; Scheduler = 'rr'; PersistenceTimeout = [timespan]::FromSeconds(60) }
            Params = @{ Address = '10.0.1.11' }
            Expected = @{ '-t 10.0.0.17:0' = '-A -t 10.0.0.17:0 -s rr -p 60', '-a -t 10.0.0.17:0 -r 10.0.1.11:0 -g -w 1' } }
        @{ Case = 'thresholds (ipvsadm -x/-y, which ipvsadm -S leaves out)'; Service = @{ VirtualAddress = '10.0.0.18'; Port = 80; Scheduler = 'wlc' }
            Params = @{ Address = '10.0.1.11'; ForwardingMethod = 'Masquerade'; UpperThreshold = 100; LowerThreshold = 50 }
            Expected = @{ '-t 10.0.0.18:80' = '-A -t 10.0.0.18:80 -s wlc', '-a -t 10.0.0.18:80 -r 10.0.1.11:80 -m -w 1' }
            Thresholds = @{ 'TCP 10.0.0.18:80 10.0.1.11:80' = '100 50' } }
        @{ Case = 'an upper threshold only'; Service = @{ VirtualAddress = '10.0.0.19'; Port = 80; Scheduler = 'wlc' }
            Params = @{ Address = '10.0.1.12'; UpperThreshold = 10 }
            Expected = @{ '-t 10.0.0.19:80' = '-A -t 10.0.0.19:80 -s wlc', '-a -t 10.0.0.19:80 -r 10.0.1.12:80 -g -w 1' }
            Thresholds = @{ 'TCP 10.0.0.19:80 10.0.1.12:80' = '10 0' } }
    )

    # Set- and Remove-LvsRealServer scenarios, each on a service of its own made by ipvsadm (Base, `ipvsadm -S` lines).
    # Pipe: Get-LvsRealServer's parameters when the servers are piped in; PassThru: the endpoints -PassThru returns.
    $script:changeCases = @(
        @{ Command = 'Set-LvsRealServer'; Case = 'changes the weight of a server named by service, address and port, keeping its thresholds'
            Base = '-A -t 10.0.1.1:80 -s wrr', '-a -t 10.0.1.1:80 -r 10.0.1.11:8080 -m -w 3 -x 100 -y 50', '-a -t 10.0.1.1:80 -r 10.0.1.12:8080 -m -w 3'
            Params = @{ VirtualAddress = '10.0.1.1'; VirtualPort = 80; Address = '10.0.1.11'; Port = 8080; Weight = 5 }
            Expected = @{ '-t 10.0.1.1:80' = '-A -t 10.0.1.1:80 -s wrr', '-a -t 10.0.1.1:80 -r 10.0.1.11:8080 -m -w 5', '-a -t 10.0.1.1:80 -r 10.0.1.12:8080 -m -w 3' }
            Thresholds = @{ 'TCP 10.0.1.1:80 10.0.1.11:8080' = '100 50' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'takes the server as address:port'
            Base = '-A -t 10.0.1.2:80 -s wrr', '-a -t 10.0.1.2:80 -r 10.0.1.12:8080 -m -w 3'
            Params = @{ VirtualAddress = '10.0.1.2'; VirtualPort = 80; Address = '10.0.1.12:8080'; Weight = 0 }
            Expected = @{ '-t 10.0.1.2:80' = '-A -t 10.0.1.2:80 -s wrr', '-a -t 10.0.1.2:80 -r 10.0.1.12:8080 -m -w 0' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'takes the service''s port when none is given'
            Base = '-A -t 10.0.1.3:80 -s wrr', '-a -t 10.0.1.3:80 -r 10.0.1.13:80 -g -w 1'
            Params = @{ VirtualAddress = '10.0.1.3'; VirtualPort = 80; Address = '10.0.1.13'; Weight = 9 }
            Expected = @{ '-t 10.0.1.3:80' = '-A -t 10.0.1.3:80 -s wrr', '-a -t 10.0.1.3:80 -r 10.0.1.13:80 -g -w 9' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes Route to Masquerade and keeps the weight'
            Base = '-A -t 10.0.1.4:80 -s wrr', '-a -t 10.0.1.4:80 -r 10.0.1.13:80 -g -w 4'
            Params = @{ VirtualAddress = '10.0.1.4'; VirtualPort = 80; Address = '10.0.1.13'; ForwardingMethod = 'Masquerade' }
            Expected = @{ '-t 10.0.1.4:80' = '-A -t 10.0.1.4:80 -s wrr', '-a -t 10.0.1.4:80 -r 10.0.1.13:80 -m -w 4' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes Route to a GUE tunnel'
            Base = '-A -t 10.0.1.5:80 -s wrr', '-a -t 10.0.1.5:80 -r 10.0.1.13:80 -g -w 1'
            Params = @{ VirtualAddress = '10.0.1.5'; VirtualPort = 80; Address = '10.0.1.13'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gue'; TunnelPort = 7000 }
            Expected = @{ '-t 10.0.1.5:80' = '-A -t 10.0.1.5:80 -s wrr', '-a -t 10.0.1.5:80 -r 10.0.1.13:80 -i -w 1 --tun-type gue --tun-port 7000 --tun-nocsum' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes only the tunnel checksum and keeps type and port'
            Base = '-A -t 10.0.1.6:80 -s wrr', '-a -t 10.0.1.6:80 -r 10.0.2.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum'
            Params = @{ VirtualAddress = '10.0.1.6'; VirtualPort = 80; Address = '10.0.2.2'; TunnelChecksum = 'RemoteChecksum' }
            Expected = @{ '-t 10.0.1.6:80' = '-A -t 10.0.1.6:80 -s wrr', '-a -t 10.0.1.6:80 -r 10.0.2.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes a tunnel to Route and drops the tunnel options'
            Base = '-A -t 10.0.1.7:80 -s wrr', '-a -t 10.0.1.7:80 -r 10.0.2.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum'
            Params = @{ VirtualAddress = '10.0.1.7'; VirtualPort = 80; Address = '10.0.2.2'; ForwardingMethod = 'Route'; Weight = 2 }
            Expected = @{ '-t 10.0.1.7:80' = '-A -t 10.0.1.7:80 -s wrr', '-a -t 10.0.1.7:80 -r 10.0.2.2:80 -g -w 2' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes a server of an fwmark service'
            Base = '-A -f 7 -s rr', '-a -f 7 -r 10.0.3.1:0 -m -w 1'
            Params = @{ FirewallMark = 7; Address = '10.0.3.1'; Weight = 4 }
            Expected = @{ '-f 7' = '-A -f 7 -s rr', '-a -f 7 -r 10.0.3.1:0 -m -w 4' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes the thresholds (ipvsadm -Ln --thresholds), nothing else'
            Base = '-A -t 10.0.1.9:80 -s wrr', '-a -t 10.0.1.9:80 -r 10.0.1.12:8080 -m -w 3'
            Params = @{ VirtualAddress = '10.0.1.9'; VirtualPort = 80; Address = '10.0.1.12:8080'; UpperThreshold = 20; LowerThreshold = 5 }
            Expected = @{ '-t 10.0.1.9:80' = '-A -t 10.0.1.9:80 -s wrr', '-a -t 10.0.1.9:80 -r 10.0.1.12:8080 -m -w 3' }
            Thresholds = @{ 'TCP 10.0.1.9:80 10.0.1.12:8080' = '20 5' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes piped servers and -PassThru returns them read back'
            Base = '-A -t 10.0.1.10:80 -s wrr', '-a -t 10.0.1.10:80 -r 10.0.1.11:8080 -m -w 3', '-a -t 10.0.1.10:80 -r 10.0.1.12:8080 -m -w 3', '-a -t 10.0.1.10:80 -r 10.0.1.13:80 -g -w 1'
            Pipe = @{ VirtualAddress = '10.0.1.10'; VirtualPort = 80; Port = 8080 }; Params = @{ Weight = 6; PassThru = $true }; PassThru = '10.0.1.11:8080', '10.0.1.12:8080'
            Expected = @{ '-t 10.0.1.10:80' = '-A -t 10.0.1.10:80 -s wrr', '-a -t 10.0.1.10:80 -r 10.0.1.11:8080 -m -w 6', '-a -t 10.0.1.10:80 -r 10.0.1.12:8080 -m -w 6', '-a -t 10.0.1.10:80 -r 10.0.1.13:80 -g -w 1' } }
        @{ Command = 'Set-LvsRealServer'; Case = 'changes a server of an IPv6 service'
            Base = '-A -t [2001:db8::1]:443 -s rr', '-a -t [2001:db8::1]:443 -r [2001:db8::11]:8443 -m -w 1'
            Params = @{ VirtualAddress = '2001:db8::1'; VirtualPort = 443; Address = '[2001:db8::11]:8443'; Weight = 2 }
            Expected = @{ '-t [2001:db8::1]:443' = '-A -t [2001:db8::1]:443 -s rr', '-a -t [2001:db8::1]:443 -r [2001:db8::11]:8443 -m -w 2' } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'removes a server named by service, address and port'
            Base = '-A -t 10.0.2.1:80 -s wrr', '-a -t 10.0.2.1:80 -r 10.0.1.11:8080 -m -w 3', '-a -t 10.0.2.1:80 -r 10.0.1.12:8080 -m -w 3'
            Params = @{ VirtualAddress = '10.0.2.1'; VirtualPort = 80; Address = '10.0.1.11'; Port = 8080 }
            Expected = @{ '-t 10.0.2.1:80' = '-A -t 10.0.2.1:80 -s wrr', '-a -t 10.0.2.1:80 -r 10.0.1.12:8080 -m -w 3' } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'takes address:port'
            Base = '-A -t 10.0.2.2:80 -s wrr', '-a -t 10.0.2.2:80 -r 10.0.1.12:8080 -m -w 3', '-a -t 10.0.2.2:80 -r 10.0.1.13:8080 -m -w 3'
            Params = @{ VirtualAddress = '10.0.2.2'; VirtualPort = 80; Address = '10.0.1.12:8080' }
            Expected = @{ '-t 10.0.2.2:80' = '-A -t 10.0.2.2:80 -s wrr', '-a -t 10.0.2.2:80 -r 10.0.1.13:8080 -m -w 3' } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'takes the service''s port when none is given'
            Base = '-A -t 10.0.2.3:80 -s wrr', '-a -t 10.0.2.3:80 -r 10.0.1.13:80 -g -w 1', '-a -t 10.0.2.3:80 -r 10.0.2.2:80 -i -w 1 --tun-type ipip'
            Params = @{ VirtualAddress = '10.0.2.3'; VirtualPort = 80; Address = '10.0.2.2' }
            Expected = @{ '-t 10.0.2.3:80' = '-A -t 10.0.2.3:80 -s wrr', '-a -t 10.0.2.3:80 -r 10.0.1.13:80 -g -w 1' } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'removes a server of an fwmark service'
            Base = '-A -f 8 -s rr', '-a -f 8 -r 10.0.3.1:0 -m -w 1', '-a -f 8 -r 10.0.3.2:0 -m -w 1'
            Params = @{ FirewallMark = 8; Address = '10.0.3.1' }
            Expected = @{ '-f 8' = '-A -f 8 -s rr', '-a -f 8 -r 10.0.3.2:0 -m -w 1' } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'removes a server of an IPv6 fwmark service'
            Base = '-A -f 9 -6 -s rr', '-a -f 9 -6 -r [2001:db8::5]:0 -g -w 1'
            Params = @{ FirewallMark = 9; AddressFamily = 'IPv6'; Address = '2001:db8::5' }
            Expected = @{ '-f 9 -6' = '-A -f 9 -6 -s rr' } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'removes piped servers, -PassThru returns them'
            Base = '-A -t 10.0.2.5:80 -s wrr', '-a -t 10.0.2.5:80 -r 10.0.1.13:80 -g -w 1', '-a -t 10.0.2.5:80 -r 10.0.1.14:80 -g -w 1'
            Pipe = @{ VirtualAddress = '10.0.2.5'; VirtualPort = 80; Address = '10.0.1.13' }; Params = @{ PassThru = $true }; PassThru = , '10.0.1.13:80'
            Expected = @{ '-t 10.0.2.5:80' = '-A -t 10.0.2.5:80 -s wrr', '-a -t 10.0.2.5:80 -r 10.0.1.14:80 -g -w 1' } }
    )

    # Refusals: each case gets a service of its own (Vip, with real server 10.0.1.11:80 -g) unless NoService or Missing
    # (the service 10.0.0.9:80, which does not exist).
    $script:errorCases = @(
        @{ Command = 'Add-LvsRealServer'; Case = 'weight 70000 (over 65535)'; Params = @{ Address = '10.0.1.12'; Weight = 70000 }; Id = 'InvalidWeight'; Category = 'InvalidArgument'; Target = 70000 }
        @{ Command = 'Add-LvsRealServer'; Case = 'a negative weight'; Params = @{ Address = '10.0.1.12'; Weight = -1 }; Id = 'InvalidWeight'; Category = 'InvalidArgument'; Target = -1 }
        @{ Command = 'Add-LvsRealServer'; Case = 'an IPv6 server on an IPv4 service with masquerading'; Params = @{ Address = '2001:db8::11'; ForwardingMethod = 'Masquerade' }; Id = 'InvalidRealServerFamily'; Category = 'InvalidArgument'; Target = '2001:db8::11' }
        @{ Command = 'Add-LvsRealServer'; Case = 'an IPv6 server on an IPv4 service with direct routing'; Params = @{ Address = '2001:db8::11' }; Id = 'InvalidRealServerFamily'; Category = 'InvalidArgument'; Target = '2001:db8::11' }
        @{ Command = 'Add-LvsRealServer'; Case = 'a missing service'; Missing = $true; Params = @{ Address = '10.0.1.12' }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'TCP  10.0.0.9:80' }
        @{ Command = 'Add-LvsRealServer'; Case = 'a missing fwmark service'; NoService = $true; Params = @{ FirewallMark = 99; Address = '10.0.1.12' }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'FWM  99'; Key = '-f 99' }
        @{ Command = 'Add-LvsRealServer'; Case = 'an existing server'; Params = @{ Address = '10.0.1.11' }; Id = 'LvsRealServerExists'; Category = 'ResourceExists'; Target = '10.0.1.11:80' }
        @{ Command = 'Add-LvsRealServer'; Case = 'an invalid address'; Params = @{ Address = '999.1.1.1' }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1' }
        @{ Command = 'Add-LvsRealServer'; Case = 'an invalid virtual address'; NoService = $true; Params = @{ VirtualAddress = '999.1.1.1'; VirtualPort = 80; Address = '10.0.1.12' }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1' }
        @{ Command = 'Add-LvsRealServer'; Case = 'an invalid port in address:port'; Params = @{ Address = '10.0.1.12:99999'; ForwardingMethod = 'Masquerade' }; Id = 'InvalidPort'; Category = 'InvalidArgument'; Target = '10.0.1.12:99999' }
        @{ Command = 'Add-LvsRealServer'; Case = 'another port with direct routing (ipvsadm forces the service''s)'; Params = @{ Address = '10.0.1.12'; Port = 8080 }; Id = 'InvalidPort'; Category = 'InvalidArgument'; Target = 8080 }
        @{ Command = 'Add-LvsRealServer'; Case = 'port 0 on a port-80 service'; Params = @{ Address = '10.0.1.12'; Port = 0; ForwardingMethod = 'Masquerade' }; Id = 'InvalidPort'; Category = 'InvalidArgument'; Target = 0 }
        @{ Command = 'Add-LvsRealServer'; Case = 'a GUE tunnel without a port'; Params = @{ Address = '10.0.2.2'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gue' }; Id = 'InvalidTunnelOption'; Category = 'InvalidArgument'; Target = '10.0.2.2:80' }
        @{ Command = 'Add-LvsRealServer'; Case = 'checksums on an ipip tunnel'; Params = @{ Address = '10.0.2.2'; ForwardingMethod = 'Tunnel'; TunnelChecksum = 'Checksum' }; Id = 'InvalidTunnelOption'; Category = 'InvalidArgument'; Target = 'Checksum' }
        @{ Command = 'Add-LvsRealServer'; Case = 'remote checksum offload on GRE'; Params = @{ Address = '10.0.2.2'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gre'; TunnelChecksum = 'RemoteChecksum' }; Id = 'InvalidTunnelOption'; Category = 'InvalidArgument'; Target = 'RemoteChecksum' }
        @{ Command = 'Add-LvsRealServer'; Case = 'a tunnel port on GRE'; Params = @{ Address = '10.0.2.2'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gre'; TunnelPort = 6080 }; Id = 'InvalidTunnelOption'; Category = 'InvalidArgument'; Target = 6080 }
        @{ Command = 'Add-LvsRealServer'; Case = 'tunnel options with masquerading'; Params = @{ Address = '10.0.1.12'; ForwardingMethod = 'Masquerade'; TunnelType = 'Gre' }; Id = 'InvalidTunnelOption'; Category = 'InvalidArgument'; Target = 'Masquerade' }
        @{ Command = 'Add-LvsRealServer'; Case = 'Local forwarding (ipvsadm cannot set it)'; Params = @{ Address = '10.0.1.12'; ForwardingMethod = 'Local' }; Id = 'InvalidForwardingMethod'; Category = 'InvalidArgument'; Target = 'Local' }
        @{ Command = 'Add-LvsRealServer'; Case = 'a lower threshold above the upper one'; Params = @{ Address = '10.0.1.12'; UpperThreshold = 10; LowerThreshold = 20 }; Id = 'InvalidThreshold'; Category = 'InvalidArgument'; Target = 20 }
        @{ Command = 'Add-LvsRealServer'; Case = 'a negative threshold'; Params = @{ Address = '10.0.1.12'; UpperThreshold = -1 }; Id = 'InvalidThreshold'; Category = 'InvalidArgument'; Target = -1 }
        @{ Command = 'Set-LvsRealServer'; Case = 'weight 70000 (over 65535)'; Params = @{ Address = '10.0.1.11'; Weight = 70000 }; Id = 'InvalidWeight'; Category = 'InvalidArgument'; Target = 70000 }
        @{ Command = 'Set-LvsRealServer'; Case = 'a missing service'; Missing = $true; Params = @{ Address = '10.0.1.11'; Weight = 2 }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'TCP  10.0.0.9:80' }
        @{ Command = 'Set-LvsRealServer'; Case = 'a missing server'; Params = @{ Address = '10.0.1.99'; Weight = 2 }; Id = 'LvsRealServerNotFound'; Category = 'ObjectNotFound'; Target = '10.0.1.99' }
        @{ Command = 'Set-LvsRealServer'; Case = 'a server on another port'; Params = @{ Address = '10.0.1.11:8080'; Weight = 2 }; Id = 'LvsRealServerNotFound'; Category = 'ObjectNotFound'; Target = '10.0.1.11:8080' }
        @{ Command = 'Set-LvsRealServer'; Case = 'an invalid address'; Params = @{ Address = '999.1.1.1'; Weight = 2 }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1' }
        @{ Command = 'Set-LvsRealServer'; Case = 'a GUE tunnel without a port'; Params = @{ Address = '10.0.1.11'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gue' }; Id = 'InvalidTunnelOption'; Category = 'InvalidArgument'; Target = '10.0.1.11:80' }
        @{ Command = 'Remove-LvsRealServer'; Case = 'a missing service'; Missing = $true; Params = @{ Address = '10.0.1.11' }; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'TCP  10.0.0.9:80' }
        @{ Command = 'Remove-LvsRealServer'; Case = 'a missing server'; Params = @{ Address = '10.0.1.99' }; Id = 'LvsRealServerNotFound'; Category = 'ObjectNotFound'; Target = '10.0.1.99' }
        @{ Command = 'Remove-LvsRealServer'; Case = 'a missing server of an fwmark service'; NoService = $true; Params = @{ FirewallMark = 7; Address = '10.0.3.2' }; Id = 'LvsRealServerNotFound'; Category = 'ObjectNotFound'; Target = '10.0.3.2'; Key = '-f 7' }
        @{ Command = 'Remove-LvsRealServer'; Case = 'an invalid address'; Params = @{ Address = '999.1.1.1' }; Id = 'InvalidIPAddress'; Category = 'InvalidArgument'; Target = '999.1.1.1' }
        @{ Command = 'Get-LvsRealServer'; Case = 'a missing service'; Missing = $true; Params = @{}; Id = 'LvsServiceNotFound'; Category = 'ObjectNotFound'; Target = 'TCP  10.0.0.9:80' }
    )
    $i = 0
    foreach ($c in $errorCases) {
        $i++
        if ($c.NoService) { if (-not $c.ContainsKey('Key')) { $c.Key = $null } }
        elseif ($c.Missing) { $c.Key = '-t 10.0.0.9:80' }
        else { $c.Vip = "10.0.10.$i"; $c.Key = "-t 10.0.10.$($i):80" }
    }

    # -WhatIf: each command and the What-if text(s) it must show ({0} = the namespace); Key: the service it concerns.
    $script:whatIfCases = @(
        @{ Command = 'Add-LvsRealServer'; Case = 'one command line per server'; Key = '-t 10.0.0.1:80'
            Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.12', '10.0.1.13'; Port = 8080; ForwardingMethod = 'Masquerade'; Weight = 2 }
            Text = '"IPVS_CMD_NEW_DEST: ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.12:8080 -m -w 2" on target "TCP  10.0.0.1:80 -> 10.0.1.12:8080 (netns {0})"',
            '"IPVS_CMD_NEW_DEST: ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.13:8080 -m -w 2" on target "TCP  10.0.0.1:80 -> 10.0.1.13:8080 (netns {0})"' }
        @{ Command = 'Add-LvsRealServer'; Case = 'the tunnel options'; Key = '-t 10.0.0.1:80'
            Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.2.2'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gue'; TunnelPort = 6080; TunnelChecksum = 'Checksum' }
            Text = , '"IPVS_CMD_NEW_DEST: ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum" on target "TCP  10.0.0.1:80 -> 10.0.2.2:80 (netns {0})"' }
        @{ Command = 'Add-LvsRealServer'; Case = 'the thresholds'; Key = '-t 10.0.0.1:80'
            Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.14'; UpperThreshold = 40; LowerThreshold = 30 }
            Text = , '"IPVS_CMD_NEW_DEST: ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.14:80 -g -w 1 -x 40 -y 30" on target "TCP  10.0.0.1:80 -> 10.0.1.14:80 (netns {0})"' }
        @{ Command = 'Add-LvsRealServer'; Case = 'an IPv6 fwmark service''s server'; Key = '-f 8 -6'
            Params = @{ FirewallMark = 8; AddressFamily = 'IPv6'; Address = '2001:db8::5' }
            Text = , '"IPVS_CMD_NEW_DEST: ipvsadm -a -f 8 -6 -r [2001:db8::5]:0 -g -w 1" on target "FWM  8 IPv6 -> [2001:db8::5]:0 (netns {0})"' }
        @{ Command = 'Set-LvsRealServer'; Case = 'the full ipvsadm -e line, thresholds kept'; Key = '-t 10.0.0.1:80'
            Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.11'; Port = 8080; Weight = 0 }
            Text = , '"IPVS_CMD_SET_DEST: ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 0 -x 100 -y 50" on target "TCP  10.0.0.1:80 -> 10.0.1.11:8080 (netns {0})"' }
        @{ Command = 'Set-LvsRealServer'; Case = 'the line for a piped server'; Key = '-t 10.0.0.1:80'; Pipe = $true
            Params = @{ ForwardingMethod = 'Masquerade'; Weight = 9 }
            Text = , '"IPVS_CMD_SET_DEST: ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 9 -x 100 -y 50" on target "TCP  10.0.0.1:80 -> 10.0.1.11:8080 (netns {0})"' }
        @{ Command = 'Remove-LvsRealServer'; Case = 'the ipvsadm -d line'; Key = '-t 10.0.0.1:80'
            Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.11:8080' }
            Text = , '"IPVS_CMD_DEL_DEST: ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.11:8080" on target "TCP  10.0.0.1:80 -> 10.0.1.11:8080 (netns {0})"' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # `ipvsadm -S -n` lines of a namespace and, with -Thresholds, `ipvsadm -Ln --thresholds` as
    # @{ 'TCP 10.0.0.1:80 10.0.1.11:80' = 'UPPER LOWER' } (one external command for both).
    function Get-IpvsadmView([string] $Namespace, [switch] $Thresholds) {
        if (-not $Thresholds) { return [pscustomobject]@{ Save = @(ip netns exec $Namespace ipvsadm -S -n); Thresholds = @{} } }
        $lines = @(ip netns exec $Namespace sh -c 'ipvsadm -S -n; echo =====; ipvsadm -Ln --thresholds')
        $sep = [array]::IndexOf($lines, '=====')
        $th = @{}
        $svc = $null
        foreach ($l in $lines[($sep + 1)..($lines.Count - 1)]) {
            if ($l -match '^(TCP|UDP|SCTP|FWM)\s+(\S+)') { $svc = "$($Matches[1]) $($Matches[2])" }
            elseif ($l -match '^\s+->\s+(\S+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s*$') { $th["$svc $($Matches[1])"] = "$($Matches[2]) $($Matches[3])" }
        }
        [pscustomobject]@{ Save = @(if ($sep -gt 0) { $lines[0..($sep - 1)] }); Thresholds = $th }
    }

    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Split-IpvsadmSave, Assert-Block, Get-CmdletError, Assert-LvsError, Get-HostText
}

Describe 'Add-LvsRealServer: what ipvsadm -S -n reads back' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $addCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $results = @{}
        foreach ($c in $Cases) {
            $s = $c.Service
            $p = $c.Params
            $err = $null
            if ($p.ContainsKey('VirtualAddress') -or $p.ContainsKey('FirewallMark')) {
                New-LvsService -NetNamespace $ns @s | Out-Null
                $out = Add-LvsRealServer -NetNamespace $ns @p -ErrorVariable err -ErrorAction SilentlyContinue
            }
            else {
                $out = New-LvsService -NetNamespace $ns @s | Add-LvsRealServer @p -ErrorVariable err -ErrorAction SilentlyContinue
            }
            $results[$c.Case] = @{ Output = @($out); Errors = @($err) }
        }
        $view = Get-IpvsadmView $ns -Thresholds
        $blocks = Split-IpvsadmSave $view.Save
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'adds <Case>' -ForEach $Cases {
        $r = $results[$Case]
        $r.Errors | Should -BeNullOrEmpty
        Assert-Block $blocks $Expected
        $r.Output | Should -HaveCount @($Params.Address).Count
        foreach ($o in $r.Output) {
            $o | Should -BeOfType ([LvsTools.LvsRealServer])
            $o.NetNamespace | Should -Be $ns
            $o.Weight | Should -Be $(if ($Params.ContainsKey('Weight')) { $Params.Weight } else { 1 })
        }
        if ($Thresholds) {
            foreach ($k in $Thresholds.Keys) { $view.Thresholds[$k] | Should -Be $Thresholds[$k] -Because "ipvsadm -Ln --thresholds of $k" }
            $r.Output[0].UpperThreshold | Should -Be $Params.UpperThreshold
        }
    }

    It 'adds nothing else' {
        $keys = @($Cases | ForEach-Object { $_.Expected.Keys })
        @($blocks.Keys) | Should -HaveCount $keys.Count
        @($blocks.Keys | Where-Object { $_ -notin $keys }) | Should -BeNullOrEmpty
    }
}

Describe 'Set-LvsRealServer and Remove-LvsRealServer: what ipvsadm -S -n reads back' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $changeCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        @($Cases | ForEach-Object { $_.Base }) | ip netns exec $ns ipvsadm -R
        $results = @{}
        foreach ($c in $Cases) {
            $p = $c.Params
            $err = $null
            if ($c.Pipe) {
                $g = $c.Pipe
                $out = Get-LvsRealServer -NetNamespace $ns @g | & $c.Command @p -ErrorVariable err -ErrorAction SilentlyContinue
            }
            else {
                $out = & $c.Command -NetNamespace $ns @p -ErrorVariable err -ErrorAction SilentlyContinue
            }
            $results[$c.Case] = @{ Output = @($out); Errors = @($err) }
        }
        $view = Get-IpvsadmView $ns -Thresholds
        $blocks = Split-IpvsadmSave $view.Save
    }
    AfterAll { Remove-TestNamespace $ns }

    It '<Command> <Case>' -ForEach $Cases {
        $r = $results[$Case]
        $r.Errors | Should -BeNullOrEmpty
        Assert-Block $blocks $Expected
        if ($PassThru) {
            @($r.Output | ForEach-Object Endpoint | Sort-Object) | Should -Be @($PassThru)
            if ($Command -eq 'Set-LvsRealServer') { $r.Output.Weight | ForEach-Object { $_ | Should -Be $Params.Weight } }
        }
        else { $r.Output | Should -BeNullOrEmpty }
        if ($Thresholds) { foreach ($k in $Thresholds.Keys) { $view.Thresholds[$k] | Should -Be $Thresholds[$k] -Because "ipvsadm -Ln --thresholds of $k" } }
    }

    It 'changes nothing else' {
        $keys = @($Cases | ForEach-Object { $_.Expected.Keys })
        @($blocks.Keys) | Should -HaveCount $keys.Count
        @($blocks.Keys | Where-Object { $_ -notin $keys }) | Should -BeNullOrEmpty
        @($view.Thresholds.Values | Where-Object { $_ -ne '0 0' }) | Should -HaveCount 2   # 10.0.1.1 (kept) and 10.0.1.9 (set)
    }
}

Describe 'Get-LvsRealServer: what ipvsadm creates, property by property' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        @(
            '-A -t 10.0.0.1:80 -s wrr'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3 -x 100 -y 50'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 0'
            '-a -t 10.0.0.1:80 -r 10.0.2.1:80 -i -w 1'
            '-a -t 10.0.0.1:80 -r 10.0.2.2:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum'
            '-a -t 10.0.0.1:80 -r 10.0.2.3:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-remcsum'
            '-a -t 10.0.0.1:80 -r 10.0.2.4:80 -i -w 1 --tun-type gre --tun-csum'
            '-a -t 10.0.0.1:80 -r 10.0.2.5:80 -i -w 1 --tun-type gre'
            '-a -t 10.0.0.1:80 -r [2001:db8::7]:80 -i -w 1'
            '-A -u [2001:db8::1]:53 -s rr'
            '-a -u [2001:db8::1]:53 -r [2001:db8::11]:5353 -m -w 65535'
            '-A -f 7 -s rr'
            '-a -f 7 -r 10.0.3.1:0 -m -w 1 -x 10'
        ) | ip netns exec $ns ipvsadm -R
        $all = Get-LvsRealServer -NetNamespace $ns
        $ipvsadmLn = @(ip netns exec $ns ipvsadm -Ln)
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'lists every real server ipvsadm -Ln lists, in its words' {
        $all | Should -HaveCount 10
        $theirs = @($ipvsadmLn | Where-Object { $_ -match '^\s+->\s+[\d\[]' } | ForEach-Object TrimEnd) | Sort-Object
        @($all | ForEach-Object { $_.ToString().TrimEnd() }) | Sort-Object | Should -Be $theirs
    }

    It 'reports <Case>' -ForEach @(
        @{ Case = 'a masqueraded server with thresholds'; Endpoint = '10.0.1.11:8080'
            Expect = @{ Service = 'TCP  10.0.0.1:80'; Address = '10.0.1.11'; Port = 8080; AddressFamily = 'IPv4'; ForwardingMethod = 'Masquerade'; Weight = 3
                UpperThreshold = 100; LowerThreshold = 50; TunnelType = $null; TunnelPort = $null; TunnelChecksum = $null } }
        @{ Case = 'a direct-routing server of weight 0'; Endpoint = '10.0.1.12:80'
            Expect = @{ Port = 80; ForwardingMethod = 'Route'; Weight = 0; UpperThreshold = 0; LowerThreshold = 0; TunnelType = $null; TunnelPort = $null; TunnelChecksum = $null } }
        @{ Case = 'an ipip tunnel'; Endpoint = '10.0.2.1:80'
            Expect = @{ ForwardingMethod = 'Tunnel'; Weight = 1; TunnelType = 'IpIp'; TunnelPort = $null; TunnelChecksum = 'None' } }
        @{ Case = 'a GUE tunnel with checksums'; Endpoint = '10.0.2.2:80'
            Expect = @{ ForwardingMethod = 'Tunnel'; Weight = 2; TunnelType = 'Gue'; TunnelPort = 6080; TunnelChecksum = 'Checksum' } }
        @{ Case = 'a GUE tunnel with remote checksum offload'; Endpoint = '10.0.2.3:80'
            Expect = @{ ForwardingMethod = 'Tunnel'; TunnelType = 'Gue'; TunnelPort = 6081; TunnelChecksum = 'RemoteChecksum' } }
        @{ Case = 'a GRE tunnel with checksums'; Endpoint = '10.0.2.4:80'
            Expect = @{ ForwardingMethod = 'Tunnel'; TunnelType = 'Gre'; TunnelPort = $null; TunnelChecksum = 'Checksum' } }
        @{ Case = 'a GRE tunnel without checksums'; Endpoint = '10.0.2.5:80'
            Expect = @{ ForwardingMethod = 'Tunnel'; TunnelType = 'Gre'; TunnelPort = $null; TunnelChecksum = 'None' } }
        @{ Case = 'an IPv6 tunnel server of an IPv4 service'; Endpoint = '[2001:db8::7]:80'
            Expect = @{ Service = 'TCP  10.0.0.1:80'; Address = '2001:db8::7'; AddressFamily = 'IPv6'; ForwardingMethod = 'Tunnel'; TunnelType = 'IpIp' } }
        @{ Case = 'an IPv6 server of weight 65535 on another port'; Endpoint = '[2001:db8::11]:5353'
            Expect = @{ Service = 'UDP  [2001:db8::1]:53'; Address = '2001:db8::11'; Port = 5353; AddressFamily = 'IPv6'; ForwardingMethod = 'Masquerade'; Weight = 65535 } }
        @{ Case = 'a server of an fwmark service with an upper threshold only'; Endpoint = '10.0.3.1:0'
            Expect = @{ Service = 'FWM  7'; Port = 0; ForwardingMethod = 'Masquerade'; UpperThreshold = 10; LowerThreshold = 0 } }
    ) {
        $r = @($all | Where-Object Endpoint -EQ $Endpoint)
        $r | Should -HaveCount 1
        $r = $r[0]
        $r.NetNamespace | Should -Be $ns
        foreach ($name in $Expect.Keys) {
            $want = $Expect[$name]
            switch ($name) {
                'Service' { $r.Service.ToString() | Should -Be $want -Because $name }
                'Address' { $r.Address | Should -Be ([ipaddress]$want) -Because $name }
                default { if ($null -eq $want) { $r.$name | Should -BeNullOrEmpty -Because $name } else { "$($r.$name)" | Should -Be "$want" -Because $name } }
            }
        }
    }

    It 'selects the servers of <Case>' -ForEach @(
        @{ Case = 'a service named by address and port'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80 }; Count = 8 }
        @{ Case = 'an IPv6 UDP service'; Params = @{ VirtualAddress = '2001:db8::1'; Protocol = 'Udp'; VirtualPort = 53 }; Count = 1 }
        @{ Case = 'an fwmark service'; Params = @{ FirewallMark = 7 }; Count = 1 }
        @{ Case = 'one address'; Params = @{ Address = '10.0.2.2' }; Count = 1 }
        @{ Case = 'one port'; Params = @{ Port = 8080 }; Count = 1 }
        @{ Case = 'a service and two addresses'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '2001:db8::7', '10.0.1.12' }; Count = 2 }
    ) {
        @(Get-LvsRealServer -NetNamespace $ns @Params) | Should -HaveCount $Count
    }

    It 'takes services from Get-LvsService' {
        $r = Get-LvsService -NetNamespace $ns -Protocol Udp | Get-LvsRealServer
        $r.Endpoint | Should -Be '[2001:db8::11]:5353'
        (Get-LvsService -NetNamespace $ns | Get-LvsRealServer) | Should -HaveCount 10
    }
}

Describe 'Get-LvsRealServer of many piped services: output and errors in input order' -Tag Kernel -Skip:$skipKernel {
    # 100 services; service i has i % 3 + 1 real servers. The output must follow the input, and each error (a service
    # deleted after it was read, one from another namespace) must stand in its item's place: a guard for any faster read
    # path behind the cmdlet (several sockets, reads ahead).
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $other = New-TestNamespace -NoVeth
        $rules = foreach ($i in 1..100) {
            "-A -t 10.8.0.${i}:80 -s rr"
            foreach ($k in 0..($i % 3)) { "-a -t 10.8.0.${i}:80 -r 10.9.0.${i}:$(8000 + $k) -m" }
        }
        $rules | ip netns exec $ns ipvsadm -R
        '-A -t 10.8.1.1:80 -s rr' | ip netns exec $other ipvsadm -R
        $services = @(Get-LvsService -NetNamespace $ns)
        $stranger = Get-LvsService -NetNamespace $other
        # Input: every third service first, then the rest backwards; the 40th deleted from the kernel after it was read,
        # the service of the other namespace at place 70.
        $order = @(0..99 | Where-Object { $_ % 3 -eq 0 }) + @(99..0 | Where-Object { $_ % 3 -ne 0 })
        $items = [System.Collections.Generic.List[object]]::new()
        foreach ($n in $order) { $items.Add($services[$n]) }
        $items.Insert(70, $stranger)
        $gone = $items[40]
        ip netns exec $ns ipvsadm -D -t "$($gone.Address):80"
        $line = {
            if ($_ -is [System.Management.Automation.ErrorRecord]) { 'error {0} {1}' -f $_.FullyQualifiedErrorId.Split(',')[0], $_.CategoryInfo.Category }
            else { '{0} -> {1}' -f $_.Service, $_.Endpoint }
        }
        $expected = foreach ($s in $items) {
            if ($s -eq $stranger) { 'error NetNamespaceMismatch InvalidArgument'; continue }
            if ($s -eq $gone) { 'error LvsServiceNotFound ObjectNotFound'; continue }
            $i = [int]"$($s.Address)".Split('.')[3]
            foreach ($k in 0..($i % 3)) { '{0} -> 10.9.0.{1}:{2}' -f $s.Key, $i, (8000 + $k) }
        }
        # -ErrorAction Continue: the suite runs with $ErrorActionPreference = 'Stop', which would end the pipeline at the first error.
        $merged = @($items | Get-LvsRealServer -NetNamespace $ns -ErrorAction Continue 2>&1)
        $stopped = [System.Collections.Generic.List[string]]::new()
        try { $items | Get-LvsRealServer -NetNamespace $ns -ErrorAction Stop | ForEach-Object { $stopped.Add((& $line)) } } catch { $stopFailure = $_ }
        $firstThree = @($items | Get-LvsRealServer -NetNamespace $ns -ErrorAction SilentlyContinue | Select-Object -First 3 | ForEach-Object $line)
        $all = @(Get-LvsRealServer -NetNamespace $ns | ForEach-Object $line)
        $allExpected = foreach ($s in $services) {
            if ($s -eq $gone) { continue }
            $i = [int]"$($s.Address)".Split('.')[3]
            foreach ($k in 0..($i % 3)) { '{0} -> 10.9.0.{1}:{2}' -f $s.Key, $i, (8000 + $k) }
        }
    }
    AfterAll { Remove-TestNamespace $ns; Remove-TestNamespace $other }

    It 'writes the servers of each piped service and each error in the order of the input' {
        @($merged | ForEach-Object $line) -join "`n" | Should -Be ($expected -join "`n")
        $notFound = $merged | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -like 'LvsServiceNotFound*' }
        "$($notFound.TargetObject)" | Should -Be "$($gone.Key)"
    }

    It 'stops at the first error with -ErrorAction Stop, after the servers of every service before it' {
        $stopFailure.FullyQualifiedErrorId | Should -BeLike 'LvsServiceNotFound*'
        $stopped -join "`n" | Should -Be (($expected | Select-Object -First ([array]::IndexOf(@($expected), 'error LvsServiceNotFound ObjectNotFound'))) -join "`n")
    }

    It 'ends cleanly when the pipeline stops early (Select-Object -First)' {
        $firstThree -join "`n" | Should -Be (($expected | Select-Object -First 3) -join "`n")
    }

    It 'reads the whole table in the order of Get-LvsService' {
        $all -join "`n" | Should -Be ($allExpected -join "`n")
    }
}

Describe 'Statistics after real traffic' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        ip -n $ns addr add 10.0.0.3/32 dev lo
        @('-A -u 10.0.0.3:53 -s rr', '-a -u 10.0.0.3:53 -r 10.0.1.11:53 -m', '-a -u 10.0.0.3:53 -r 10.0.1.12:53 -m') | ip netns exec $ns ipvsadm -R
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'Get-LvsService and Get-LvsRealServer count what ipvsadm -Ln --stats --exact counts' {
        # Three datagrams from three sockets to the VIP: three connections, scheduled round robin.
        ip netns exec $ns bash -c 'for i in 1 2 3; do echo x > /dev/udp/10.0.0.3/53; done'
        # The kernel folds its per-CPU counters in about every 2 s: wait until ipvsadm shows all three and they settle.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        $last = $null
        while ($true) {
            $lines = @(ip netns exec $ns ipvsadm -Ln --stats --exact)
            $text = $lines -join "`n"
            if ($text -match 'UDP\s+10\.0\.0\.3:53\s+3\s' -and $text -eq $last) { break }
            if ([DateTime]::UtcNow -gt $deadline) { throw "counters did not settle: $text" }
            $last = $text
            Start-Sleep -Milliseconds 1000
        }
        $theirs = @{}
        foreach ($line in $lines) {
            if ($line -match '^(?:UDP\s+|\s+->\s+)(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$') {
                $theirs[$Matches[1]] = "$($Matches[2]) $($Matches[3]) $($Matches[4]) $($Matches[5]) $($Matches[6])"
            }
        }
        $theirs.Count | Should -Be 3
        $st = (Get-LvsService -NetNamespace $ns).Statistics
        "$($st.Connections) $($st.InPackets) $($st.OutPackets) $($st.InBytes) $($st.OutBytes)" | Should -Be $theirs['10.0.0.3:53']
        $st.Connections | Should -Be 3
        $st.InPackets | Should -Be 3
        $servers = Get-LvsRealServer -NetNamespace $ns
        foreach ($r in $servers) {
            $st = $r.Statistics
            "$($st.Connections) $($st.InPackets) $($st.OutPackets) $($st.InBytes) $($st.OutBytes)" | Should -Be $theirs[$r.Endpoint] -Because $r.Endpoint
        }
        ($servers | ForEach-Object { $_.Statistics.Connections } | Measure-Object -Sum).Sum | Should -Be 3
    }
}

Describe 'Pipelines as users write them' -Tag Kernel -Skip:$skipKernel {
    BeforeAll { $ns = New-TestNamespace }
    AfterAll { Remove-TestNamespace $ns }

    It 'Add-LvsVirtualIp | New-LvsService | Add-LvsRealServer, the namespace flowing by property name' {
        $r = Add-LvsVirtualIp -NetNamespace $ns -InterfaceName veth0 -IPAddress 10.0.0.100 -PrefixLength 32 |
            New-LvsService -Protocol Tcp -Port 80 -Scheduler wrr |
            Add-LvsRealServer -Address 10.0.1.11, 10.0.1.12 -Port 8080 -ForwardingMethod Masquerade -Weight 3
        $r | Should -HaveCount 2
        $r | ForEach-Object { $_.NetNamespace | Should -Be $ns }
        @($r | ForEach-Object Endpoint) | Should -Be @('10.0.1.11:8080', '10.0.1.12:8080')
        (Get-IpvsadmView $ns).Save -join "`n" | Should -Be (@(
                '-A -t 10.0.0.100:80 -s wrr'
                '-a -t 10.0.0.100:80 -r 10.0.1.11:8080 -m -w 3'
                '-a -t 10.0.0.100:80 -r 10.0.1.12:8080 -m -w 3') -join "`n")
        (Get-NetAlias -NetNamespace $ns -IPAddress 10.0.0.100).InterfaceName | Should -Be 'veth0'
    }

    It 'Get-LvsService -Port 80 | Get-LvsRealServer | Set-LvsRealServer -Weight 0 drains only the port-80 services' {
        @(
            '-A -t 10.0.0.101:80 -s rr'
            '-a -t 10.0.0.101:80 -r 10.0.1.21:80 -g -w 5'
            '-A -t 10.0.0.100:443 -s rr'
            '-a -t 10.0.0.100:443 -r 10.0.1.11:443 -g -w 2'
        ) | ip netns exec $ns ipvsadm -R
        Get-LvsService -NetNamespace $ns -Port 80 | Get-LvsRealServer | Set-LvsRealServer -Weight 0 | Should -BeNullOrEmpty
        (Get-IpvsadmView $ns).Save -join "`n" | Should -Be (@(
                '-A -t 10.0.0.100:80 -s wrr'
                '-a -t 10.0.0.100:80 -r 10.0.1.11:8080 -m -w 0'
                '-a -t 10.0.0.100:80 -r 10.0.1.12:8080 -m -w 0'
                '-A -t 10.0.0.100:443 -s rr'
                '-a -t 10.0.0.100:443 -r 10.0.1.11:443 -g -w 2'
                '-A -t 10.0.0.101:80 -s rr'
                '-a -t 10.0.0.101:80 -r 10.0.1.21:80 -g -w 0') -join "`n")
    }
}

Describe 'Real-server cmdlets with -WhatIf' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $whatIfCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        @('-A -t 10.0.0.1:80 -s wrr', '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3 -x 100 -y 50', '-A -f 8 -6 -s rr') | ip netns exec $ns ipvsadm -R
        $beforeView = Get-IpvsadmView $ns -Thresholds
        $before = Split-IpvsadmSave $beforeView.Save
        $results = @{}
        foreach ($c in $Cases) {
            $p = $c.Params
            $results[$c.Case] = if ($c.Pipe) { Get-HostText { Get-LvsRealServer -NetNamespace $ns | & $c.Command @p -WhatIf } }
            else { Get-HostText { & $c.Command -NetNamespace $ns @p -WhatIf } }
        }
        $afterView = Get-IpvsadmView $ns -Thresholds
        $after = Split-IpvsadmSave $afterView.Save
    }
    AfterAll { Remove-TestNamespace $ns }

    It '<Command> -WhatIf shows <Case> and sends nothing' -ForEach $Cases {
        $r = $results[$Case]
        foreach ($t in $Text) { $r.Text | Should -Match ('What if: Performing the operation ' + [regex]::Escape(($t -f $ns))) }
        $r.Output | Should -BeNullOrEmpty
        $after[$Key] | Should -Be $before[$Key]
        $afterView.Save -join "`n" | Should -Be ($beforeView.Save -join "`n")
        $afterView.Thresholds['TCP 10.0.0.1:80 10.0.1.11:8080'] | Should -Be '100 50'
    }
}

Describe 'Real-server cmdlets: bad input and kernel refusals' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Cases = $errorCases }) {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $base = @(
            '-A -f 7 -s rr', '-a -f 7 -r 10.0.3.1:0 -m -w 1'
            '-A -t 10.0.11.1:80 -s wrr', '-a -t 10.0.11.1:80 -r 10.0.1.11:80 -g -w 1', '-a -t 10.0.11.1:80 -r 10.0.1.12:80 -g -w 1'
            '-A -t 10.0.11.2:80 -s wrr', '-a -t 10.0.11.2:80 -r 10.0.1.11:80 -g -w 1'
        )
        foreach ($c in $Cases) { if ($c.Vip) { $base += "-A -t $($c.Vip):80 -s wrr", "-a -t $($c.Vip):80 -r 10.0.1.11:80 -g -w 1" } }
        $base | ip netns exec $ns ipvsadm -R
        $beforeLines = (Get-IpvsadmView $ns).Save
        $before = Split-IpvsadmSave $beforeLines
        $results = @{}
        foreach ($c in $Cases) {
            $p = @{ NetNamespace = $ns }
            if ($c.Vip) { $p.VirtualAddress = $c.Vip; $p.VirtualPort = 80 }
            elseif ($c.Missing) { $p.VirtualAddress = '10.0.0.9'; $p.VirtualPort = 80 }
            foreach ($k in $c.Params.Keys) { $p[$k] = $c.Params[$k] }
            $results["$($c.Command) $($c.Case)"] = Get-CmdletError $c.Command $p
        }
        # A server piped in after it was removed: Set and Remove report it as not found.
        $stale = @(Get-LvsRealServer -NetNamespace $ns -VirtualAddress 10.0.11.1 -VirtualPort 80 -Address 10.0.1.11)
        Remove-LvsRealServer -NetNamespace $ns -VirtualAddress 10.0.11.1 -VirtualPort 80 -Address 10.0.1.11
        $staleSetErr = $null
        $stale | Set-LvsRealServer -Weight 2 -ErrorVariable staleSetErr -ErrorAction SilentlyContinue
        $staleRemoveErr = $null
        $stale | Remove-LvsRealServer -ErrorVariable staleRemoveErr -ErrorAction SilentlyContinue
        # A list with a bad address and an existing server among good ones: the good ones are added.
        $listErr = $null
        $listOut = @(Add-LvsRealServer -NetNamespace $ns -VirtualAddress 10.0.11.2 -VirtualPort 80 -Address 10.0.1.12, 999.1.1.1, 10.0.1.11, 10.0.1.13 -ErrorVariable listErr -ErrorAction SilentlyContinue)
        $afterLines = (Get-IpvsadmView $ns).Save
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
        $caseKeys = @($Cases | ForEach-Object { $_.Key } | Where-Object { $_ }) + '-t 10.0.11.1:80', '-t 10.0.11.2:80'
        foreach ($k in @($before.Keys) + @($after.Keys) | Sort-Object -Unique) {
            if ($k -in $caseKeys) { continue }
            $after[$k] | Should -Be $before[$k] -Because $k
        }
    }

    It 'reports a piped server that is gone as LvsRealServerNotFound' {
        $stale | Should -HaveCount 1
        Assert-LvsError $staleSetErr 'LvsRealServerNotFound,LvsTools.Commands.SetLvsRealServerCommand' 'ObjectNotFound' '10.0.1.11:80'
        Assert-LvsError $staleRemoveErr 'LvsRealServerNotFound,LvsTools.Commands.RemoveLvsRealServerCommand' 'ObjectNotFound' '10.0.1.11:80'
        $after['-t 10.0.11.1:80'] | Should -Be "-A -t 10.0.11.1:80 -s wrr`n-a -t 10.0.11.1:80 -r 10.0.1.12:80 -g -w 1"
    }

    It 'adds the good servers of a list and reports the bad ones' {
        @($listOut | ForEach-Object Endpoint) | Should -Be @('10.0.1.12:80', '10.0.1.13:80')
        $listErr | Should -HaveCount 2
        Assert-LvsError @($listErr[0]) 'InvalidIPAddress,LvsTools.Commands.AddLvsRealServerCommand' 'InvalidArgument' '999.1.1.1'
        Assert-LvsError @($listErr[1]) 'LvsRealServerExists,LvsTools.Commands.AddLvsRealServerCommand' 'ResourceExists' '10.0.1.11:80'
        $after['-t 10.0.11.2:80'] | Should -Be (@(
                '-A -t 10.0.11.2:80 -s wrr'
                '-a -t 10.0.11.2:80 -r 10.0.1.11:80 -g -w 1'
                '-a -t 10.0.11.2:80 -r 10.0.1.12:80 -g -w 1'
                '-a -t 10.0.11.2:80 -r 10.0.1.13:80 -g -w 1') -join "`n")
    }

    It 'throws with -ErrorAction Stop' {
        { Add-LvsRealServer -NetNamespace $ns -VirtualAddress 10.0.0.9 -VirtualPort 80 -Address 10.0.1.11 -ErrorAction Stop } |
            Should -Throw -ErrorId 'LvsServiceNotFound,LvsTools.Commands.AddLvsRealServerCommand'
        { Remove-LvsRealServer -NetNamespace $ns -FirewallMark 7 -Address 10.0.9.9 -ErrorAction Stop } |
            Should -Throw -ErrorId 'LvsRealServerNotFound,LvsTools.Commands.RemoveLvsRealServerCommand'
    }
}

Describe 'Real-server cmdlets on a kernel without IPVS' -Skip:$ipvsAvailable {
    # The current namespace: where IPVS is missing it is missing in every namespace, and nothing can change.
    It '<Command> fails with IPVSNotInstalled (<Case>)' -ForEach @(
        @{ Command = 'Add-LvsRealServer'; Case = 'address service'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.11' } }
        @{ Command = 'Add-LvsRealServer'; Case = 'fwmark service'; Params = @{ FirewallMark = 7; Address = '10.0.1.11'; ForwardingMethod = 'Masquerade' } }
        @{ Command = 'Get-LvsRealServer'; Case = 'all'; Params = @{} }
        @{ Command = 'Get-LvsRealServer'; Case = 'one service'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80 } }
        @{ Command = 'Set-LvsRealServer'; Case = 'address service'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.11'; Weight = 2 } }
        @{ Command = 'Set-LvsRealServer'; Case = 'fwmark service'; Params = @{ FirewallMark = 7; AddressFamily = 'IPv6'; Address = '2001:db8::5'; Weight = 2 } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'address service'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.11' } }
        @{ Command = 'Remove-LvsRealServer'; Case = 'fwmark service'; Params = @{ FirewallMark = 7; Address = '10.0.1.11' } }
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
