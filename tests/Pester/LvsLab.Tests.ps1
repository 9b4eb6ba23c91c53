# The public lab: New-LvsLab, Get-LvsLab, Remove-LvsLab, Invoke-LvsLabRequest, Set-LvsLabServer.
#
# On the host (no IPVS): the namespaces, links, addresses and routes the lab builds (read back with `ip -j`, an
# independent implementation), its HTTP servers and their states reached directly at the real servers' addresses,
# a lab whose creating process was killed (listed, reachable from this process, removed), two labs at once, and bad
# input. With IPVS (tag Kernel, the UML guest): an IPVS service built with the product's cmdlets answers through the
# VIP in NAT, DirectRouting and Tunnel labs. The labs are written down in a state folder of the test's own
# ($env:LVSTOOLS_LAB_STATE), so the tests never see, or remove, anyone else's labs.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipHost = -not (Test-KernelTestsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:savedState = $env:LVSTOOLS_LAB_STATE
    $script:stateDir = Join-Path ([IO.Path]::GetTempPath()) ('lvst-labs-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $env:LVSTOOLS_LAB_STATE = $stateDir
    # Enable-LvsRealServerRole records what it changed: in the test's own folder, not the machine's.
    $script:savedRoleState = $env:LVSTOOLS_ROLE_STATE_DIR
    $env:LVSTOOLS_ROLE_STATE_DIR = Join-Path $stateDir 'role-state'
    $script:tag = 'lvst-' + [guid]::NewGuid().ToString('N').Substring(0, 6)

    function Get-LabNamespaces([string] $Prefix) { @(ip netns list | ForEach-Object { ($_ -split ' ')[0] } | Where-Object { $_ -like "$Prefix*" }) }
    function Get-MarkedProcesses([string] $Marker) {
        @(Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$' | Where-Object {
                try { [IO.File]::ReadAllText("$($_.FullName)/cmdline").Contains($Marker) } catch { $false } } | ForEach-Object { [int]$_.Name } |
            Where-Object { $_ -ne $PID })
    }
    function Get-Addr([string] $Ns, [string] $Dev) {
        @((ip -n $Ns -j addr show dev $Dev | ConvertFrom-Json).addr_info | Where-Object scope -EQ 'global' | ForEach-Object { "$($_.local)/$($_.prefixlen)" })
    }
    function Get-DefaultGateway([string] $Ns, [string] $Family = '-4') {
        @(ip -n $Ns $Family -j route show default | ConvertFrom-Json)[0].gateway
    }
    # A pwsh of this installation running a script with the module loaded, in the background.
    function Start-Pwsh([string] $Script) {
        $module = Get-LvsModulePath
        $full = "`$env:LVSTOOLS_LAB_STATE = '$stateDir'; Import-Module '$module'; $Script"
        Start-Process -FilePath (Join-Path $PSHOME 'pwsh') -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $full -PassThru `
            -RedirectStandardOutput (Join-Path $stateDir "pwsh-$([guid]::NewGuid()).out") -RedirectStandardError (Join-Path $stateDir "pwsh-$([guid]::NewGuid()).err")
    }
}

AfterAll {
    Get-LvsLab -ErrorAction SilentlyContinue | Remove-LvsLab -ErrorAction SilentlyContinue
    foreach ($ns in (Get-LabNamespaces $tag)) { ip netns del $ns 2>$null }
    $env:LVSTOOLS_LAB_STATE = $savedState
    $env:LVSTOOLS_ROLE_STATE_DIR = $savedRoleState
    if (Test-Path $stateDir) { Remove-Item $stateDir -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'A NAT lab on the host' -Skip:$skipHost {
    BeforeAll {
        $script:lab = New-LvsLab -Mode Nat -RealServerCount 2 -SorryServer -Name "$tag-nat" -Port 8080
    }

    It 'is written down and listed Ready' {
        $lab.Status | Should -Be 'Ready'
        Test-Path (Join-Path $stateDir "$tag-nat.json") | Should -BeTrue
        $got = Get-LvsLab -Name "$tag-nat"
        $got.Status | Should -Be 'Ready'
        $got.ServerProcessId | Should -Be $lab.ServerProcessId
        $got.RealServerAddresses | Should -Be $lab.RealServerAddresses
        @(Get-LvsLab -Name "$tag-n*").Name | Should -Contain "$tag-nat"
    }

    It 'has exactly its namespaces' {
        Get-LabNamespaces "$tag-nat-" | Sort-Object | Should -Be (@($lab.Namespaces) | Sort-Object)
        $lab.Namespaces | Should -HaveCount 6
    }

    It 'builds the NAT topology: addresses, routes and forwarding on the director (ip reads them back)' {
        Get-Addr $lab.Director eth0 | Should -Be '10.76.0.1/16'
        Get-Addr $lab.Director eth1 | Should -Be '10.77.0.1/16'
        Get-Addr $lab.Client eth0 | Should -Be '10.76.0.2/16'
        Get-Addr $lab.RealServers[1] eth0 | Should -Be '10.77.1.2/16'
        Get-Addr $lab.SorryServer eth0 | Should -Be '10.77.2.1/16'
        Get-DefaultGateway $lab.RealServers[0] | Should -Be '10.77.0.1'
        Get-DefaultGateway $lab.Client | Should -Be '10.76.0.1'
        ip netns exec $lab.Director cat /proc/sys/net/ipv4/ip_forward | Should -Be '1'
        ip netns exec $lab.RealServers[0] cat /proc/sys/net/ipv4/ip_forward | Should -Be '0'
        $ports = @(ip -n $lab.Switch -j link show master br0 | ConvertFrom-Json).ifname | Sort-Object
        $ports | Should -Be @('director', 'rs1', 'rs2', 'sorry')
        (ip -n $lab.Director -j link show eth0 | ConvertFrom-Json).operstate | Should -Be 'UP'
        (ip -n $lab.RealServers[0] -j link show lo | ConvertFrom-Json).flags | Should -Contain 'UP'
    }

    It 'leaves the VIP and IPVS to the script under test' {
        Get-Addr $lab.Director eth0 | Should -Not -Contain "$($lab.Vip)/32"
        $lab.Vip | Should -Be '10.76.0.100'
        $lab.VipInterface | Should -Be 'eth0'
    }

    It 'serves HTTP in every real server, seen from the client namespace through the director' {
        foreach ($i in 0, 1) {
            $r = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[$i] -Count 3
            $r.Summary.Failed | Should -Be 0
            $r.Summary.Sent | Should -Be 3
            $r.Requests.Server | Should -Be (@($lab.RealServerNames[$i]) * 3)
            $r.Requests.Lab | Should -Be (@($lab.Name) * 3)
            $r.Requests.ClientAddress | ForEach-Object { "$_" } | Should -Be (@('10.76.0.2') * 3)
            $r.Requests.ClientPort | ForEach-Object { $_ | Should -BeGreaterThan 0 }
            $r.Requests.StatusCode | Should -Be (@(200) * 3)
            $r.Summary.Servers[$lab.RealServerNames[$i]] | Should -Be 3
            $r.Target | Should -Be "$($lab.RealServerAddresses[$i]):8080"
        }
        (Invoke-LvsLabRequest -Lab $lab -Address $lab.SorryServerAddress).Requests[0].Server | Should -Be 'sorry'
    }

    It 'sends in parallel' {
        $r = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0] -Count 40 -Parallel 8
        $r.Summary.Ok | Should -Be 40
        $r.Requests.Index | Should -Be (1..40)
        $r.RequestsPerSecond | Should -BeGreaterThan 0
    }

    It '-Duration sends one request after another, -Interval apart, until the time is over' {
        $r = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0] -Duration 1.5 -Interval 0.2
        $r | Should -BeOfType ([LvsTools.LvsLabRequestResult])
        $r.Summary.Failed | Should -Be 0
        # at most one start per 200 ms over 1.5 s; at least a few even on a loaded machine
        $r.Requests.Count | Should -BeLessOrEqual 8
        $r.Requests.Count | Should -BeGreaterOrEqual 2
        $r.Requests.Index | Should -Be (1..$r.Requests.Count)
        $r.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.4
        for ($i = 1; $i -lt $r.Requests.Count; $i++) {
            ($r.Requests[$i].Time - $r.Requests[$i - 1].Time).TotalMilliseconds | Should -BeGreaterOrEqual 190
        }
        $r.Requests[-1].Time | Should -BeLessThan $r.Requests[0].Time.AddSeconds(1.5)
    }

    It '-Stream writes each request as it is done' {
        $out = @(Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[1] -Count 3 -Stream)
        $out | Should -HaveCount 3
        $out | ForEach-Object { $_ | Should -BeOfType ([LvsTools.LvsLabRequest]) }
        $out.Index | Sort-Object | Should -Be @(1, 2, 3)
        $out.Server | Should -Be @('rs2', 'rs2', 'rs2')
        $out | ForEach-Object { $_.Time | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddMinutes(-5)) }
    }

    It 'in a thread job: Receive-Job reads the requests while they run, a server going Down shows, Stop-Job ends them' {
        $job = Start-ThreadJob {
            param($Module, $Lab)
            Import-Module $Module
            Invoke-LvsLabRequest -Lab $Lab -Address $Lab.RealServerAddresses[0] -Duration 00:05:00 -Interval 0.05 -Timeout 1 -Stream
        } -ArgumentList (Get-LvsModulePath), $lab
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (@($job | Receive-Job -Keep).Count -lt 3 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $job.State | Should -Be 'Running'
            $downAt = [DateTimeOffset]::UtcNow
            Set-LvsLabServer -Lab $lab -Name rs1 -State Down
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not @($job | Receive-Job -Keep | Where-Object Time -GT $downAt).Count -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Start-Sleep -Milliseconds 300
            $job | Stop-Job
            $job.State | Should -Be 'Stopped'
            $all = @($job | Receive-Job)
            $count = $all.Count
            Start-Sleep -Milliseconds 300
            @($job | Receive-Job) | Should -BeNullOrEmpty -Because 'nothing is sent after Stop-Job'
            @($all | Where-Object Time -LT $downAt.AddMilliseconds(-50)) | ForEach-Object { $_.Ok | Should -BeTrue }
            $after = @($all | Where-Object Time -GT $downAt.AddMilliseconds(100))
            $after | Should -Not -BeNullOrEmpty
            $after.Error | Sort-Object -Unique | Should -Be 'ConnectionRefused'
            $count | Should -BeGreaterOrEqual 4
        } finally {
            $job | Remove-Job -Force
            Set-LvsLabServer -Lab $lab -Name rs1 -State Up
        }
    }

    It 'Invoke-LvsLabRequest names a bad -Duration or -Interval, and -Count and -Duration do not go together' {
        { Invoke-LvsLabRequest -Lab $lab -Duration 0 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLvsLabDuration,LvsTools.Commands.InvokeLvsLabRequestCommand'
        { Invoke-LvsLabRequest -Lab $lab -Duration 2.00:00:00 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLvsLabDuration,LvsTools.Commands.InvokeLvsLabRequestCommand' -ExpectedMessage '*2.00:00:00*'
        { Invoke-LvsLabRequest -Lab $lab -Count 2 -Interval -1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLvsLabInterval,LvsTools.Commands.InvokeLvsLabRequestCommand'
        { Invoke-LvsLabRequest -Lab $lab -Count 2 -Duration 5 -ErrorAction Stop } | Should -Throw -ErrorId 'AmbiguousParameterSet,LvsTools.Commands.InvokeLvsLabRequestCommand'
    }

    It 'fails requests to the VIP, which nothing serves yet, as results, not errors' {
        $r = Invoke-LvsLabRequest -Lab $lab -Count 2 -Timeout 1 -ErrorAction Stop
        $r.Summary.Failed | Should -Be 2
        $r.Requests.Error | Should -Not -Contain $null
    }

    Context 'Set-LvsLabServer' {
        AfterEach { Set-LvsLabServer -Lab $lab -Name rs1, rs2 -State Up }

        It 'Down refuses connections; Up answers again' {
            Set-LvsLabServer -Lab $lab -Name rs1 -State Down
            $r = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0]
            $r.Requests[0].Error | Should -Be 'ConnectionRefused'
            $r.Summary.Failed | Should -Be 1
            # the other server is not affected
            (Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[1]).Summary.Ok | Should -Be 1
            Set-LvsLabServer -Lab $lab -Name rs1 -State Up
            (Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0]).Requests[0].Server | Should -Be 'rs1'
        }

        It 'Slow answers after the delay' {
            $s = Set-LvsLabServer -Lab $lab -Index 1 -State Slow -Delay 0.6 -PassThru
            $s.Name | Should -Be 'rs2'
            $s.State | Should -Be 'Slow'
            $s.DelayMilliseconds | Should -Be 600
            $r = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[1] -Timeout 5
            $r.Requests[0].Server | Should -Be 'rs2'
            $r.Requests[0].Latency.TotalMilliseconds | Should -BeGreaterOrEqual 600
        }

        It 'Hang accepts and never answers' {
            Set-LvsLabServer -Lab $lab -Name rs1 -State Hang
            $r = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0] -Timeout 0.7
            $r.Requests[0].Error | Should -Be 'Timeout'
            $r.Requests[0].Latency.TotalMilliseconds | Should -BeGreaterOrEqual 650
        }

        It 'names the server or index it does not know' {
            { Set-LvsLabServer -Lab $lab -Name rs9 -State Down -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabServerNotFound,LvsTools.Commands.SetLvsLabServerCommand'
            { Set-LvsLabServer -Lab $lab -Index 2 -State Down -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLvsLabServerIndex,LvsTools.Commands.SetLvsLabServerCommand'
            { Set-LvsLabServer -Lab $lab -Name rs1 -State Slow -Delay -1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLvsLabServerDelay,LvsTools.Commands.SetLvsLabServerCommand'
        }

        It '-WhatIf changes nothing' {
            Set-LvsLabServer -Lab $lab -Name rs1 -State Down -WhatIf
            (Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0]).Summary.Ok | Should -Be 1
        }
    }

    It 'Invoke-LvsLabRequest names a bad address' {
        { Invoke-LvsLabRequest -Lab $lab -Address 'not-an-ip' } | Should -Throw -ErrorId 'InvalidIPAddress,LvsTools.Commands.InvokeLvsLabRequestCommand'
    }
}

Describe 'Two labs at once, and a lab whose creating process was killed' -Skip:$skipHost {
    BeforeAll {
        # The second lab is built by another process, which is then killed: its lab must stay whole and reachable.
        $script:name2 = "$tag-dr6"
        $p = Start-Pwsh "New-LvsLab -Mode DirectRouting -AddressFamily IPv6 -RealServerCount 1 -Name $name2 | Out-Null; Start-Sleep 600"
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while (-not ((Get-LvsLab -Name $name2 -ErrorAction SilentlyContinue).Status -eq 'Ready') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        $p.Kill()
        $p.WaitForExit()
        $script:lab2 = Get-LvsLab -Name $name2
        $script:lab1 = New-LvsLab -Mode DirectRouting -RealServerCount 1 -Name "$tag-dr4"
    }

    It 'the lab outlives the process that made it' {
        $lab2.Status | Should -Be 'Ready'
        $r = Invoke-LvsLabRequest -Lab $lab2 -Address $lab2.RealServerAddresses[0]
        $r.Requests[0].Server | Should -Be 'rs1'
        $r.Requests[0].Lab | Should -Be $name2
        "$($r.Requests[0].ClientAddress)" | Should -Be '2001:db8:77::2'
        Get-Addr $lab2.RealServers[0] eth0 | Should -Be '2001:db8:77::1:1/64'
        Get-DefaultGateway $lab2.RealServers[0] -6 | Should -Be '2001:db8:77::1'
    }

    It 'two labs with the same addresses never see each other' {
        $lab1.RealServerAddresses[0] | Should -Be '10.77.1.1'
        (Invoke-LvsLabRequest -Lab $lab1 -Address 10.77.1.1).Requests[0].Lab | Should -Be "$tag-dr4"
        # the same address from the other lab's client reaches nothing (an IPv6 lab has no IPv4 address)
        (Invoke-LvsLabRequest -Lab $lab2 -Address 10.77.1.1 -Timeout 1).Summary.Failed | Should -Be 1
        Set-LvsLabServer -Lab $lab1 -Name rs1 -State Down
        (Invoke-LvsLabRequest -Lab $lab2 -Address $lab2.RealServerAddresses[0]).Summary.Ok | Should -Be 1
        Set-LvsLabServer -Lab $lab1 -Name rs1 -State Up
    }

    It 'Get-LvsLab | Remove-LvsLab cleans up everything: processes, namespaces, state files' {
        $marker2 = Join-Path $stateDir "$name2.json"
        Get-MarkedProcesses $marker2 | Should -HaveCount 1
        Get-LvsLab -Name "$tag-dr*" | Remove-LvsLab
        Get-LabNamespaces "$tag-dr" | Should -BeNullOrEmpty
        Get-MarkedProcesses $marker2 | Should -BeNullOrEmpty
        Get-MarkedProcesses (Join-Path $stateDir "$tag-dr4.json") | Should -BeNullOrEmpty
        Get-ChildItem $stateDir -Filter "$tag-dr*" | Should -BeNullOrEmpty
        Get-LvsLab -Name "$tag-dr*" | Should -BeNullOrEmpty
    }

    It 'a lab whose state file was overwritten is removed by name' {
        $name4 = "$tag-junk"
        ip netns add "$name4-rs1"
        Set-Content -Path (Join-Path $stateDir "$name4.json") -Value 'not json'
        Get-LvsLab -Name "$tag-j*" -WarningVariable w -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$w" | Should -BeLike "*Remove-LvsLab -Name $name4*"
        Remove-LvsLab -Name $name4
        Get-LabNamespaces "$name4-" | Should -BeNullOrEmpty
        Test-Path (Join-Path $stateDir "$name4.json") | Should -BeFalse
    }

    It 'a lab killed while it was being built is removed completely' {
        $name3 = "$tag-kill"
        $p = Start-Pwsh "New-LvsLab -Mode Nat -RealServerCount 20 -Name $name3"
        $state = Join-Path $stateDir "$name3.json"
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-Path $state) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        Start-Sleep -Milliseconds 300
        $p.Kill()
        $p.WaitForExit()
        Get-LvsLab -Name $name3 | Should -Not -BeNullOrEmpty
        Remove-LvsLab -Name $name3
        Get-LabNamespaces "$name3-" | Should -BeNullOrEmpty
        Get-MarkedProcesses $state | Should -BeNullOrEmpty
        Test-Path $state | Should -BeFalse
    }
}

Describe 'Bad input: a clear error and nothing left behind' -Skip:$skipHost {
    BeforeAll {
        $script:held = New-LvsLab -Mode Nat -RealServerCount 1 -Name "$tag-held"
        $script:before = @(Get-LabNamespaces $tag)
        $script:labsBefore = @(Get-LvsLab).Count
    }
    AfterEach {
        @(Get-LabNamespaces $tag) | Should -Be $before
        @(Get-LvsLab).Count | Should -Be $labsBefore
        Get-MarkedProcesses "$tag-bad" | Should -BeNullOrEmpty
    }
    AfterAll { $held | Remove-LvsLab }

    It 'an unknown mode' {
        { New-LvsLab -Mode Bridge -Name "$tag-bad" } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,LvsTools.Commands.NewLvsLabCommand' -ExpectedMessage '*Bridge*Nat*DirectRouting*Tunnel*'
    }

    It '<Count> real servers' -ForEach @(@{ Count = 0 }, @{ Count = 300 }) {
        { New-LvsLab -Mode Nat -RealServerCount $Count -Name "$tag-bad" } | Should -Throw -ErrorId 'ParameterArgumentValidationError,LvsTools.Commands.NewLvsLabCommand' -ExpectedMessage "*$Count*"
    }

    It 'a name in use' {
        { New-LvsLab -Mode Nat -Name "$tag-held" -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabExists,LvsTools.Commands.NewLvsLabCommand' -ExpectedMessage "*$tag-held*"
        (Get-LvsLab -Name "$tag-held").Status | Should -Be 'Ready'
    }

    It 'a name whose namespace someone else holds (which stays theirs)' {
        ip netns add "$tag-bad-rs1"
        try {
            { New-LvsLab -Mode Nat -Name "$tag-bad" -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabExists,LvsTools.Commands.NewLvsLabCommand' -ExpectedMessage "*$tag-bad-rs1*"
            Get-LabNamespaces "$tag-bad" | Should -Be "$tag-bad-rs1"
        } finally { ip netns del "$tag-bad-rs1" }
    }

    It 'an invalid name' {
        { New-LvsLab -Mode Nat -Name 'Bad_Name' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLvsLabName,LvsTools.Commands.NewLvsLabCommand' -ExpectedMessage '*Bad_Name*'
    }

    It 'HTTP servers that do not start in time: the half-built lab is removed' {
        { New-LvsLab -Mode Nat -Name "$tag-bad" -StartTimeout 0.05 -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabServerFailed,LvsTools.Commands.NewLvsLabCommand'
    }

    It '-WhatIf builds nothing' {
        New-LvsLab -Mode Tunnel -Name "$tag-bad" -WhatIf | Should -BeNullOrEmpty
    }

    It 'a lab that is not there' {
        { Remove-LvsLab -Name "$tag-none" -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabNotFound,LvsTools.Commands.RemoveLvsLabCommand'
        { Get-LvsLab -Name "$tag-none" -ErrorAction Stop } | Should -Throw -ErrorId 'LvsLabNotFound,LvsTools.Commands.GetLvsLabCommand'
    }
}

Describe 'IPVS through a lab: NAT, DirectRouting and Tunnel' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        # tunl0, the real servers' end of LVS-TUN, comes with the ipip module (in every namespace).
        if (-not (Test-Path /sys/module/ipip)) { modprobe ipip }
        $script:labs = [ordered]@{}
        $script:results = @{}
        $cases = [ordered]@{
            Nat           = @{ Mode = 'Nat'; Family = 'IPv4'; Method = 'Masquerade' }
            DirectRouting = @{ Mode = 'DirectRouting'; Family = 'IPv4'; Method = 'Route' }
            Tunnel        = @{ Mode = 'Tunnel'; Family = 'IPv4'; Method = 'Tunnel' }
            NatIPv6       = @{ Mode = 'Nat'; Family = 'IPv6'; Method = 'Masquerade' }
        }
        foreach ($key in $cases.Keys) {
            $c = $cases[$key]
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $lab = New-LvsLab -Mode $c.Mode -AddressFamily $c.Family -RealServerCount 2 -Name "$tag-$($key.ToLowerInvariant())"
            Write-Host "New-LvsLab $key`: $($watch.ElapsedMilliseconds) ms"
            $labs[$key] = $lab
            $single = if ($c.Family -eq 'IPv6') { 128 } else { 32 }
            # The director, as the user's script would set it up: the VIP, the service, the real servers.
            Add-LvsVirtualIp -NetNamespace $lab.Director -InterfaceName $lab.VipInterface -IPAddress $lab.Vip -PrefixLength $single |
                New-LvsService -Protocol Tcp -Port $lab.Port -Scheduler rr |
                Add-LvsRealServer -Address @($lab.RealServerAddresses | ForEach-Object { "$_" }) -Port $lab.Port -ForwardingMethod $c.Method | Out-Null
            # An IPv6 VIP answers once duplicate address detection is over (its Tentative flag clears).
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ([DateTime]::UtcNow -lt $deadline -and
                (Get-NetAlias -NetNamespace $lab.Director -IPAddress $lab.Vip).Flags.HasFlag([LvsTools.AddressFlags]::Tentative)) { Start-Sleep -Milliseconds 200 }
            # The real servers' role, as the user's script would set it: the ARP switches, then the VIP on lo (DR) or on
            # tunl0 up with rp_filter off (TUN: the lab's tunnel real servers share the client's segment, and Linux
            # answers ARP for the VIP on tunl0 too, so the ARP switches matter there as well).
            if ($c.Mode -ne 'Nat') {
                foreach ($rs in $lab.RealServers) {
                    Enable-LvsRealServerRole -NetNamespace $rs -VirtualAddress $lab.Vip -Mode $c.Mode -ErrorAction Stop | Out-Null
                }
            }
            $results[$key] = Invoke-LvsLabRequest -Lab $lab -Count 10 -Timeout 5
        }
    }
    AfterAll { $labs.Values | Remove-LvsLab }

    It '<_>: every request answered through the VIP, round robin over both real servers' -ForEach 'Nat', 'DirectRouting', 'Tunnel', 'NatIPv6' {
        $r = $results[$_]
        $lab = $labs[$_]
        $r.Target | Should -BeLike "*$($lab.Vip)*"
        @($r.Requests | Where-Object Error | ForEach-Object Error) | Should -BeNullOrEmpty
        $r.Summary.Ok | Should -Be 10
        $r.Summary.Servers.rs1 | Should -Be 5
        $r.Summary.Servers.rs2 | Should -Be 5
        # No SNAT in any mode: the real server sees the client's own address.
        $r.Requests.ClientAddress | ForEach-Object { "$_" } | Sort-Object -Unique | Should -Be "$($lab.ClientAddress)"
        $r.Requests.Lab | Sort-Object -Unique | Should -Be $lab.Name
    }

    It 'Set-LvsLabServer Down: IPVS still sends there, and those requests are refused' {
        $lab = $labs.Nat
        Set-LvsLabServer -Lab $lab -Name rs2 -State Down
        try {
            $r = Invoke-LvsLabRequest -Lab $lab -Count 4 -Timeout 5
            $r.Summary.Servers.rs1 | Should -Be 2
            @($r.Requests | Where-Object Error).Error | Sort-Object -Unique | Should -Be 'ConnectionRefused'
        } finally { Set-LvsLabServer -Lab $lab -Name rs2 -State Up }
    }
}
