# Concurrent writers, as users run them: runspaces of one `ForEach-Object -Parallel`, and separate pwsh processes
# (Start-Job), all writing to one network namespace at once. Each writer waits at a start line so that they really run
# together; each runs its operations as separate cmdlet calls (one lock hold each). Cross-checked with `ip -j addr` and
# `ipvsadm -S -n`. Virtual IPs run on the host kernel; the tests with IPVS carry the tag Kernel (the UML guest).
# Sizes: LVSTOOLS_CONCURRENCY_OPS operations per process (default 500, as issue 7 asks; 100 in the UML guest), LVSTOOLS_CONCURRENCY_ROUNDS
# rounds of concurrent Syncs (default 3).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipHost = -not (Test-KernelTestsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:module = (Resolve-Path (Get-LvsModulePath)).Path
    # In the UML guest (one CPU, every syscall through ptrace) an IPVS operation costs ~0.3-0.7 s, so CI runs 4 x 100
    # there; the host runs the full 4 x 500 (VIP adds and removes). LVSTOOLS_CONCURRENCY_OPS=500 gives the full size in UML.
    $script:opsPerProcess = if ($env:LVSTOOLS_CONCURRENCY_OPS) { [int] $env:LVSTOOLS_CONCURRENCY_OPS } elseif ($env:LVSTOOLS_KERNEL -eq 'uml') { 100 } else { 500 }
    $script:syncRounds = if ($env:LVSTOOLS_CONCURRENCY_ROUNDS) { [int] $env:LVSTOOLS_CONCURRENCY_ROUNDS } else { 3 }

    function Get-VipAddress([int] $Process, [int] $N) { '10.{0}.{1}.{2}' -f (100 + $Process), [math]::Floor($N / 250), ($N % 250 + 1) }
    function Get-ServiceAddress([int] $Process, [int] $N) { '10.{0}.{1}.{2}' -f (110 + $Process), [math]::Floor($N / 250), ($N % 250 + 1) }

    # The operations of one writer: a known sequence on addresses and services of its own, so the sequential result is
    # known; with -Ipvs also edits of one real server and one service that all writers share, each writer changing
    # another setting (a read-modify-write: without the lock one writer's edit undoes another's).
    function New-OperationList([int] $Process, [int] $Count, [switch] $Ipvs) {
        $list = [System.Collections.Generic.List[object]]::new()
        for ($c = 0; $list.Count -lt $Count; $c++) {
            if (-not $Ipvs) {
                $cycle = @(
                    @{ Kind = 'AddVip'; Address = Get-VipAddress $Process (3 * $c) }
                    @{ Kind = 'AddVip'; Address = Get-VipAddress $Process (3 * $c + 1) }
                    @{ Kind = 'RemoveVip'; Address = Get-VipAddress $Process (3 * $c) }
                    @{ Kind = 'AddVip'; Address = Get-VipAddress $Process (3 * $c + 2) }
                    @{ Kind = 'RemoveVip'; Address = Get-VipAddress $Process (3 * $c + 1) })
            }
            else {
                $svc = Get-ServiceAddress $Process $c
                $shared = switch ($Process) {
                    0 { @{ Kind = 'SetShared'; Field = 'Weight'; Value = $c % 90 + 2 } }
                    1 { @{ Kind = 'SetShared'; Field = 'UpperThreshold'; Value = 1000 + $c } }
                    2 { @{ Kind = 'SetShared'; Field = 'LowerThreshold'; Value = $c + 1 } }
                    default { @{ Kind = 'SetSharedService'; Value = @('rr', 'wrr', 'lc', 'sh')[$c % 4] } }
                }
                $cycle = @(
                    @{ Kind = 'AddVip'; Address = Get-VipAddress $Process (2 * $c) }
                    @{ Kind = 'AddVip'; Address = Get-VipAddress $Process (2 * $c + 1) }
                    @{ Kind = 'RemoveVip'; Address = Get-VipAddress $Process (2 * $c) }
                    @{ Kind = 'NewService'; Service = $svc }
                    @{ Kind = 'AddRealServer'; Service = $svc; RealServer = "10.120.0.$($Process + 1):$(8000 + 1)" }
                    @{ Kind = 'AddRealServer'; Service = $svc; RealServer = "10.120.0.$($Process + 1):$(8000 + 2)" }
                    $shared
                    @{ Kind = 'RemoveRealServer'; Service = $svc; RealServer = "10.120.0.$($Process + 1):$(8000 + 2)" }
                    @{ Kind = 'SetRealServer'; Service = $svc; RealServer = "10.120.0.$($Process + 1):$(8000 + 1)"; Value = $c % 50 + 2 }
                    $(if ($c % 2) { @{ Kind = 'RemoveService'; Service = Get-ServiceAddress $Process ($c - 1) } } else { $shared }))
            }
            foreach ($op in $cycle) { if ($list.Count -lt $Count) { $list.Add($op) } }
        }
        for ($i = 0; $i -lt $list.Count; $i++) { $list[$i].I = $i }
        , $list.ToArray()
    }

    # One writer process: imports the module, warms up, waits at the start line, runs its operations one cmdlet call
    # each, and reports every operation's outcome and what the cmdlet wrote out.
    $script:writer = {
        param([string] $Module, [string] $Namespace, [string] $OperationsJson, [string] $Barrier, [string] $Name)
        $ErrorActionPreference = 'Stop'
        Import-Module $Module
        $ops = $OperationsJson | ConvertFrom-Json
        $null = Get-NetAlias -NetNamespace $Namespace
        $null = New-Item -ItemType File -Path (Join-Path $Barrier "ready-$Name")
        while (-not (Test-Path (Join-Path $Barrier 'go'))) { Start-Sleep -Milliseconds 10 }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $shared = @{ NetNamespace = $Namespace; VirtualAddress = '10.99.0.1'; VirtualPort = 80; Address = '10.99.1.1:80' }
        $results = foreach ($op in $ops) {
            try {
                $out = switch ($op.Kind) {
                    'AddVip' { Add-LvsVirtualIp -NetNamespace $Namespace -InterfaceName veth0 -IPAddress $op.Address | ForEach-Object { "$($_.IPAddress) $($_.Label)" } }
                    'RemoveVip' { Remove-LvsVirtualIp -NetNamespace $Namespace -InterfaceName veth0 -IPAddress $op.Address -PassThru -Confirm:$false | ForEach-Object { "$($_.IPAddress)" } }
                    'NewService' { New-LvsService -NetNamespace $Namespace -VirtualAddress $op.Service -Port 80 -Scheduler rr | ForEach-Object { "$($_.Key)" } }
                    'AddRealServer' { Add-LvsRealServer -NetNamespace $Namespace -VirtualAddress $op.Service -VirtualPort 80 -Address $op.RealServer -ForwardingMethod Masquerade | ForEach-Object Endpoint }
                    'SetRealServer' { Set-LvsRealServer -NetNamespace $Namespace -VirtualAddress $op.Service -VirtualPort 80 -Address $op.RealServer -Weight $op.Value -PassThru | ForEach-Object Weight }
                    'RemoveRealServer' { Remove-LvsRealServer -NetNamespace $Namespace -VirtualAddress $op.Service -VirtualPort 80 -Address $op.RealServer -Confirm:$false }
                    'RemoveService' { Remove-LvsService -NetNamespace $Namespace -VirtualAddress $op.Service -Port 80 -Confirm:$false }
                    'SetShared' {
                        $set = @{ $op.Field = $op.Value }
                        Set-LvsRealServer @shared @set -PassThru | ForEach-Object { $_.($op.Field) }
                    }
                    'SetSharedService' { Set-LvsService -NetNamespace $Namespace -VirtualAddress 10.99.0.1 -Port 80 -Scheduler $op.Value -PassThru | ForEach-Object Scheduler }
                }
                [pscustomobject]@{ I = $op.I; Kind = $op.Kind; Ok = $true; Out = "$out" }
            }
            catch {
                [pscustomobject]@{ I = $op.I; Kind = $op.Kind; Ok = $false; Out = "$($_.FullyQualifiedErrorId): $_" }
            }
        }
        [pscustomobject]@{ Name = $Name; Seconds = $watch.Elapsed.TotalSeconds; Results = @($results) }
    }

    # Starts one job (a pwsh process) per writer, opens the start line when all are ready, returns what each reported.
    function Invoke-Writers([string] $Namespace, [object[]] $Lists) {
        $barrier = Join-Path $TestDrive ('barrier-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $barrier | Out-Null
        $jobs = @(for ($p = 0; $p -lt $Lists.Count; $p++) {
                Start-Job -ScriptBlock $writer -ArgumentList $module, $Namespace, ($Lists[$p] | ConvertTo-Json -Depth 3 -Compress), $barrier, "p$p"
            })
        try {
            Wait-Ready -Barrier $barrier -Jobs $jobs
            $watch = [Diagnostics.Stopwatch]::StartNew()
            New-Item -ItemType File -Path (Join-Path $barrier 'go') | Out-Null
            $reports = $jobs | Receive-Job -Wait
            [pscustomobject]@{ Seconds = $watch.Elapsed.TotalSeconds; Reports = @($reports | Sort-Object Name) }
        }
        finally { $jobs | Remove-Job -Force }
    }

    # Waits until every job has written its ready-* file (pwsh starts slowly in UML: up to 15 minutes).
    function Wait-Ready([string] $Barrier, [object[]] $Jobs) {
        $deadline = (Get-Date).AddMinutes(15)
        while (@(Get-ChildItem $Barrier -Filter 'ready-*').Count -lt $Jobs.Count) {
            if ((Get-Date) -gt $deadline -or @($Jobs | Where-Object State -In 'Failed', 'Completed', 'Stopped').Count) {
                throw "writers did not start: $($Jobs | ForEach-Object { $_.State; $_ | Receive-Job 2>&1 })"
            }
            Start-Sleep -Milliseconds 200
        }
    }

    # The sequential result: the writers' operations applied one after another to a model of the table. The writers
    # touch disjoint objects but for the shared real server and service, where each changes a setting of its own, so
    # the order among writers does not matter and the result is the same for any interleaving that loses nothing.
    # Returns the virtual IPs, and the IPVS table as "service SCHED" and "service -> real server WEIGHT" lines.
    function Get-SequentialResult([object[]] $Lists) {
        $vips = [System.Collections.Generic.HashSet[string]]::new()
        $services = [ordered]@{ '10.99.0.1:80' = @{ Scheduler = 'rr'; Reals = @{ '10.99.1.1:80' = 1 } } }
        $shared = @{ Weight = 1; UpperThreshold = 1000; LowerThreshold = 0 }
        foreach ($list in $Lists) {
            foreach ($op in $list) {
                switch ($op.Kind) {
                    'AddVip' { $null = $vips.Add($op.Address) }
                    'RemoveVip' { $null = $vips.Remove($op.Address) }
                    'NewService' { $services["$($op.Service):80"] = @{ Scheduler = 'rr'; Reals = @{} } }
                    'AddRealServer' { $services["$($op.Service):80"].Reals[$op.RealServer] = 1 }
                    'RemoveRealServer' { $services["$($op.Service):80"].Reals.Remove($op.RealServer) }
                    'SetRealServer' { $services["$($op.Service):80"].Reals[$op.RealServer] = $op.Value }
                    'RemoveService' { $services.Remove("$($op.Service):80") }
                    'SetShared' { $shared[$op.Field] = $op.Value; if ($op.Field -eq 'Weight') { $services['10.99.0.1:80'].Reals['10.99.1.1:80'] = $op.Value } }
                    'SetSharedService' { $services['10.99.0.1:80'].Scheduler = $op.Value }
                }
            }
        }
        $table = foreach ($key in $services.Keys) {
            "$key $($services[$key].Scheduler)"
            foreach ($r in $services[$key].Reals.Keys) { "$key -> $r $($services[$key].Reals[$r])" }
        }
        [pscustomobject]@{ Vips = @($vips | Sort-Object); Table = @($table | Sort-Object); Shared = $shared }
    }

    # `ipvsadm -S -n` as the same lines: "-A -t VIP:PORT -s SCHED" and "-a -t VIP:PORT -r RIP:PORT -m -w WEIGHT".
    function Get-IpvsadmTable([string] $Namespace) {
        @(foreach ($line in ip netns exec $Namespace ipvsadm -S -n) {
                if ($line -match '^-A -t (\S+) .*-s (\S+)') { "$($Matches[1]) $($Matches[2])" }
                elseif ($line -match '^-a -t (\S+) -r (\S+) .*-w (\d+)') { "$($Matches[1]) -> $($Matches[2]) $($Matches[3])" }
            }) | Sort-Object
    }

    # The IPv4 addresses of veth0 as "address label" pairs.
    function Get-Vip([string] $Namespace) {
        foreach ($l in (ip -n $Namespace -4 -j addr show dev veth0 | ConvertFrom-Json)) {
            foreach ($a in @($l.addr_info)) { [pscustomobject]@{ Ip = $a.local; Label = $a.label } }
        }
    }

    function Get-IpvsadmRule([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -S -n | Where-Object { $_ } | Sort-Object) }
}

Describe 'Concurrent writers: 8 runspaces of one process' -Skip:$skipHost {
    BeforeAll {
        $ns = New-TestNamespace
        $watch = [Diagnostics.Stopwatch]::StartNew()
        # Each runspace adds 25 addresses with automatic labels, one cmdlet call each, all at once.
        $reported = 1..8 | ForEach-Object -Parallel {
            Import-Module $using:module
            $w = $_
            foreach ($i in 1..25) {
                Add-LvsVirtualIp -NetNamespace $using:ns -InterfaceName veth0 -IPAddress "10.77.$w.$i" |
                    ForEach-Object { [pscustomobject]@{ Ip = "$($_.IPAddress)"; Label = $_.Label } }
            }
        } -ThrottleLimit 8
        $seconds = $watch.Elapsed.TotalSeconds
        $kernel = @(Get-Vip $ns)
        Write-Host ("8 runspaces x 25 Add-LvsVirtualIp: {0:0.0} s, {1} reported, {2} in the kernel, {3} distinct labels" -f
            $seconds, @($reported).Count, $kernel.Count, @($kernel.Label | Sort-Object -Unique).Count)
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'all 200 addresses are there: nothing lost' {
        @($kernel.Ip | Sort-Object) | Should -Be @(1..8 | ForEach-Object { $w = $_; 1..25 | ForEach-Object { "10.77.$w.$_" } } | Sort-Object)
    }

    It 'the 200 labels are distinct, veth0:1 to veth0:200' {
        @($kernel.Label | Sort-Object -Unique).Count | Should -Be 200
        @($kernel.Label | Sort-Object { [int]($_ -replace '^veth0:') }) | Should -Be @(1..200 | ForEach-Object { "veth0:$_" })
    }

    It 'every alias a runspace reported is in the kernel with the label reported' {
        @($reported).Count | Should -Be 200
        $byAddress = @{}; foreach ($k in $kernel) { $byAddress[$k.Ip] = $k.Label }
        foreach ($r in $reported) { $byAddress[$r.Ip] | Should -Be $r.Label -Because $r.Ip }
    }
}

Describe 'The writers'' lock: a held lock makes writers wait, -WhatIf does not' -Skip:$skipHost {
    BeforeAll {
        $ns = New-TestNamespace
        $lockFile = [LvsTools.Core.WriterLock]::PathFor([LvsTools.Core.NetNamespace]::Resolve($ns))
        Add-LvsVirtualIp -NetNamespace $ns veth0 10.66.0.1 | Out-Null   # creates the lock file
        # util-linux flock(1) holds it from another process (-o: the lock is flock's own, not its child's).
        $holder = Start-Process flock -ArgumentList '-o', '-x', $lockFile, 'sleep', '60' -PassThru
        $deadline = (Get-Date).AddSeconds(20)
        do { flock -n -E 3 $lockFile true; $held = $LASTEXITCODE -eq 3 } until ($held -or (Get-Date) -gt $deadline)
        $before = Get-AddressSnapshot $ns
        $oldTimeout = $env:LVSTOOLS_LOCK_TIMEOUT
        $env:LVSTOOLS_LOCK_TIMEOUT = '1'
    }
    AfterAll {
        $env:LVSTOOLS_LOCK_TIMEOUT = $oldTimeout
        if ($holder) { Get-Content "/proc/$($holder.Id)/task/$($holder.Id)/children" -ErrorAction SilentlyContinue | ForEach-Object { $_ -split ' ' } | Where-Object { $_ } | ForEach-Object { Stop-Process -Id $_ -ErrorAction SilentlyContinue }; Stop-Process -Id $holder.Id -ErrorAction SilentlyContinue }
        Remove-TestNamespace $ns
    }

    It 'flock(1) holds the lock' { $held | Should -BeTrue }

    It '-WhatIf neither waits nor sends' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Add-LvsVirtualIp -NetNamespace $ns veth0 10.66.0.2 -WhatIf
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 1
        Get-AddressSnapshot $ns | Should -Be $before
    }

    It 'a writer gives up after LVSTOOLS_LOCK_TIMEOUT with LvsLockTimeout naming the holder, and changes nothing' {
        $err = $null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Add-LvsVirtualIp -NetNamespace $ns veth0 10.66.0.2 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
        $err[0].FullyQualifiedErrorId | Should -Be 'LvsLockTimeout,LvsTools.Commands.AddLvsVirtualIpCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        $err[0].Exception.Message | Should -Match "held by pid $($holder.Id) \(flock\)"
        $err[0].Exception.Message | Should -Match ([regex]::Escape($lockFile))
        Get-AddressSnapshot $ns | Should -Be $before
    }

    It 'readers need no lock' {
        (Get-NetAlias -NetNamespace $ns -InterfaceName veth0 -AddressFamily IPv4).IPAddress.IPAddressToString | Should -Be '10.66.0.1'
    }
}

Describe 'Concurrent writers: 4 processes adding and removing virtual IPs' -Skip:$skipHost {
    BeforeAll {
        $ns = New-TestNamespace
        $lists = @(0..3 | ForEach-Object { , (New-OperationList -Process $_ -Count $opsPerProcess) })
        $expected = Get-SequentialResult $lists
        $run = Invoke-Writers -Namespace $ns -Lists $lists
        $concurrent = $run.Reports
        $results = @($concurrent | ForEach-Object Results)
        $kernel = @(Get-Vip $ns)
        Write-Host ("4 processes x {0} operations on virtual IPs: {1:0.0} s (slowest writer {2:0.0} s), {3} failed, {4} addresses at the end" -f
            $opsPerProcess, $run.Seconds, ($concurrent | Measure-Object Seconds -Maximum).Maximum, @($results | Where-Object { -not $_.Ok }).Count, $kernel.Count)
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'every operation succeeded' {
        @($results).Count | Should -Be (4 * $opsPerProcess)
        @($results | Where-Object { -not $_.Ok } | ForEach-Object Out) | Should -BeNullOrEmpty
    }

    It 'the addresses equal the sequential result: nothing lost, nothing extra' {
        @($kernel.Ip | Sort-Object) | Should -Be $expected.Vips
    }

    It 'no label is used twice' {
        @($kernel.Label | Sort-Object -Unique).Count | Should -Be $kernel.Count
    }

    It 'every reported add and remove happened' {
        $byAddress = @{}; foreach ($k in $kernel) { $byAddress[$k.Ip] = $k.Label }
        $removed = @{}
        foreach ($r in $results | Where-Object Kind -EQ 'RemoveVip') { $removed[$r.Out] = $true; $byAddress.ContainsKey($r.Out) | Should -BeFalse -Because "$($r.Out) was reported removed" }
        foreach ($r in $results | Where-Object Kind -EQ 'AddVip') {
            $address, $label = $r.Out -split ' '
            if (-not $removed[$address]) { $byAddress[$address] | Should -Be $label -Because "$address was reported added" }
        }
    }
}

Describe 'Concurrent writers: 4 processes of mixed virtual IP and IPVS operations' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace
        '-A -t 10.99.0.1:80 -s rr', '-a -t 10.99.0.1:80 -r 10.99.1.1:80 -m -w 1 -x 1000 -y 0' | ip netns exec $ns ipvsadm -R
        $lists = @(0..3 | ForEach-Object { , (New-OperationList -Process $_ -Count $opsPerProcess -Ipvs) })
        $expected = Get-SequentialResult $lists
        $run = Invoke-Writers -Namespace $ns -Lists $lists
        $concurrent = $run.Reports
        $results = @($concurrent | ForEach-Object Results)
        $kernel = @(Get-Vip $ns)
        $rules = Get-IpvsadmTable $ns
        Write-Host ("4 processes x {0} mixed operations: {1:0.0} s (slowest writer {2:0.0} s), {3} failed, {4} addresses and {5} ipvsadm rules at the end" -f
            $opsPerProcess, $run.Seconds, ($concurrent | Measure-Object Seconds -Maximum).Maximum, @($results | Where-Object { -not $_.Ok }).Count,
            $kernel.Count, $rules.Count)
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'every operation succeeded' {
        @($results).Count | Should -Be (4 * $opsPerProcess)
        @($results | Where-Object { -not $_.Ok } | ForEach-Object Out) | Should -BeNullOrEmpty
    }

    It 'the IPVS table equals the sequential result (ipvsadm -S -n)' {
        $rules | Should -Be $expected.Table
    }

    It 'the shared real server keeps every writer''s last edit: no edit undid another' {
        $got = Get-LvsRealServer -NetNamespace $ns -VirtualAddress 10.99.0.1 -VirtualPort 80
        '{0} {1} {2}' -f $got.Weight, $got.UpperThreshold, $got.LowerThreshold |
            Should -Be ('{0} {1} {2}' -f $expected.Shared.Weight, $expected.Shared.UpperThreshold, $expected.Shared.LowerThreshold)
    }

    It 'the addresses equal the sequential result and no label is used twice' {
        @($kernel.Ip | Sort-Object) | Should -Be $expected.Vips
        @($kernel.Label | Sort-Object -Unique).Count | Should -Be $kernel.Count
    }

    It 'every value a Set reported is the one it wrote' {
        foreach ($report in $concurrent) {
            $list = $lists[[int]$report.Name.Substring(1)]
            foreach ($r in $report.Results | Where-Object Kind -In 'SetShared', 'SetRealServer', 'SetSharedService') {
                $r.Out | Should -Be "$($list[$r.I].Value)" -Because "$($report.Name) operation $($r.I)"
            }
        }
    }
}

Describe 'Concurrent Syncs: the table always equals exactly one document' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        # Four documents of 50 services: 40 with the same keys but another scheduler and other real servers in each
        # (so that a mix shows), 10 of each document's own (so that a leftover shows).
        $docs = foreach ($k in 0..3) {
            $lines = foreach ($i in 1..40) {
                "-A -t 10.130.0.${i}:80 -s $(@('rr', 'wrr', 'lc', 'sh')[$k])"
                "-a -t 10.130.0.${i}:80 -r 10.131.$k.${i}:80 -m -w $($k + 1)"
                "-a -t 10.130.0.${i}:80 -r 10.132.$k.${i}:80 -m -w $($k + 1)"
            }
            $lines += foreach ($i in 1..10) {
                "-A -t 10.$(140 + $k).0.${i}:80 -s rr"
                "-a -t 10.$(140 + $k).0.${i}:80 -r 10.133.$k.${i}:80 -m -w 1"
            }
            $path = Join-Path $TestDrive "doc$k.json"
            Set-Content -Path $path -Value ($lines | ConvertFrom-IpvsadmRule).ToJson()
            $path
        }
        # What each document makes of the table, alone.
        $expected = foreach ($d in $docs) {
            Sync-LvsConfiguration -NetNamespace $ns -Path $d -Confirm:$false | Out-Null
            , (Get-IpvsadmRule $ns)
        }
        $barrier = Join-Path $TestDrive 'sync-barrier'
        New-Item -ItemType Directory -Path $barrier | Out-Null
        $jobs = foreach ($k in 0..3) {
            Start-Job -ArgumentList $module, $ns, $docs[$k], $barrier, $k, $syncRounds -ScriptBlock {
                param($Module, $Namespace, $Document, $Barrier, $K, $Rounds)
                Import-Module $Module
                $null = Get-LvsService -NetNamespace $Namespace
                $null = New-Item -ItemType File -Path (Join-Path $Barrier "ready-$K")
                foreach ($r in 1..$Rounds) {
                    while (-not (Test-Path (Join-Path $Barrier "go-$r"))) { Start-Sleep -Milliseconds 10 }
                    $errors = @()
                    $result = Sync-LvsConfiguration -NetNamespace $Namespace -Path $Document -Confirm:$false -ErrorVariable +errors -ErrorAction SilentlyContinue
                    [pscustomobject]@{ K = $K; Round = $r; Errors = @($errors | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }); Changes = $result.Steps.Count }
                    $null = New-Item -ItemType File -Path (Join-Path $Barrier "done-$r-$K")
                }
            }
        }
        try {
            Wait-Ready -Barrier $barrier -Jobs $jobs
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $tables = foreach ($r in 1..$syncRounds) {
                New-Item -ItemType File -Path (Join-Path $barrier "go-$r") | Out-Null
                while (@(Get-ChildItem $barrier -Filter "done-$r-*").Count -lt 4) {
                    if (@($jobs | Where-Object State -In 'Failed', 'Stopped').Count) { throw "a sync writer failed: $($jobs | Receive-Job 2>&1)" }
                    Start-Sleep -Milliseconds 50
                }
                , (Get-IpvsadmRule $ns)
            }
            $seconds = $watch.Elapsed.TotalSeconds
            $reports = @($jobs | Receive-Job -Wait)
        }
        finally { $jobs | Remove-Job -Force }
        $hits = foreach ($t in $tables) {
            $hit = @(for ($k = 0; $k -lt 4; $k++) { if (($t -join "`n") -eq ($expected[$k] -join "`n")) { $k } })
            if ($hit.Count -eq 1) { $hit[0] } else { -1 }
        }
        Write-Host ("{0} rounds of 4 concurrent Sync-LvsConfiguration (50 services each): {1:0.0} s; the table equalled document {2}" -f
            $syncRounds, $seconds, ($hits -join ', '))
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'the four documents make four different tables' {
        @($expected | ForEach-Object { $_ -join "`n" } | Sort-Object -Unique).Count | Should -Be 4
        $expected[0].Count | Should -Be 140
    }

    It 'after every round the table equals exactly one document, never a mix' {
        $hits | Should -Not -Contain -1
        @($hits).Count | Should -Be $syncRounds
    }

    It 'no Sync reported an error' {
        @($reports).Count | Should -Be (4 * $syncRounds)
        @($reports | ForEach-Object Errors) | Should -BeNullOrEmpty
    }
}
