# Objects across PowerShell remoting: deserialized copies format as the originals do, never act here (they act where
# they were read), and a fleet of "machines" (namespaces with their own sshd, tests/Pester/Machines.psm1) is driven
# with Invoke-Command -HostName from an admin namespace, as about_LvsTools_Fleet describes.
# Every test works in namespaces of its own.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Machines.psm1') -Force
    $script:skipKernel = -not (Test-KernelTestsAvailable)
    $script:skipIpvs = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
    # A remote session starts a pwsh per machine: seconds here, minutes in the UML guest, so the fleet runs on the host.
    $script:skipFleet = -not (Test-MachinesAvailable) -or $env:LVSTOOLS_KERNEL -eq 'uml'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Machines.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Assert-LvsError

    # What Invoke-Command does to an object on its way back: serialized on the remote side, deserialized here.
    function ConvertTo-Remote($InputObject, [string] $Computer) {
        foreach ($o in @($InputObject)) {
            $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($o))
            if ($Computer) { $d | Add-Member -NotePropertyName PSComputerName -NotePropertyValue $Computer }
            $d
        }
    }
    function Get-Text($InputObject, [scriptblock] $Format = { $input | Out-String -Width 200 }) { $InputObject | & $Format }
}

Describe 'Deserialized addresses, interfaces and sysctls' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace
        Add-LvsVirtualIp -NetNamespace $ns -InterfaceName veth0 -IPAddress 10.72.0.1 -PrefixLength 24 | Out-Null
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'format as the originals: <Name>' -ForEach @(
        @{ Name = 'Get-NetInterface (ifconfig view)'; Read = { Get-NetInterface -NetNamespace $ns } ; Format = { $input | Out-String -Width 200 } }
        @{ Name = 'Get-NetInterface | Format-Table'; Read = { Get-NetInterface -NetNamespace $ns }; Format = { $input | Format-Table -AutoSize | Out-String -Width 200 } }
        @{ Name = 'Get-NetAlias'; Read = { Get-NetAlias -NetNamespace $ns }; Format = { $input | Out-String -Width 200 } }
        @{ Name = 'Get-Sysctl'; Read = { Get-Sysctl -NetNamespace $ns net.ipv4.conf.all.arp_ignore, net.ipv4.ip_forward }; Format = { $input | Out-String -Width 200 } }
        @{ Name = 'Get-IpForwarding'; Read = { Get-IpForwarding -NetNamespace $ns }; Format = { $input | Out-String -Width 200 } }
    ) {
        $local = & $Read
        $text = Get-Text $local $Format
        $text.Trim() | Should -Not -BeNullOrEmpty
        Get-Text (ConvertTo-Remote $local) $Format | Should -Be $text
    }

    It 'a deserialized address is refused with DeserializedObject, naming where it was read, and nothing is removed' {
        $copy = ConvertTo-Remote (Get-NetAlias -NetNamespace $ns -InterfaceName veth0 | Where-Object IPAddress -EQ '10.72.0.1') 'dir1'
        $err = @()
        $copy | Remove-LvsVirtualIp -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-LvsError $err 'DeserializedObject,LvsTools.Commands.RemoveLvsVirtualIpCommand' 'InvalidArgument'
        $err[0].Exception.Message | Should -BeLike "*10.72.0.1/24 on veth0 is a deserialized copy read on 'dir1'*Invoke-Command -HostName dir1*"
        Get-Ipv4Address $ns veth0 | Should -Contain '10.72.0.1'
        $err = @()
        ConvertTo-Remote (Get-NetAlias -NetNamespace $ns -InterfaceName veth0 | Where-Object IPAddress -EQ '10.72.0.1') |
            Remove-LvsVirtualIp -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -BeLike '*deserialized copy (from PowerShell remoting, a job or Import-Clixml)*Read it again*'
        Get-Ipv4Address $ns veth0 | Should -Contain '10.72.0.1'
    }
}

Describe 'Deserialized services and real servers' -Tag Kernel -Skip:$skipIpvs {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        New-LvsService -NetNamespace $ns -Protocol Tcp -VirtualAddress 10.73.0.1 -Port 80 -Scheduler wrr -Persistent -PersistenceTimeout 120 | Out-Null
        New-LvsService -NetNamespace $ns -FirewallMark 7 -AddressFamily IPv6 -Scheduler sh -SchedulerFlag sh-port | Out-Null
        Get-LvsService -NetNamespace $ns -Port 80 | Add-LvsRealServer -Address 10.73.1.1 -Port 8080 -Weight 3 -ForwardingMethod Masquerade | Out-Null
        Get-LvsService -NetNamespace $ns -FirewallMark 7 | Add-LvsRealServer -Address 2001:db8::7 -Weight 1 -ForwardingMethod Route | Out-Null
        $before = @(ip netns exec $ns ipvsadm -S -n)
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'format as the originals: <Name>' -ForEach @(
        @{ Name = 'Get-LvsService'; Read = { Get-LvsService -NetNamespace $ns }; View = $null }
        @{ Name = 'Get-LvsService | Format-Table -View Stats'; Read = { Get-LvsService -NetNamespace $ns }; View = 'Stats' }
        @{ Name = 'Get-LvsService | Format-Table -View Rate'; Read = { Get-LvsService -NetNamespace $ns }; View = 'Rate' }
        @{ Name = 'Get-LvsRealServer'; Read = { Get-LvsService -NetNamespace $ns | Get-LvsRealServer }; View = $null }
        @{ Name = 'Get-LvsRealServer | Format-Table -View Stats'; Read = { Get-LvsService -NetNamespace $ns | Get-LvsRealServer }; View = 'Stats' }
        @{ Name = 'Get-LvsTimeout'; Read = { Get-LvsTimeout -NetNamespace $ns }; View = $null }
        @{ Name = 'Get-LvsInfo'; Read = { Get-LvsInfo -NetNamespace $ns }; View = $null }
    ) {
        $format = if ($View) { { $input | Format-Table -View $View -AutoSize | Out-String -Width 200 }.GetNewClosure() } else { { $input | Out-String -Width 200 } }
        $local = @(& $Read)
        $text = Get-Text $local $format
        $text | Should -Match '\S'
        Get-Text (ConvertTo-Remote $local) $format | Should -Be $text
    }

    It 'refuses deserialized copies in <Name>, and the table stays as it was' -ForEach @(
        @{ Name = 'Set-LvsService'; Act = { param($s, $r) $s | Set-LvsService -Scheduler rr -Confirm:$false }; Id = 'DeserializedObject,LvsTools.Commands.SetLvsServiceCommand' }
        @{ Name = 'Remove-LvsService'; Act = { param($s, $r) $s | Remove-LvsService -Confirm:$false }; Id = 'DeserializedObject,LvsTools.Commands.RemoveLvsServiceCommand' }
        @{ Name = 'Get-LvsRealServer'; Act = { param($s, $r) $s | Get-LvsRealServer }; Id = 'DeserializedObject,LvsTools.Commands.GetLvsRealServerCommand' }
        @{ Name = 'Add-LvsRealServer'; Act = { param($s, $r) $s | Add-LvsRealServer -Address 10.73.1.9 -Port 80 -Confirm:$false }; Id = 'DeserializedObject,LvsTools.Commands.AddLvsRealServerCommand' }
        @{ Name = 'Set-LvsRealServer'; Act = { param($s, $r) $r | Set-LvsRealServer -Weight 0 -Confirm:$false }; Id = 'DeserializedObject,LvsTools.Commands.SetLvsRealServerCommand' }
        @{ Name = 'Remove-LvsRealServer'; Act = { param($s, $r) $r | Remove-LvsRealServer -Confirm:$false }; Id = 'DeserializedObject,LvsTools.Commands.RemoveLvsRealServerCommand' }
        @{ Name = 'Reset-LvsStatistics'; Act = { param($s, $r) $s | Reset-LvsStatistics -Confirm:$false }; Id = 'DeserializedObject,LvsTools.Commands.ResetLvsStatisticsCommand' }
    ) {
        $s = ConvertTo-Remote (Get-LvsService -NetNamespace $ns -Port 80) 'dir2'
        $r = ConvertTo-Remote (Get-LvsService -NetNamespace $ns -Port 80 | Get-LvsRealServer) 'dir2'
        $err = @(try { & $Act $s $r 2>&1 } catch { $_ }) | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }
        Assert-LvsError $err $Id 'InvalidArgument'
        $err[0].Exception.Message | Should -BeLike "*deserialized copy read on 'dir2'*Invoke-Command -HostName dir2*"
        @(ip netns exec $ns ipvsadm -S -n) | Should -Be $before
    }
}

Describe 'A fleet driven over SSH remoting from an admin namespace' -Skip:$skipFleet {
    BeforeAll {
        $fleet = New-TestMachines -Name rs1, rs2
        $rs1 = $fleet.Machines[0]; $rs2 = $fleet.Machines[1]
    }
    AfterAll { Remove-TestMachines $fleet }

    It 'sets addresses and sysctls on every machine in one Invoke-Command, and the output says which machine' {
        $r = Invoke-FromAdmin $fleet @'
$out = Invoke-Command -HostName @($Machines.Values) {
    Import-Module $using:Module
    Set-Sysctl net.ipv4.conf.all.arp_ignore 1
    Add-LvsVirtualIp -InterfaceName lo -IPAddress 10.74.0.100 -PrefixLength 32
}
$out | Sort-Object PSComputerName | Format-Table | Out-String -Width 200
'@
        $r.ExitCode | Should -Be 0 -Because ($r.Output -join "`n")
        $text = $r.Output -join "`n"
        $text | Should -Match 'PSComputerName'
        $text | Should -Match "lo:1\s+IPv4\s+10\.74\.0\.100/32.*$([regex]::Escape($rs1.Address))"
        $text | Should -Match "lo:1\s+IPv4\s+10\.74\.0\.100/32.*$([regex]::Escape($rs2.Address))"
        foreach ($m in $fleet.Machines) {
            Get-Ipv4Address $m.Namespace lo | Should -Contain '10.74.0.100'
            ip netns exec $m.Namespace cat /proc/sys/net/ipv4/conf/all/arp_ignore | Should -Be '1'
        }
    }

    It 'with one machine unreachable, opening the sessions first fails before anything is changed anywhere' {
        $r = Invoke-FromAdmin $fleet @'
try {
    $sessions = New-PSSession -HostName (@($Machines.Values) + '10.71.99.2') -ConnectingTimeout 3000 -ErrorAction Stop
    Invoke-Command -Session $sessions { Import-Module $using:Module; Add-LvsVirtualIp -InterfaceName lo -IPAddress 10.74.0.101 -PrefixLength 32 }
}
catch { "refused: $($_.FullyQualifiedErrorId): $_"; exit 3 }
'@
        $r.ExitCode | Should -Be 3 -Because ($r.Output -join "`n")
        ($r.Output -join "`n") | Should -Match 'refused: .*10\.71\.99\.2'
        foreach ($m in $fleet.Machines) { Get-Ipv4Address $m.Namespace lo | Should -Not -Contain '10.74.0.101' }
    }
}

# The issue's fleet proof in the IPVS kernel: two directors and three real servers, each a "machine" with its own sshd.
# The public lab (New-LvsLab) gives the client, the segment and the real servers with their HTTP servers, and its
# director is dir1; dir2 is a namespace of the test's own, a second port of the lab's switch bridge. ONE script in the
# admin namespace opens every session once (each starts a pwsh in the guest: tens of seconds), sets the real servers'
# role and both directors' tables, puts the VIP on dir1 and later moves it to dir2, as an operator does without
# keepalived. Between its steps it waits for the test, which sends the client's requests through the VIP.
# The lab's cmdlets are called module-qualified: a file that imports the old private lab module shadows them.
Describe 'An LVS-DR cluster of two directors and three real servers built over SSH remoting' -Tag Kernel -Skip:($skipIpvs -or -not (Test-MachinesAvailable)) {
    BeforeAll {
        $lab = LvsTools\New-LvsLab -Mode DirectRouting -RealServerCount 3
        # dir2 on the lab's segment, with the address after the lab's director (.1) and client (.2).
        $dir2 = "lvst-$($lab.Name)-dir2"
        $bytes = $lab.DirectorAddress.GetAddressBytes(); $bytes[3] = 3
        $dir2Address = [ipaddress]::new($bytes)
        ip netns add $dir2
        ip -n $dir2 link set lo up
        ip -n $lab.Switch link add dir2 type veth peer name eth0 netns $dir2
        ip -n $lab.Switch link set dir2 master br0 up
        ip -n $dir2 addr add "$dir2Address/$($lab.PrefixLength)" dev eth0
        ip -n $dir2 link set eth0 up

        $map = [ordered]@{ dir1 = $lab.Director; dir2 = $dir2 }
        for ($i = 0; $i -lt $lab.RealServers.Count; $i++) { $map["rs$($i + 1)"] = $lab.RealServers[$i] }
        $fleet = New-TestMachines -Namespace $map
        $doc = Join-Path $fleet.Folder 'lb.json'
        @{ schemaVersion = 1; services = @(@{ protocol = 'tcp'; address = "$($lab.Vip)"; port = [int] $lab.Port; scheduler = 'rr'
            realServers = @($lab.RealServerAddresses | ForEach-Object { @{ address = "$_"; port = [int] $lab.Port; forwarding = 'route' } }) }) } |
            ConvertTo-Json -Depth 5 | Set-Content $doc

        # The admin script stops at each Step until the test has checked the cluster (NAME.ready, then NAME.go).
        $steps = Join-Path $fleet.Folder 'steps'
        New-Item -ItemType Directory -Path $steps | Out-Null
        $script = @'
function Step([string] $Name) {
    New-Item -ItemType File -Path (Join-Path '{STEPS}' "$Name.ready") | Out-Null
    while (-not (Test-Path (Join-Path '{STEPS}' "$Name.go"))) {
        if (Test-Path (Join-Path '{STEPS}' 'abort')) { "aborted by the test at $Name"; exit 4 }
        Start-Sleep -Milliseconds 200
    }
}
# Every session first, once: one machine that cannot be reached stops the script before anything changes anywhere.
$all = New-PSSession -HostName @($Machines.Values) -ErrorAction Stop
$dir1 = $all | Where-Object ComputerName -EQ $Machines.dir1
$dir2 = $all | Where-Object ComputerName -EQ $Machines.dir2
$dirs = @($dir1, $dir2)
$rs = @($all | Where-Object ComputerName -NotIn $Machines.dir1, $Machines.dir2)
Invoke-Command -Session $all { Import-Module $using:Module }
Invoke-Command -Session $rs { Enable-LvsRealServerRole -VirtualAddress '{VIP}' -Mode DirectRouting -Interface eth0 } | Out-Null
Invoke-Command -Session $dirs { Sync-LvsConfiguration -Path '{DOC}' -Confirm:$false } | Out-Null
Invoke-Command -Session $dir1 { Add-LvsVirtualIp -InterfaceName eth0 -IPAddress '{VIP}' -PrefixLength 32 } | Out-Null
Step dir1
# The VIP moves: off the active director, onto the standby.
Invoke-Command -Session $dir1 { Get-NetAlias -InterfaceName eth0 | Where-Object IPAddress -EQ '{VIP}' | Remove-LvsVirtualIp -Confirm:$false }
Invoke-Command -Session $dir2 { Add-LvsVirtualIp -InterfaceName eth0 -IPAddress '{VIP}' -PrefixLength 32 -Announce } | Out-Null
Step dir2
Invoke-Command -Session $dirs { Get-LvsService | Get-LvsRealServer } | Format-Table | Out-String -Width 200
$all | Remove-PSSession
'@ -replace '\{VIP\}', $lab.Vip -replace '\{DOC\}', $doc -replace '\{STEPS\}', $steps
        $machinesModule = Join-Path $PSScriptRoot 'Machines.psm1'
        $started = [Diagnostics.Stopwatch]::StartNew()
        $admin = Start-ThreadJob {
            Import-Module $using:machinesModule
            Invoke-FromAdmin $using:fleet $using:script -TimeoutSec 1500
        }

        # Waits until the admin script reaches a step; fails at once, with its output, when it has ended instead
        # (a thread job is NotStarted, then Running, until it ends).
        function Wait-AdminStep([string] $Name) {
            $deadline = [DateTime]::UtcNow.AddSeconds(900)
            while (-not (Test-Path (Join-Path $steps "$Name.ready"))) {
                $ended = $admin.State -notin 'NotStarted', 'Running'
                if ($ended -or [DateTime]::UtcNow -gt $deadline) {
                    if (-not $ended) { New-Item -ItemType File -Path (Join-Path $steps 'abort') -Force | Out-Null }
                    $r = $admin | Wait-Job -Timeout 60 | Receive-Job
                    throw "the admin script did not reach step $Name (exit $($r.ExitCode)): $($r.Output -join "`n")"
                }
                Start-Sleep -Milliseconds 200
            }
        }
        function Get-Mac([string] $Namespace) { if ((ip -n $Namespace -o link show eth0) -match 'link/ether (\S+)') { $Matches[1] } }
        function Get-ClientNeighbour { if ((ip -n $lab.Client neigh show $lab.Vip dev eth0) -match 'lladdr (\S+)') { $Matches[1] } }
        # The connections a director's IPVS holds for the VIP (ipvsadm -L -n -c): which director the client's packets reached.
        function Get-ConnectionCount([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -L -n -c | Select-String ([regex]::Escape("$($lab.Vip):$($lab.Port)"))).Count }
        function Assert-EveryServerAnswers {
            $answers = LvsTools\Invoke-LvsLabRequest -Lab $lab -Count 12
            $answers.Summary.Failed | Should -Be 0 -Because ($answers.Requests | Format-Table | Out-String -Width 200)
            # Summary.Servers counts every real server, answered or not: who answered is in Requests.
            @($answers.Requests | Where-Object Ok | ForEach-Object Server | Sort-Object -Unique) | Should -Be @($lab.RealServerNames) -Because 'requests through the VIP reach every real server'
        }
    }
    AfterAll {
        if ($steps) { New-Item -ItemType File -Path (Join-Path $steps 'abort') -Force | Out-Null }
        if ($admin) { $admin | Wait-Job -Timeout 120 | Out-Null; $admin | Remove-Job -Force }
        Remove-TestMachines $fleet
        if ($dir2) { ip netns del $dir2 2>$null }
        if ($lab) { LvsTools\Remove-LvsLab -InputObject $lab -Confirm:$false }
    }

    It 'one admin script sets the real servers'' role and both directors'' tables over remoting, and both tables are the same' {
        Wait-AdminStep dir1
        $one = @(ip netns exec $lab.Director ipvsadm -S -n)
        $two = @(ip netns exec $dir2 ipvsadm -S -n)
        $two | Should -Be $one
        @($one -match "^-a -t $([regex]::Escape("$($lab.Vip):$($lab.Port)")) -r 10\.77\.1\.\d+:$($lab.Port) -g").Count | Should -Be 3 -Because ($one -join "`n")
        foreach ($ns in $lab.RealServers) {
            Get-Ipv4Address $ns lo | Should -Contain "$($lab.Vip)"
            ip netns exec $ns cat /proc/sys/net/ipv4/conf/eth0/arp_ignore | Should -Be '1'
        }
    }

    It 'with the VIP on dir1, the client''s requests reach all three real servers through dir1' {
        Wait-AdminStep dir1
        try {
            Get-Ipv4Address $lab.Director eth0 | Should -Contain "$($lab.Vip)"
            Get-Ipv4Address $dir2 eth0 | Should -Not -Contain "$($lab.Vip)"
            Assert-EveryServerAnswers
            Get-ClientNeighbour | Should -Be (Get-Mac $lab.Director)
            Get-ConnectionCount $lab.Director | Should -BeGreaterThan 0
            Get-ConnectionCount $dir2 | Should -Be 0
        }
        finally { New-Item -ItemType File -Path (Join-Path $steps 'dir1.go') | Out-Null }   # the admin script goes on: the move is tested next
    }

    It 'with the VIP moved to dir2 over remoting (Add-LvsVirtualIp -Announce), the requests reach all three through dir2' {
        Wait-AdminStep dir2
        Get-Ipv4Address $lab.Director eth0 | Should -Not -Contain "$($lab.Vip)"
        Get-Ipv4Address $dir2 eth0 | Should -Contain "$($lab.Vip)"
        # The client held dir1's MAC for the VIP: Add-LvsVirtualIp -Announce on dir2 sent a gratuitous ARP (as keepalived
        # does when VRRP moves a VIP), which overrides the client's entry.
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while ((Get-ClientNeighbour) -ne (Get-Mac $dir2) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Get-ClientNeighbour | Should -Be (Get-Mac $dir2) -Because 'the gratuitous ARP moves the client''s neighbour entry for the VIP'
        Assert-EveryServerAnswers
        Get-ConnectionCount $dir2 | Should -BeGreaterThan 0
        New-Item -ItemType File -Path (Join-Path $steps 'dir2.go') | Out-Null
        $r = $admin | Receive-Job -Wait
        $r.ExitCode | Should -Be 0 -Because ($r.Output -join "`n")
        # Both directors' real servers, as Invoke-Command brought them back: three from each machine.
        $lines = ($r.Output -join "`n") -split "`n"
        @($lines -match "->\s+10\.77\.1\.\d+:$($lab.Port)\s").Count | Should -Be 6 -Because ($r.Output -join "`n")
        Write-Host "cluster: the admin script took $([int] $started.Elapsed.TotalSeconds) s (sessions, roles, tables, the VIP on dir1 and moved to dir2, with the test's checks between)"
    }
}
