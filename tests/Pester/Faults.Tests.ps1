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
            switch ("$($s.Action)") {
                'Create' { $Present.Contains($s.Target) }
                'Delete' { -not $Present.Contains($s.Target) }
                default { throw "a step this test does not expect: $s" }
            }
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

    # Every service and real server the kernel holds must be exactly as the document has it (no half-applied step).
    function Assert-CompleteObject([string] $Namespace, [string] $DocumentPath) {
        $want = @{}
        foreach ($s in ([LvsTools.LvsConfigurationDocument]::FromJson((Get-Content -Raw $DocumentPath))).Services) {
            $rs = $s.RealServers; $s.RealServers = @()
            $want[$s.Address] = @{ Service = ($s | ConvertTo-Json -Compress -Depth 5); Real = @{} }
            foreach ($r in $rs) { $want[$s.Address].Real[$r.Address] = $r | ConvertTo-Json -Compress -Depth 5 }
        }
        $have = Export-LvsConfiguration -NetNamespace $Namespace
        foreach ($s in $have.Services) {
            $w = $want[$s.Address]
            $w | Should -Not -BeNullOrEmpty -Because "service $($s.Address) is in the document"
            $rs = $s.RealServers; $s.RealServers = @()
            ($s | ConvertTo-Json -Compress -Depth 5) | Should -Be $w.Service -Because "service $($s.Address) has all its options"
            foreach ($r in $rs) { ($r | ConvertTo-Json -Compress -Depth 5) | Should -Be $w.Real[$r.Address] -Because "real server $($r.Address) has all its settings" }
        }
    }
}

Describe 'A kernel refusing one step in the middle of a batch' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        # The kernel takes a real server only on an address of unicast (or local) type in its local routing table:
        # a blackhole route there makes it refuse 10.0.9.5 with EINVAL, while LvsTools' own checks find it valid.
        ip -n $ns route add blackhole 10.0.9.0/24 table local
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
        ip -n $ns route del blackhole 10.0.9.0/24 table local
        $rerun = Import-LvsConfiguration -NetNamespace $ns -InputObject $doc
        $afterRerun = Get-IpvsadmRule $ns

        # The same with Sync, on a table that has an extra service to delete.
        $ns2 = New-TestNamespace -NoVeth
        ip -n $ns2 route add blackhole 10.0.9.0/24 table local
        '-A -t 10.0.0.9:80 -s rr', '-a -t 10.0.0.9:80 -r 10.0.1.91:80 -g -w 1' | ip netns exec $ns2 ipvsadm -R
        $syncErr = $null
        $sync = Sync-LvsConfiguration -NetNamespace $ns2 -InputObject $doc -Confirm:$false -ErrorVariable syncErr -ErrorAction SilentlyContinue
        $syncPresent = Get-TargetSet $ns2
        ip -n $ns2 route del blackhole 10.0.9.0/24 table local
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

# A child pwsh imports (or syncs) 5,000 services with one real server each; once the kernel shows that writing has
# begun, it gets SIGINT, SIGTERM or SIGKILL. Child processes are dear in UML (pwsh starts in about 10-20 s there), so
# there are six, one per signal and cmdlet, each in a namespace of its own.
Describe 'A process killed while it writes a large document (<Verb>, SIG<Signal>)' -Tag Kernel -Skip:$skipKernel -ForEach @(
    @{ Verb = 'Import'; Signal = 'INT' }
    @{ Verb = 'Import'; Signal = 'TERM' }
    @{ Verb = 'Import'; Signal = 'KILL' }
    @{ Verb = 'Sync'; Signal = 'INT' }
    @{ Verb = 'Sync'; Signal = 'TERM' }
    @{ Verb = 'Sync'; Signal = 'KILL' }
) {
    BeforeAll {
        $count = 5000
        $ns = New-TestNamespace -NoVeth
        $docPath = Join-Path $TestDrive "$Verb-$Signal.json"
        New-LargeDocument $count $docPath
        if ($Verb -eq 'Sync') {
            # Something to delete: 200 services the document does not have, and a real server it does not have.
            New-LargeDocument 200 (Join-Path $TestDrive 'extra.json') -Offset 100000
            Import-LvsConfiguration -NetNamespace $ns -Path (Join-Path $TestDrive 'extra.json') | Out-Null
        }
        # The plan, as the child will make it (the same document on the same table).
        $plan = (& "$Verb-LvsConfiguration" -NetNamespace $ns -Path $docPath -WhatIf).Steps
        $marker = Join-Path $TestDrive "$Verb-$Signal.started"
        $resultFile = Join-Path $TestDrive "$Verb-$Signal.result.json"
        $childScript = Join-Path $TestDrive 'child.ps1'
        Set-Content -LiteralPath $childScript -Value @'
param($Module, $Ns, $Doc, $Verb, $Marker, $ResultFile)
Import-Module $Module
Set-Content -LiteralPath $Marker -Value $PID
$r = & "$Verb-LvsConfiguration" -NetNamespace $Ns -Path $Doc -Confirm:$false
[pscustomobject]@{ Applied = $r.Applied; Failed = $r.Failed; NotRun = $r.NotRun; Cancelled = $r.Cancelled; WritesSent = $r.WritesSent } |
    ConvertTo-Json | Set-Content -LiteralPath $ResultFile
'@
        $pwsh = (Get-Process -Id $PID).Path
        [string[]] $pwshArgs = if ((Split-Path $pwsh -Leaf) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
        $proc = Start-Process -FilePath $pwsh -PassThru -RedirectStandardOutput (Join-Path $TestDrive "$Verb-$Signal.out") -RedirectStandardError (Join-Path $TestDrive "$Verb-$Signal.err") -ArgumentList (
            @($pwshArgs) + @('-NoProfile', '-NonInteractive', '-File', $childScript, (Get-LvsModulePath), $ns, $docPath, $Verb, $marker, $resultFile))
        # Wait until the child writes: the service of the plan's 50th step exists (or, for Sync, has gone).
        $probe = $plan[49]
        $probeAddress = ($probe.Target -split '\s+')[1] -replace ':\d+$', ''
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $sentAt = $null
        while (-not $proc.HasExited -and $clock.Elapsed.TotalSeconds -lt 300) {
            Start-Sleep -Milliseconds 200
            if (-not (Test-Path $marker)) { continue }
            $exists = [bool](Get-LvsService -NetNamespace $ns -VirtualAddress $probeAddress -ErrorAction SilentlyContinue)
            if ($exists -eq ("$($probe.Action)" -eq 'Create')) {
                kill -s $Signal $proc.Id
                $sentAt = $clock.Elapsed
                break
            }
        }
        $exited = $proc.WaitForExit(120000)
        if (-not $exited) { kill -s KILL $proc.Id; $proc.WaitForExit(10000) | Out-Null }
        $childResult = if (Test-Path $resultFile) { Get-Content -Raw $resultFile | ConvertFrom-Json } else { $null }
        $present = Get-TargetSet $ns
        $done = @(Get-DoneFlag $plan $present)
        $doneCount = @($done | Where-Object { $_ }).Count
        $rerunClock = [Diagnostics.Stopwatch]::StartNew()
        $rerun = & "$Verb-LvsConfiguration" -NetNamespace $ns -Path $docPath -Confirm:$false
        $rerunSeconds = $rerunClock.Elapsed.TotalSeconds
        $final = Export-LvsConfiguration -NetNamespace $ns
        Write-Host ("{0} killed by SIG{1} after {2:n1} s: {3} of {4} steps in the kernel; the rerun took {5:n1} s" -f $Verb, $Signal, $sentAt.TotalSeconds, $doneCount, $plan.Count, $rerunSeconds)
    }
    AfterAll { Remove-TestNamespace $ns }

    It '<Verb>: the signal SIG<Signal> reached the child while it was writing, and the child ended' {
        $sentAt | Should -Not -BeNullOrEmpty -Because 'the kill must land while the child writes'
        $exited | Should -BeTrue
        $doneCount | Should -BeLessThan $plan.Count -Because 'the child must not have finished before the signal'
    }

    It '<Verb> after SIG<Signal>: the kernel holds the result of a prefix of the plan' {
        $firstNotDone = [array]::IndexOf($done, $false)
        if ($firstNotDone -ge 0) {
            @($done[$firstNotDone..($done.Count - 1)] | Where-Object { $_ }) | Should -BeNullOrEmpty -Because "steps after step $firstNotDone must not be done"
        }
    }

    It '<Verb> after SIG<Signal>: every service and real server present is complete' {
        Assert-CompleteObject $ns $docPath
    }

    It '<Verb> after SIG<Signal>: what the child reported, if anything, matches the kernel' {
        if ($childResult) {
            $childResult.Applied | Should -Be $doneCount
            $childResult.Failed | Should -Be 0
        }
    }

    It '<Verb> after SIG<Signal>: a rerun sends only the missing steps and converges to the document' {
        $rerun.Failed | Should -Be 0
        $rerun.Applied | Should -Be ($plan.Count - $doneCount)
        $rerun.WritesSent | Should -Be ($plan.Count - $doneCount)
        $final.Services | Should -HaveCount $count
        $wanted = [LvsTools.LvsConfigurationDocument]::FromJson((Get-Content -Raw $docPath))
        @($final | ConvertTo-IpvsadmRule | Sort-Object) | Should -Be @($wanted | ConvertTo-IpvsadmRule | Sort-Object)
    }
}
