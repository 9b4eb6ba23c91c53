# Faults while writing: a kernel that refuses one step in the middle of a batch, and a process killed by SIGINT,
# SIGTERM or SIGKILL while it imports or syncs a large document. The rule under test: all or nothing per step (a
# service never exists with part of its options, a real server never with part of its settings), the kernel's table is
# the result of a prefix of the plan, nothing is reported that did not happen, and a rerun converges, sending only the
# missing steps.
#
# ENOBUFS on a large dump has no kernel case here, because it cannot be provoked on purpose: a netlink dump is paced
# by its reader (the kernel fills the next part of a dump only from recvmsg, once the socket's receive queue is at most
# half full), so a dump by itself never overflows the receive buffer, whatever its size; the socket's buffer size is
# not a parameter of Core (NetlinkConnection sets it once). The engine's restart after an ENOBUFS (a fresh socket, the
# dump read again from the start) is covered with the fake transport in
# tests/LvsTools.Core.Tests/Netlink/EngineTests.cs (Dump_after_enobufs_restarts_on_a_fresh_socket).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
    $script:combos = if ($env:LVSTOOLS_FAULTS_ALL) { foreach ($v in 'Import', 'Sync') { foreach ($sig in 'INT', 'TERM', 'KILL') { @{ Verb = $v; Signal = $sig } } } }
    else { @{ Verb = 'Import'; Signal = 'INT' }, @{ Verb = 'Sync'; Signal = 'TERM' }, @{ Verb = 'Import'; Signal = 'KILL' } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # `ipvsadm -S -n` as sorted lines.
    function Get-IpvsadmRule([string] $Namespace) { @(ip netns exec $Namespace ipvsadm -S -n | Where-Object { $_ } | Sort-Object) }

    # The objects of a namespace as plan targets: "TCP  10.0.0.1:80" and "TCP  10.0.0.1:80 -> 10.0.1.11:80".
    function Get-TargetSet([string] $Namespace) {
        $set = [Collections.Generic.HashSet[string]]::new()
        foreach ($s in @(Get-LvsService -NetNamespace $Namespace)) { $null = $set.Add($s.Key.ToString()) }
        foreach ($r in @(Get-LvsRealServer -NetNamespace $Namespace)) { $null = $set.Add(('{0} -> {1}' -f $r.Service, $r.Endpoint)) }
        , $set
    }

    # Which steps of a plan the kernel shows as done (Create: the object exists; Delete: it does not).
    function Get-DoneFlag($Steps, $Present) {
        foreach ($s in $Steps) {
            $a = "$($s.Action)"
            if ($a -eq 'Create') { $Present.Contains($s.Target) }
            elseif ($a -eq 'Delete') { -not $Present.Contains($s.Target) }
            else { throw "a step this test does not expect: $s" }
        }
    }

    # A document of $Count services, each with every option it can have and one real server with every setting.
    function New-LargeDocument([int] $Count, [string] $Path, [int] $Offset = 0) {
        $sb = [Text.StringBuilder]::new('{"schemaVersion":1,"services":[')
        for ($i = 0; $i -lt $Count; $i++) {
            $n = $i + $Offset
            $vip = '10.{0}.{1}.{2}' -f (100 + [math]::Floor($n / 65536)), ([math]::Floor($n / 256) % 256), ($n % 256)
            $rs = '10.{0}.{1}.{2}' -f (200 + [math]::Floor($n / 65536)), ([math]::Floor($n / 256) % 256), ($n % 256)
            if ($i) { $null = $sb.Append(',') }
            $null = $sb.Append('{"protocol":"tcp","address":"' + $vip + '","port":80,"scheduler":"sh","schedulerFlags":["sh-port"],' +
                '"persistence":{"timeout":600,"netmask":"255.255.255.0"},' +
                '"realServers":[{"address":"' + $rs + '","port":8080,"forwarding":"masquerade","weight":7,"upperThreshold":100,"lowerThreshold":10}]}')
        }
        $null = $sb.Append(']}')
        [IO.File]::WriteAllText($Path, $sb.ToString())
    }

    # A service entry and a real server entry as one line of every setting (no JSON serializer: 10,000 of those are dear in UML).
    function Format-ServiceEntry($s) {
        $p = if ($s.Persistence) { '{0}/{1}' -f $s.Persistence.Timeout, $s.Persistence.Netmask } else { '-' }
        '{0} {1}:{2} fwm{3} {4} {5} [{6}] p{7} pe{8} o{9}' -f $s.Protocol, $s.Address, $s.Port, $s.FirewallMark, $s.Family, $s.Scheduler, (@($s.SchedulerFlags) -join ','), $p, $s.PersistenceEngine, $s.OnePacket
    }
    function Format-RealServerEntry($r) {
        '{0}:{1} {2} w{3} u{4} l{5} t{6}' -f $r.Address, $r.Port, $r.Forwarding, $r.Weight, $r.UpperThreshold, $r.LowerThreshold, $(if ($r.Tunnel) { '{0}/{1}/{2}' -f $r.Tunnel.Type, $r.Tunnel.Port, $r.Tunnel.Checksum })
    }

    # Every service and real server the kernel holds must be exactly as the document has it (no half-applied step).
    function Assert-CompleteObject($Have, $Want) {
        $byAddress = @{}
        foreach ($s in $Want.Services) {
            $real = @{}
            foreach ($r in $s.RealServers) { $real[$r.Address] = Format-RealServerEntry $r }
            $byAddress[$s.Address] = @{ Service = (Format-ServiceEntry $s); Real = $real }
        }
        $bad = [Collections.Generic.List[string]]::new()
        foreach ($s in $Have.Services) {
            $w = $byAddress[$s.Address]
            if (-not $w) { $bad.Add("service $($s.Address) is not in the document"); continue }
            if ((Format-ServiceEntry $s) -ne $w.Service) { $bad.Add("service: $(Format-ServiceEntry $s) instead of $($w.Service)") }
            foreach ($r in $s.RealServers) {
                if ((Format-RealServerEntry $r) -ne $w.Real[$r.Address]) { $bad.Add("real server: $(Format-RealServerEntry $r) instead of $($w.Real[$r.Address])") }
            }
        }
        $bad | Should -BeNullOrEmpty
    }
}

Describe 'A kernel refusing one step in the middle of a batch' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        # The kernel takes a real server only on an address of unicast (or local) type in its local routing table
        # (inet_addr_type): a broadcast route for 10.0.9.5 there makes it refuse that real server with EINVAL, while
        # LvsTools' own checks find the address valid. (A blackhole route would not do: its lookup fails, which the
        # kernel counts as unicast.)
        ip -n $ns route add broadcast 10.0.9.5 dev lo table local
        if ($LASTEXITCODE) { throw 'ip route add broadcast failed' }
        $rules = @(
            '-A -t 10.0.0.1:80 -s wrr'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 1'
            '-a -t 10.0.0.1:80 -r 10.0.9.5:80 -g -w 2'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 3'
            '-A -t 10.0.0.2:80 -s rr'
            '-a -t 10.0.0.2:80 -r 10.0.1.21:80 -g -w 1'
            '-A -u 10.0.0.3:53 -s lc'
            '-a -u 10.0.0.3:53 -r 10.0.1.31:53 -m -w 1'
        )
        $doc = $rules | ConvertFrom-IpvsadmRule
        $err = $null
        $first = Import-LvsConfiguration -NetNamespace $ns -InputObject $doc -ErrorVariable err -ErrorAction SilentlyContinue
        $afterFirst = Get-IpvsadmRule $ns
        $present = Get-TargetSet $ns
        ip -n $ns route del broadcast 10.0.9.5 dev lo table local
        $rerun = Import-LvsConfiguration -NetNamespace $ns -InputObject $doc
        $afterRerun = Get-IpvsadmRule $ns

        # The same with Sync, on a table that has an extra service to delete.
        $ns2 = New-TestNamespace -NoVeth
        ip -n $ns2 route add broadcast 10.0.9.5 dev lo table local
        '-A -t 10.0.0.9:80 -s rr', '-a -t 10.0.0.9:80 -r 10.0.1.91:80 -g -w 1' | ip netns exec $ns2 ipvsadm -R
        $syncErr = $null
        $sync = Sync-LvsConfiguration -NetNamespace $ns2 -InputObject $doc -Confirm:$false -ErrorVariable syncErr -ErrorAction SilentlyContinue
        $syncPresent = Get-TargetSet $ns2
        ip -n $ns2 route del broadcast 10.0.9.5 dev lo table local
        $syncRerun = Sync-LvsConfiguration -NetNamespace $ns2 -InputObject $doc -Confirm:$false
        $afterSync = Get-IpvsadmRule $ns2
        $refused = '-a -t 10.0.0.1:80 -r 10.0.9.5:80 -g -w 2'
    }
    AfterAll { Remove-TestNamespace $ns; Remove-TestNamespace $ns2 }

    It 'Import applies every other step and reports the refused one against its real server' {
        $first.Steps | Should -HaveCount 8
        $first.Failed | Should -Be 1
        $first.Applied | Should -Be 7
        $failed = @($first.Steps | Where-Object Status -EQ 'Failed')
        $failed[0].Target | Should -Be 'TCP  10.0.0.1:80 -> 10.0.9.5:80'
        $afterFirst | Should -Be @($rules | Where-Object { $_ -ne $refused } | Sort-Object)
    }

    It 'Import reports the refusal as an error record naming the real server, with the kernel''s reason mapped' {
        @($err) | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LvsRealServer*,LvsTools.Commands.ImportLvsConfigurationCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($err[0].TargetObject)" | Should -BeLike '*10.0.9.5:80*'
        $err[0].Exception.Message | Should -Not -Match '(?m)^\s+at '
    }

    It 'Import reports as applied exactly what the kernel holds' {
        foreach ($s in $first.Steps) {
            $present.Contains($s.Target) | Should -Be ($s.Status -eq 'Applied') -Because "$($s.Target) is $($s.Status)"
        }
    }

    It 'a rerun of the Import sends only the missing step and converges' {
        $rerun.Steps | Should -HaveCount 1
        $rerun.Steps[0].Target | Should -Be 'TCP  10.0.0.1:80 -> 10.0.9.5:80'
        $rerun.Applied | Should -Be 1
        $rerun.WritesSent | Should -Be 1
        $afterRerun | Should -Be @($rules | Sort-Object)
    }

    It 'Sync deletes the extra service, applies every other step, reports the refused one, and a rerun converges' {
        $sync.Failed | Should -Be 1
        @($sync.Steps | Where-Object Status -EQ 'Failed')[0].Target | Should -Be 'TCP  10.0.0.1:80 -> 10.0.9.5:80'
        @($syncErr) | Should -HaveCount 1
        foreach ($s in $sync.Steps) {
            $done = if ("$($s.Action)" -eq 'Delete') { -not $syncPresent.Contains($s.Target) } else { $syncPresent.Contains($s.Target) }
            $done | Should -Be ($s.Status -eq 'Applied') -Because "$($s.Action) $($s.Target) is $($s.Status)"
        }
        $syncRerun.Steps | Should -HaveCount 1
        $syncRerun.WritesSent | Should -Be 1
        $afterSync | Should -Be @($rules | Sort-Object)
    }
}

# A child pwsh imports (or syncs) a large document (services with every option and one real server each) and gets
# SIGINT, SIGTERM or SIGKILL while it writes. To land the signal inside the writes every time (a batched import of
# thousands of steps takes well under a second of kernel time), the parent single-steps the child once it is about
# to call the cmdlet: SIGCONT, 10 ms, SIGSTOP, and a look at /proc/<pid>/net/ip_vs of a `sleep` started in the
# child's namespace (a file read, not a process per look); as soon as the service count moves, the signal is sent
# (a stopped process cannot be inside a netlink request: it stops only on its way back to user space).
#
# Cost in UML: a child pwsh takes one to two minutes to start there, and every read of a large table takes seconds,
# so by default the document has 2,000 services (4,000 steps) and three children run: Import + SIGINT, Sync +
# SIGTERM, Import + SIGKILL. LVSTOOLS_FAULTS_SERVICES=5000 and LVSTOOLS_FAULTS_ALL=1 run the full matrix (each signal
# during Import and during Sync) on a large document.
Describe 'A process killed while it writes a large document' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Combos = $combos }) {
    BeforeAll {
        $count = if ($env:LVSTOOLS_FAULTS_SERVICES) { [int]$env:LVSTOOLS_FAULTS_SERVICES } else { 2000 }
        $docPath = Join-Path $TestDrive 'large.json'
        $extraPath = Join-Path $TestDrive 'extra.json'
        New-LargeDocument $count $docPath
        $wantDoc = [LvsTools.LvsConfigurationDocument]::FromJson((Get-Content -Raw $docPath))
        # For Sync, something to delete first: 200 services the document does not have.
        New-LargeDocument 200 $extraPath -Offset 100000
        # The plans, as every child will make them (the same document on the same table).
        $planNs = New-TestNamespace -NoVeth
        $plans = @{ Import = (Import-LvsConfiguration -NetNamespace $planNs -Path $docPath -WhatIf).Steps }
        Import-LvsConfiguration -NetNamespace $planNs -Path $extraPath | Out-Null
        $plans.Sync = (Sync-LvsConfiguration -NetNamespace $planNs -Path $docPath -WhatIf).Steps
        Remove-TestNamespace $planNs
        # What `ipvsadm -S -n` must read back once converged (it does not print thresholds).
        $wanted = @($wantDoc | ConvertTo-IpvsadmRule | ForEach-Object { $_ -replace ' -x \d+ -y \d+', '' } | Sort-Object)

        Add-Type -Namespace LvsTest -Name Posix -MemberDefinition '[System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] public static extern int kill(int pid, int sig);'
        $signals = @{ INT = 2; KILL = 9; TERM = 15; CONT = 18; STOP = 19 }

        $childScript = Join-Path $TestDrive 'child.ps1'
        Set-Content -LiteralPath $childScript -Value @'
param($Module, $Ns, $Doc, $Verb, $Marker, $ResultFile)
Import-Module $Module
$null = Get-Command "$Verb-LvsConfiguration"
Set-Content -LiteralPath $Marker -Value $PID
$r = & "$Verb-LvsConfiguration" -NetNamespace $Ns -Path $Doc -Confirm:$false
[pscustomobject]@{ Applied = $r.Applied; Failed = $r.Failed; NotRun = $r.NotRun; Cancelled = $r.Cancelled; WritesSent = $r.WritesSent } |
    ConvertTo-Json | Set-Content -LiteralPath $ResultFile
'@
        $pwsh = (Get-Process -Id $PID).Path
        [string[]] $pwshArgs = if ((Split-Path $pwsh -Leaf) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }

        function Get-ServiceCount([string] $File) { @([IO.File]::ReadAllLines($File) | Where-Object { $_.StartsWith('TCP') }).Count }

        # Runs one child, single-steps it from the marker on, signals it when the table starts to change, and
        # collects what the assertions need.
        function Invoke-KilledRun([string] $Verb, [string] $Signal) {
            $ns = New-TestNamespace -NoVeth
            if ($Verb -eq 'Sync') { Import-LvsConfiguration -NetNamespace $ns -Path $extraPath | Out-Null }
            $watch = Start-Process -FilePath ip -ArgumentList 'netns', 'exec', $ns, 'sleep', '1800' -PassThru
            # Until it is in the namespace (its /proc/PID/net is the namespace's from then on).
            $ours = (Get-Item /proc/self/ns/net).LinkTarget
            while ((Get-Item "/proc/$($watch.Id)/ns/net" -ErrorAction SilentlyContinue).LinkTarget -in $ours, $null) { Start-Sleep -Milliseconds 100 }
            $ipvsFile = "/proc/$($watch.Id)/net/ip_vs"
            $baseline = Get-ServiceCount $ipvsFile
            $marker = Join-Path $TestDrive "$Verb-$Signal.started"
            $resultFile = Join-Path $TestDrive "$Verb-$Signal.result.json"
            Remove-Item $marker, $resultFile -ErrorAction SilentlyContinue   # a second attempt starts clean
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $proc = Start-Process -FilePath $pwsh -PassThru -RedirectStandardOutput (Join-Path $TestDrive "$Verb-$Signal.out") -RedirectStandardError (Join-Path $TestDrive "$Verb-$Signal.err") -ArgumentList (
                @($pwshArgs) + @('-NoProfile', '-NonInteractive', '-File', $childScript, (Get-LvsModulePath), $ns, $docPath, $Verb, $marker, $resultFile))
            while (-not $proc.HasExited -and -not (Test-Path $marker) -and $clock.Elapsed.TotalSeconds -lt 600) { Start-Sleep -Milliseconds 100 }
            $sentAt = $null
            $slices = 0
            while (-not $proc.HasExited -and $clock.Elapsed.TotalSeconds -lt 900) {
                $null = [LvsTest.Posix]::kill($proc.Id, $signals.STOP)
                $slices++
                if ((Get-ServiceCount $ipvsFile) -ne $baseline) {
                    $null = [LvsTest.Posix]::kill($proc.Id, $signals[$Signal])
                    $sentAt = $clock.Elapsed
                    $null = [LvsTest.Posix]::kill($proc.Id, $signals.CONT)
                    break
                }
                $null = [LvsTest.Posix]::kill($proc.Id, $signals.CONT)
                Start-Sleep -Milliseconds 10
            }
            $exited = $proc.WaitForExit(120000)
            if (-not $exited) { $null = [LvsTest.Posix]::kill($proc.Id, $signals.KILL); $proc.WaitForExit(10000) | Out-Null }
            $childResult = if (Test-Path $resultFile) { Get-Content -Raw $resultFile | ConvertFrom-Json } else { $null }
            $after = Export-LvsConfiguration -NetNamespace $ns
            $present = [Collections.Generic.HashSet[string]]::new()
            foreach ($s in $after.Services) {
                $key = $s.ToService().Key
                $null = $present.Add($key.ToString())
                foreach ($r in $s.RealServers) { $null = $present.Add(('{0} -> {1}' -f $key, $r.ToRealServer($key).Endpoint)) }
            }
            $done = @(Get-DoneFlag $plans[$Verb] $present)
            $rerunClock = [Diagnostics.Stopwatch]::StartNew()
            $rerun = & "$Verb-LvsConfiguration" -NetNamespace $ns -Path $docPath -Confirm:$false
            $rerunSeconds = $rerunClock.Elapsed.TotalSeconds
            $final = @(ip netns exec $ns ipvsadm -S -n | Where-Object { $_ } | Sort-Object)
            $null = [LvsTest.Posix]::kill($watch.Id, $signals.KILL)
            Remove-TestNamespace $ns
            $doneCount = @($done | Where-Object { $_ }).Count
            Write-Host ("{0} got SIG{1} {2:n1} s after its start ({3} slices of 10 ms): {4} of {5} steps were in the kernel; the child {6}; the rerun took {7:n1} s; this run {8:n1} s" -f
                $Verb, $Signal, $sentAt.TotalSeconds, $slices, $doneCount, $done.Count, ($childResult ? "reported $($childResult | ConvertTo-Json -Compress)" : 'reported nothing'), $rerunSeconds, $clock.Elapsed.TotalSeconds)
            @{ SentAt = $sentAt; Exited = $exited; ChildResult = $childResult; After = $after; Done = $done; DoneCount = $doneCount; Rerun = $rerun; Final = $final; Steps = $plans[$Verb].Count }
        }
        $runs = @{}
        foreach ($c in $Combos) {
            # The child is stopped and looked at every 10 ms; on a fast run the batches it had sent before one look can
            # hold the whole plan, and a SIGKILL then finds nothing left to cut. Such a run proves nothing about a
            # cut-short write, so it is run again (at most three times; the assertions below still fail when every
            # attempt ran to the end).
            $attempt = 0
            do {
                $r = Invoke-KilledRun $c.Verb $c.Signal
                $attempt++
            } while ($c.Signal -eq 'KILL' -and $r.DoneCount -ge $r.Steps -and $attempt -lt 3)
            $runs["$($c.Verb) $($c.Signal)"] = $r
        }
    }

    It '<Verb>: SIG<Signal> reached the child once it had begun to write, and the child ended' -ForEach $combos {
        $r = $runs["$Verb $Signal"]
        $r.SentAt | Should -Not -BeNullOrEmpty -Because 'the signal must land while the child writes'
        $r.Exited | Should -BeTrue
        $r.DoneCount | Should -BeGreaterThan 0 -Because 'the child had begun to write'
        # SIGKILL stops the stopped child where it is. SIGINT and SIGTERM are handled: the cmdlet stops between two
        # chunks of 256 requests once PowerShell has passed the stop on, which may come after the last chunk.
        if ($Signal -eq 'KILL') { $r.DoneCount | Should -BeLessThan $r.Steps -Because 'SIGKILL ends the child inside its writes' }
    }

    It '<Verb> after SIG<Signal>: the kernel holds the result of a prefix of the plan' -ForEach $combos {
        $done = $runs["$Verb $Signal"].Done
        $firstNotDone = [array]::IndexOf($done, $false)
        if ($firstNotDone -ge 0) {
            @($done[$firstNotDone..($done.Count - 1)] | Where-Object { $_ }) | Should -BeNullOrEmpty -Because "steps after step $firstNotDone must not be done"
        }
    }

    It '<Verb> after SIG<Signal>: every service and real server present is complete' -ForEach $combos {
        Assert-CompleteObject $runs["$Verb $Signal"].After $wantDoc
    }

    It '<Verb> after SIG<Signal>: what the child reported, if anything, matches the kernel' -ForEach $combos {
        $r = $runs["$Verb $Signal"]
        if ($r.ChildResult) {
            $r.ChildResult.Applied | Should -Be $r.DoneCount
            $r.ChildResult.Failed | Should -Be 0
        }
    }

    It '<Verb> after SIG<Signal>: a rerun sends only the missing steps and converges to the document' -ForEach $combos {
        $r = $runs["$Verb $Signal"]
        $r.Rerun.Failed | Should -Be 0
        $r.Rerun.Applied | Should -Be ($r.Steps - $r.DoneCount)
        $r.Rerun.WritesSent | Should -Be ($r.Steps - $r.DoneCount)
        $r.Final | Should -Be $wanted
    }
}
