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

# The issue's fleet proof in the IPVS kernel: a lab's director and real servers become "machines" with their own sshd;
# one script in the admin namespace sets the real servers' role and the director's table over remoting, and the
# client's requests through the VIP reach every real server. Each remote session starts a pwsh in the guest: slow
# (tens of seconds), so the sessions are opened once and the whole cluster is one test.
Describe 'An LVS-DR cluster built over SSH remoting' -Tag Kernel -Skip:($skipIpvs -or -not (Test-MachinesAvailable)) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'LvsLab.psm1') -Force
        $lab = New-LvsLab -Mode DirectRouting -RealServerCount 2 -Configure
        $map = [ordered]@{ dir1 = $lab.Director }
        for ($i = 0; $i -lt $lab.RealServers.Count; $i++) { $map["rs$($i + 1)"] = $lab.RealServers[$i] }
        $fleet = New-TestMachines -Namespace $map
        $doc = Join-Path $fleet.Folder 'lb.json'
        $realServers = ($lab.RealServerAddresses | ForEach-Object { "{ `"address`": `"$_`", `"port`": $($lab.Port), `"forwarding`": `"route`" }" }) -join ', '
        Set-Content $doc -Value "{ `"schemaVersion`": 1, `"services`": [ { `"protocol`": `"tcp`", `"address`": `"$($lab.Vip)`", `"port`": $($lab.Port), `"scheduler`": `"rr`", `"realServers`": [ $realServers ] } ] }"
    }
    AfterAll {
        Remove-TestMachines $fleet
        if ($lab) { Remove-LvsLab -Lab $lab }
    }

    It 'Enable-LvsRealServerRole on the real servers and Sync-LvsConfiguration on the director, from one admin script' {
        $script = @'
$rs = New-PSSession -HostName @($Machines.Keys | Where-Object { $_ -like 'rs*' } | ForEach-Object { $Machines[$_] }) -ErrorAction Stop
$dir = New-PSSession -HostName $Machines.dir1 -ErrorAction Stop
Invoke-Command -Session $rs { Import-Module $using:Module; Enable-LvsRealServerRole -VirtualAddress '{VIP}' -Mode DirectRouting -Interface eth0 | Out-Null }
Invoke-Command -Session $dir {
    Import-Module $using:Module
    Add-LvsVirtualIp -InterfaceName eth0 -IPAddress '{VIP}' -PrefixLength 32 | Out-Null
    Sync-LvsConfiguration -Path '{DOC}' -Confirm:$false | Out-Null
}
Invoke-Command -Session $dir { Get-LvsService | Get-LvsRealServer } | Format-Table | Out-String -Width 200
$rs + $dir | Remove-PSSession
'@ -replace '\{VIP\}', $lab.Vip -replace '\{DOC\}', $doc
        $r = Invoke-FromAdmin $fleet $script -TimeoutSec 900
        $r.ExitCode | Should -Be 0 -Because ($r.Output -join "`n")
        ($r.Output -join "`n") | Should -Match ([regex]::Escape($lab.Vip))
        $answers = Invoke-LvsLabRequest -Lab $lab -Count 12
        $answers.Summary.failed | Should -Be 0 -Because ($answers.Requests | Out-String)
        @($answers.Requests.Server | Sort-Object -Unique).Count | Should -Be $lab.RealServers.Count -Because 'requests through the VIP reach every real server'
    }
}
