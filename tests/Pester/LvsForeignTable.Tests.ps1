# A table written by another tool (keepalived, moby/ipvs, a raw netlink client) holds values ipvsadm and New-LvsService /
# Add-LvsRealServer refuse: Route and Tunnel real servers on another port than the service's, weights above 65535,
# thresholds above 2^31, Local forwarding, a 40-day persistence timeout, one-packet on TCP, port 0 without persistence,
# a service on a multicast address, tunnel options ipvsadm cannot give. Whatever the kernel holds, LvsTools reads,
# exports, imports, syncs and edits losslessly; strictness applies only to what a user asks to create.
#
# The foreign table is written here with the module's own Core types at validation level Kernel (what the kernel
# accepts), one batch, and cross-checked with `ipvsadm -S -n`. UML makes every process dear: one namespace, set-up in
# BeforeAll, few ipvsadm calls.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')

    function Get-IpvsadmRule([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -S -n | Where-Object { $_ } | Sort-Object) }

    # The foreign table: services and real servers as a raw netlink client writes them.
    function New-ForeignService([string] $Address, [int] $Port, [hashtable] $More = @{}) {
        $ip = [ipaddress]$Address
        $h = @{ AddressFamily = 'IPv4'; Protocol = 'Tcp'; Address = $ip; Port = $Port; Scheduler = 'rr'; PersistenceNetmask = [uint32]::MaxValue }
        foreach ($k in $More.Keys) { $h[$k] = $More[$k] }
        [LvsTools.LvsService]$h
    }
    function New-ForeignRealServer($Service, [string] $Address, [int] $Port, [hashtable] $More = @{}) {
        $h = @{ Service = $Service.Key; Address = [ipaddress]$Address; Port = $Port; ForwardingMethod = 'Route'; Weight = 1 }
        foreach ($k in $More.Keys) { $h[$k] = $More[$k] }
        [LvsTools.LvsRealServer]$h
    }
    function Write-ForeignTable([string] $Namespace, $Services, $RealServers) {
        $ops = [System.Collections.Generic.List[LvsTools.Core.Ipvs.IpvsOperation]]::new()
        foreach ($s in $Services) { $ops.Add([LvsTools.Core.Ipvs.IpvsOperation]::AddService($s)) }
        foreach ($r in $RealServers) { $ops.Add([LvsTools.Core.Ipvs.IpvsOperation]::AddRealServer($r)) }
        $validation = [LvsTools.Core.Ipvs.IpvsOperation].GetProperty('Validation')
        foreach ($op in $ops) { $validation.SetValue($op, [LvsTools.Core.Ipvs.ValidationLevel]::Kernel) }
        $client = [LvsTools.Core.Ipvs.IpvsClient]::Open([LvsTools.Core.NetNamespace]::Resolve($Namespace))
        try {
            $result = $client.Apply($ops)   # validated at Kernel level: this is what the kernel accepts
            if ($result.Failures.Count) { throw "the kernel refused: $($result.Failures[0].Message)" }
        }
        finally { $client.Dispose() }
    }
}

Describe 'A foreign table' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $web = New-ForeignService 10.0.0.1 80
        $sticky = New-ForeignService 10.0.0.2 443 @{ Flags = [LvsTools.ServiceFlags]::Persistent; PersistenceTimeout = [timespan]::FromDays(40) }
        $onePacket = New-ForeignService 10.0.0.3 80 @{ Flags = [LvsTools.ServiceFlags]::OnePacket }
        $anyPort = New-ForeignService 10.0.0.4 0
        $multicast = New-ForeignService 239.1.1.1 80 @{ Flags = [LvsTools.ServiceFlags]::Sched1 }
        $foreign = @(
            New-ForeignRealServer $web 10.0.1.1 8080                                              # Route on another port
            New-ForeignRealServer $web 10.0.1.2 8081 @{ ForwardingMethod = 'Tunnel' }              # Tunnel on another port
            New-ForeignRealServer $web 10.0.1.3 80 @{ Weight = 100000 }                            # weight above 65535
            New-ForeignRealServer $web 10.0.1.4 80 @{ ForwardingMethod = 'Masquerade'; UpperThreshold = [uint32]3000000000; LowerThreshold = 5 }
            New-ForeignRealServer $web 10.0.1.5 80 @{ ForwardingMethod = 'Local' }                 # Local, which ipvsadm cannot set
            New-ForeignRealServer $web 10.0.1.6 80 @{ ForwardingMethod = 'Tunnel'; TunnelType = 'Gre'; TunnelChecksum = 'RemoteChecksum' }
            New-ForeignRealServer $web 10.0.1.7 0 @{ ForwardingMethod = 'Masquerade' }             # port 0 on a :80 service
            New-ForeignRealServer $sticky 10.0.1.8 8443 @{ Weight = 70000 }
            New-ForeignRealServer $onePacket 10.0.1.9 80
            New-ForeignRealServer $multicast 10.0.1.10 80
        )
        Write-ForeignTable $ns @($web, $sticky, $onePacket, $anyPort, $multicast) $foreign
        $written = Get-IpvsadmRule $ns
        $doc1 = Join-Path $TestDrive 'foreign-1.json'
        $doc2 = Join-Path $TestDrive 'foreign-2.json'
    }
    AfterAll {
        if ($ns) { Remove-TestNamespace $ns }
    }

    It 'is what the kernel holds (ipvsadm reads it back)' {
        $written | Should -Contain '-A -t 10.0.0.2:443 -s rr -p 3456000'
        $written | Should -Contain '-A -t 10.0.0.3:80 -s rr -o'
        $written | Should -Contain '-A -t 10.0.0.4:0 -s rr'
        $written | Should -Contain '-A -t 239.1.1.1:80 -s rr -b flag-1'
        $written | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -g -w 1'
        $written | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.2:8081 -i -w 1 --tun-type ipip'
        $written | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.3:80 -g -w 100000'
        $written | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.7:0 -m -w 1'
    }

    It 'is read by Get-LvsService and Get-LvsRealServer value for value' {
        $svc = @(Get-LvsService -NetNamespace $ns)
        $svc | Should -HaveCount 5
        ($svc | Where-Object Port -EQ 443).PersistenceTimeout | Should -Be ([timespan]::FromDays(40))
        ($svc | Where-Object { $_.Address -eq [ipaddress]'10.0.0.3' }).OnePacket | Should -BeTrue
        ($svc | Where-Object { $_.Address -eq [ipaddress]'239.1.1.1' }).Flags.HasFlag([LvsTools.ServiceFlags]::Sched1) | Should -BeTrue
        $rs = @(Get-LvsRealServer -NetNamespace $ns -VirtualAddress 10.0.0.1 -VirtualPort 80)
        $rs | Should -HaveCount 7
        $by = @{}; foreach ($r in $rs) { $by["$($r.Address)"] = $r }
        $by['10.0.1.1'].Port, $by['10.0.1.1'].ForwardingMethod | Should -Be @(8080, [LvsTools.ForwardingMethod]::Route)
        $by['10.0.1.2'].Port, $by['10.0.1.2'].ForwardingMethod | Should -Be @(8081, [LvsTools.ForwardingMethod]::Tunnel)
        $by['10.0.1.3'].Weight | Should -Be 100000
        $by['10.0.1.4'].UpperThreshold, $by['10.0.1.4'].LowerThreshold | Should -Be @(3000000000, 5)
        $by['10.0.1.5'].ForwardingMethod | Should -Be ([LvsTools.ForwardingMethod]::Local)
        $by['10.0.1.6'].TunnelType, $by['10.0.1.6'].TunnelChecksum | Should -Be @([LvsTools.TunnelType]::Gre, [LvsTools.TunnelChecksum]::RemoteChecksum)
        $by['10.0.1.7'].Port | Should -Be 0
    }

    It 'survives Export, Clear, Import and Export unchanged, and Sync of the export writes nothing' {
        Export-LvsConfiguration -NetNamespace $ns -Path $doc1 | Out-Null
        Clear-LvsService -NetNamespace $ns -Confirm:$false
        Get-IpvsadmRule $ns | Should -BeNullOrEmpty
        $import = Import-LvsConfiguration -NetNamespace $ns -Path $doc1 -Confirm:$false
        $import.Failed | Should -Be 0
        Get-IpvsadmRule $ns | Should -Be $written
        Export-LvsConfiguration -NetNamespace $ns -Path $doc2 | Out-Null
        Get-Content -Raw $doc2 | Should -Be (Get-Content -Raw $doc1)
        $sync = Sync-LvsConfiguration -NetNamespace $ns -Path $doc2 -Confirm:$false
        $sync.WritesSent | Should -Be 0
        @($sync.Steps) | Should -HaveCount 0
        Get-IpvsadmRule $ns | Should -Be $written
    }

    It 'lets Set-LvsRealServer -Weight 0 drain each foreign server, changing only the weight' {
        $before = Get-IpvsadmRule $ns
        $servers = @(Get-LvsRealServer -NetNamespace $ns)
        $servers | Should -HaveCount 10
        $errors = @()
        $servers | Set-LvsRealServer -Weight 0 -Confirm:$false -ErrorVariable +errors -ErrorAction SilentlyContinue
        $errors | Should -BeNullOrEmpty
        $after = Get-IpvsadmRule $ns
        # Every -a line differs only in its weight, now 0; the -A lines are untouched.
        $expected = @($before | ForEach-Object { if ($_ -clike '-a *') { $_ -replace '-w \d+', '-w 0' } else { $_ } } | Sort-Object)
        $after | Should -Be $expected
        ($after | Where-Object { $_ -clike '-a *' }) | Should -HaveCount 10
        # Local forwarding, remote checksum and thresholds are not in ipvsadm -S: read them back.
        $by = @{}; foreach ($r in Get-LvsRealServer -NetNamespace $ns -VirtualAddress 10.0.0.1 -VirtualPort 80) { $by["$($r.Address)"] = $r }
        $by['10.0.1.5'].ForwardingMethod | Should -Be ([LvsTools.ForwardingMethod]::Local)
        $by['10.0.1.6'].TunnelChecksum | Should -Be ([LvsTools.TunnelChecksum]::RemoteChecksum)
        $by['10.0.1.4'].UpperThreshold | Should -Be 3000000000
        # Set-LvsService of one setting keeps the foreign ones (40 days, one-packet on TCP).
        Set-LvsService -NetNamespace $ns -VirtualAddress 10.0.0.2 -Port 443 -Scheduler wrr -Confirm:$false
        Set-LvsService -NetNamespace $ns -VirtualAddress 10.0.0.3 -Port 80 -Scheduler wrr -Confirm:$false
        $svc = Get-IpvsadmRule $ns
        $svc | Should -Contain '-A -t 10.0.0.2:443 -s wrr -p 3456000'
        $svc | Should -Contain '-A -t 10.0.0.3:80 -s wrr -o'
    }

    It '<Command> still refuses with <Id> what a user asks to create, sending nothing' -ForEach @(
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '10.0.9.1'; Port = 80; PersistenceTimeout = [timespan]::FromDays(40) }; Id = 'InvalidPersistenceTimeout' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '10.0.9.1'; Port = 80; OnePacket = $true }; Id = 'InvalidOnePacket' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '10.0.9.1'; Port = 0 }; Id = 'InvalidPort' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '239.1.1.2'; Port = 80 }; Id = 'InvalidServiceAddress' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '255.255.255.255'; Port = 80 }; Id = 'InvalidServiceAddress' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '0.0.0.0'; Port = 80 }; Id = 'InvalidServiceAddress' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '::ffff:10.0.9.1'; Port = 80 }; Id = 'InvalidServiceAddress' }
        @{ Command = 'New-LvsService'; Params = @{ VirtualAddress = '010.0.9.1'; Port = 80 }; Id = 'InvalidIPAddress' }
        @{ Command = 'Add-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.2.1:8080'; ForwardingMethod = 'Route' }; Id = 'InvalidPort' }
        @{ Command = 'Add-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.2.1:8080'; ForwardingMethod = 'Tunnel' }; Id = 'InvalidPort' }
        @{ Command = 'Add-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.2.1'; Weight = 100000 }; Id = 'InvalidWeight' }
        @{ Command = 'Add-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.2.1'; UpperThreshold = 3000000000 }; Id = 'InvalidThreshold' }
        @{ Command = 'Add-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.2.1'; ForwardingMethod = 'Tunnel'; TunnelType = 'Gre'; TunnelChecksum = 'RemoteChecksum' }; Id = 'InvalidTunnelOption' }
        @{ Command = 'Add-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.2.1:8080'; Port = 9090; ForwardingMethod = 'Masquerade' }; Id = 'ConflictingPort' }
        @{ Command = 'Set-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.1:8080'; Port = 9090; Weight = 2 }; Id = 'ConflictingPort' }
        @{ Command = 'Remove-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.1:8080'; Port = 9090 }; Id = 'ConflictingPort' }
        @{ Command = 'Get-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.1:8080'; Port = 9090 }; Id = 'ConflictingPort' }
        @{ Command = 'Set-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.1:8080'; Weight = 70000 }; Id = 'InvalidWeight' }
        @{ Command = 'Set-LvsRealServer'; Params = @{ VirtualAddress = '10.0.0.1'; VirtualPort = 80; Address = '10.0.1.7:0'; ForwardingMethod = 'Route' }; Id = 'InvalidPort' }
        @{ Command = 'Set-LvsService'; Params = @{ VirtualAddress = '10.0.0.1'; Port = 80; OnePacket = $true }; Id = 'InvalidOnePacket' }
        @{ Command = 'Set-LvsService'; Params = @{ VirtualAddress = '10.0.0.2'; Port = 443; PersistenceTimeout = [timespan]::FromDays(41) }; Id = 'InvalidPersistenceTimeout' }
    ) {
        $before = Get-IpvsadmRule $ns
        $p = $Params.Clone(); $p.NetNamespace = $ns
        if ($Command -ne 'Get-LvsRealServer') { $p.Confirm = $false }
        $err = Get-CmdletError $Command $p
        Assert-LvsError $err "$Id,LvsTools.Commands.$($Command -replace '-', '')Command" 'InvalidArgument'
        Get-IpvsadmRule $ns | Should -Be $before
    }
}
