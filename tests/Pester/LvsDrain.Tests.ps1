# Graceful drain (Remove-LvsRealServer -Drain) with real TCP connections through an LVS-NAT director, and
# Export-LvsMetric's real counters. IPVS exists only in the User-mode Linux kernel (tests/Uml/uml-run.sh): the
# Kernel Describe is skipped on the host; the parameter checks run anywhere (they fail before the kernel is read).
#
# One lab (New-LvsLab), one BeforeAll (UML is slow): a TCP service on VIP:9090 whose three real servers run a small
# threaded python server beside the lab's own (HTTP answered as the lab's servers answer, so Invoke-LvsLabRequest
# reads who answered; a line "HOLD" keeps the connection open until the client closes it). Two
# long-lived connections land on two servers (rr); both servers are drained in one call; the
# first connection is then reset by its client, the second lives on (-DrainTimeout 30). Meanwhile the test reads ipvsadm and sends
# requests. Then a drain is stopped as Ctrl+C stops it, and a persistent service shows its warning.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $python = if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' }
    $script:skipDrain = -not ((Test-IpvsAvailable) -and (Test-KernelTestsAvailable) -and (Test-Path $python))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'LabTraffic.psm1') -Force   # Invoke-NetnsCommand
    Import-Module (Get-LvsModulePath) -Force
    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Get-CmdletError, Assert-LvsError, Get-HostText
}

Describe 'Drain parameters are checked before anything is read or sent' {
    It '<Case>' -ForEach @(
        @{ Case = '-DrainTimeout without -Drain'; Command = 'Remove-LvsRealServer'; Params = @{ DrainTimeout = 5 }; Id = 'DrainParameterWithoutDrain' }
        @{ Case = '-WaitForUdp without -Drain'; Command = 'Remove-LvsRealServer'; Params = @{ WaitForUdp = $true }; Id = 'DrainParameterWithoutDrain' }
        @{ Case = 'a negative -DrainTimeout'; Command = 'Remove-LvsRealServer'; Params = @{ Drain = $true; DrainTimeout = -1 }; Id = 'InvalidDrainTimeout' }
        @{ Case = 'a -PollInterval of 0'; Command = 'Remove-LvsRealServer'; Params = @{ Drain = $true; PollInterval = 0 }; Id = 'InvalidPollInterval' }
        @{ Case = 'Sync: -DrainTimeout without -Drain'; Command = 'Sync-LvsConfiguration'; Params = @{ DrainTimeout = 2 }; Id = 'DrainParameterWithoutDrain' }
    ) {
        $p = $Params.Clone()
        if ($Command -eq 'Remove-LvsRealServer') { $p += @{ Address = '10.0.1.11'; VirtualAddress = '10.0.0.1'; VirtualPort = 80; NetNamespace = 'lvst-no-such-ns' } }
        else { $p += @{ Path = (Join-Path $TestDrive 'missing.json') } }
        $class = ($Command -replace '-', '') + 'Command'
        Assert-LvsError (Get-CmdletError $Command $p) "$Id,LvsTools.Commands.$class" 'InvalidArgument'
    }
}

Describe 'Remove-LvsRealServer -Drain with live TCP connections' -Tag Kernel -Skip:$skipDrain {
    BeforeAll {
        $HoldServerPy = @'
import os, socket, sys, threading
name, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', port))
s.listen(128)
open(ready, 'w').close()
def serve(c, peer):
    try:
        data = b''
        while b'\n' not in data:
            chunk = c.recv(4096)
            if not chunk:
                return
            data += chunk
        if data.startswith(b'HOLD'):
            c.sendall((name + '\n').encode())
            while c.recv(4096):
                pass
            return
        while b'\r\n\r\n' not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        body = '{"server": "%s", "client": "%s", "clientPort": %d}' % (name, peer[0], peer[1])
        c.sendall(('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s'
                   % (len(body), body)).encode())
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
'@
        # Opens COUNT connections, each answered by the name of its server; writes the names to DIR/held; closes
        # connection i with a reset (SO_LINGER 0) when DIR/close<i> appears.
        $HolderPy = @'
import os, socket, struct, sys, time
host, port, count, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
conns, names = [], []
for i in range(count):
    s = socket.create_connection((host, port), timeout=20)
    s.sendall(b'HOLD\n')
    data = b''
    while b'\n' not in data:
        chunk = s.recv(100)
        if not chunk:
            break
        data += chunk
    names.append(data.decode().strip())
    conns.append(s)
with open(os.path.join(d, 'held.tmp'), 'w') as f:
    f.write(' '.join(names))
os.rename(os.path.join(d, 'held.tmp'), os.path.join(d, 'held'))
left = set(range(count))
end = time.monotonic() + 600
while left and time.monotonic() < end:
    for i in list(left):
        if os.path.exists(os.path.join(d, 'close%d' % i)):
            conns[i].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            conns[i].close()
            left.discard(i)
    time.sleep(0.1)
'@
        function Wait-Until([scriptblock] $Condition, [int] $TimeoutSec = 30) {
            $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
            while (-not (& $Condition)) {
                if ([DateTime]::UtcNow -gt $deadline) { return $false }
                Start-Sleep -Milliseconds 200
            }
            $true
        }
        # ipvsadm's view of the service VIP:9090: address -> weight, active, inactive.
        function Get-Dest {
            $t = @{}
            foreach ($l in (Invoke-NetnsCommand $d @('ipvsadm', '-Ln', '-t', "$($vip):9090"))) {
                if ($l -match '->\s+(\d+\.\d+\.\d+\.\d+):9090\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)') {
                    $t[$Matches[1]] = [pscustomobject]@{ Weight = [int]$Matches[2]; Active = [int]$Matches[3]; Inactive = [int]$Matches[4] }
                }
            }
            $t
        }
        # A drain in another runspace, as a user's second terminal runs it.
        function Start-Drain([string[]] $Addresses, [int] $Timeout) {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                    param($Module, $Namespace, $Vip, $Addresses, $Timeout)
                    Import-Module $Module
                    Get-LvsRealServer -NetNamespace $Namespace -VirtualAddress $Vip -VirtualPort 9090 |
                        Where-Object { "$($_.Address)" -in $Addresses } |
                        Remove-LvsRealServer -Drain -DrainTimeout $Timeout -PollInterval 0.5 -PassThru
                }).AddArgument((Get-LvsModulePath)).AddArgument($d).AddArgument($vip).AddArgument($Addresses).AddArgument($Timeout)
            [pscustomobject]@{ PowerShell = $ps; Async = $ps.BeginInvoke() }
        }

        $lab = New-LvsLab -Mode Nat -RealServerCount 3
        try {
            $d = $lab.Director
            $vip = "$($lab.Vip)"
            $dir = Join-Path $TestDrive 'drain'
            $null = New-Item -ItemType Directory -Path $dir
            Set-Content -Path (Join-Path $dir 'server.py') -Value $HoldServerPy
            Set-Content -Path (Join-Path $dir 'holder.py') -Value $HolderPy
            $py = if ($env:LVSLAB_PYTHON) { $env:LVSLAB_PYTHON } else { '/usr/bin/python3' }
            $start = for ($i = 0; $i -lt 3; $i++) {
                "setsid ip netns exec $($lab.RealServers[$i]) $py $dir/server.py $($lab.RealServerNames[$i]) 9090 $dir/ready$i >/dev/null 2>&1 < /dev/null &"
            }
            bash -c ($start -join "`n")
            Wait-Until { (0..2 | Where-Object { Test-Path "$dir/ready$_" }).Count -eq 3 } -TimeoutSec 180 | Should -BeTrue -Because 'the hold servers start'

            Set-IpForwarding -NetNamespace $d -Enabled $true -ErrorAction Stop
            $null = Add-LvsVirtualIp -NetNamespace $d -InterfaceName $lab.VipInterface -IPAddress $vip -PrefixLength 32 -ErrorAction Stop
            $null = New-LvsService -NetNamespace $d -VirtualAddress $vip -Port 9090 -Scheduler rr -ErrorAction Stop
            foreach ($a in $lab.RealServerAddresses) {
                $null = Add-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort 9090 -Address $a -Port 9090 -ForwardingMethod Masquerade -ErrorAction Stop
            }
            $byName = @{}
            for ($i = 0; $i -lt 3; $i++) { $byName[$lab.RealServerNames[$i]] = "$($lab.RealServerAddresses[$i])" }

            # -WhatIf first: nothing may change.
            $saveBefore = (Invoke-NetnsCommand $d @('ipvsadm', '-S', '-n')) -join "`n"
            $whatIf = Get-HostText {
                Remove-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort 9090 -Address $lab.RealServerAddresses[2] -Drain -DrainTimeout 20 -WhatIf
            }
            $saveAfterWhatIf = (Invoke-NetnsCommand $d @('ipvsadm', '-S', '-n')) -join "`n"

            # Two long-lived connections (rr: two different servers).
            bash -c "setsid ip netns exec $($lab.Client) $py $dir/holder.py $vip 9090 2 $dir >$dir/holder.log 2>&1 < /dev/null &"
            Wait-Until { Test-Path "$dir/held" } | Should -BeTrue -Because 'the client holds two connections'
            $heldNames = (Get-Content "$dir/held" -Raw).Trim() -split ' '
            $closing = $byName[$heldNames[0]]   # its client resets it during the drain
            $living = $byName[$heldNames[1]]    # lives past the timeout
            $other = @($lab.RealServerAddresses | ForEach-Object { "$_" } | Where-Object { $_ -notin $closing, $living })[0]

            # The timeout leaves room for the kernel's 10 s in CLOSE after the reset, however slow the guest.
            $drain = Start-Drain -Addresses $closing, $living -Timeout 30
            $quiesced = Wait-Until { $t = Get-Dest; $t[$closing].Weight -eq 0 -and $t[$living].Weight -eq 0 } -TimeoutSec 60
            $duringDrain = Get-Dest

            # Reset the first connection; its server must go once the kernel drops the entry (CLOSE: 10 s).
            New-Item -ItemType File -Path "$dir/close0" | Out-Null
            $closedAt = [DateTime]::UtcNow
            $requests = Invoke-LvsLabRequest -Lab $lab -Port 9090 -Count 6
            $afterRequests = Get-Dest
            $closingGone = Wait-Until { -not (Get-Dest).ContainsKey($closing) } -TimeoutSec 40
            $closingGoneAfter = ([DateTime]::UtcNow - $closedAt).TotalSeconds
            $whenClosingGone = Get-Dest

            $done = $drain.Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60))
            $statuses = @($drain.PowerShell.EndInvoke($drain.Async))
            $drainWarnings = @($drain.PowerShell.Streams.Warning | ForEach-Object Message)
            $drainErrors = @($drain.PowerShell.Streams.Error)
            $drain.PowerShell.Dispose()
            $afterDrain = Get-Dest
            New-Item -ItemType File -Path "$dir/close1" | Out-Null

            # Export-LvsMetric: the real counters of the server that took the 6 requests.
            $null = Wait-Until { (Get-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort 9090 -Address $other).Statistics.Connections -ge 6 } -TimeoutSec 15
            $metricText = Export-LvsMetric -NetNamespace $d
            $metricFile = Join-Path $TestDrive 'lvs.prom'
            $metricFileItem = Export-LvsMetric -NetNamespace $d -Path $metricFile -PassThru
            $otherRead = Get-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort 9090 -Address $other

            # Ctrl+C during the wait: the last server has inactive connections (TIME_WAIT) from the requests.
            $stopped = Start-Drain -Addresses $other -Timeout 120
            $otherQuiesced = Wait-Until { (Get-Dest)[$other].Weight -eq 0 } -TimeoutSec 60
            Start-Sleep -Seconds 1
            $stopped.PowerShell.Stop()
            $afterStop = Get-Dest
            $stopWarnings = @($stopped.PowerShell.Streams.Warning | ForEach-Object Message)
            $stopped.PowerShell.Dispose()

            # A persistent service: the drain warns about persistence templates (expire_quiescent_template is 0 by default).
            $null = New-LvsService -NetNamespace $d -VirtualAddress $vip -Port 9091 -Scheduler rr -Persistent -ErrorAction Stop
            $null = Add-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort 9091 -Address $lab.RealServerAddresses[0] -Port 9091 -ForwardingMethod Masquerade -ErrorAction Stop
            $persistWarnings = @()
            $persistResult = Remove-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort 9091 -Address $lab.RealServerAddresses[0] -Port 9091 `
                -Drain -DrainTimeout 5 -PassThru -WarningVariable persistWarnings -WarningAction SilentlyContinue
            $persistAfter = Invoke-NetnsCommand $d @('ipvsadm', '-Ln', '-t', "$($vip):9091")

            # Sync -Drain: a document (schema 2) that removes the last server, left at weight 0 with TIME_WAIT entries by
            # the stopped drain; the service's drainTimeout (2 s) wins over -DrainTimeout 60.
            $doc = Join-Path $TestDrive 'drain.json'
            Set-Content -Path $doc -Value (@{
                    schemaVersion = 2
                    services      = @(@{ protocol = 'tcp'; address = $vip; port = 9090; scheduler = 'rr'; drainTimeout = 2; realServers = @() })
                } | ConvertTo-Json -Depth 5)
            $syncSaveBefore = (Invoke-NetnsCommand $d @('ipvsadm', '-S', '-n')) -join "`n"
            $syncWhatIf = Get-HostText { Sync-LvsConfiguration -NetNamespace $d -Path $doc -Drain -DrainTimeout 60 -WhatIf }
            $syncSaveAfterWhatIf = (Invoke-NetnsCommand $d @('ipvsadm', '-S', '-n')) -join "`n"
            $syncWarnings = @()
            $syncWatch = [Diagnostics.Stopwatch]::StartNew()
            $sync = Sync-LvsConfiguration -NetNamespace $d -Path $doc -Drain -DrainTimeout 60 -WarningVariable syncWarnings -WarningAction SilentlyContinue
            $syncWatch.Stop()
            $syncAfter = Get-Dest

            # Sync -Drain over a document that removes a whole service (VIP:9093, two servers, one live connection):
            # its servers are drained, and the service deleted only after them, at -DrainTimeout (the document no longer
            # holds its drainTimeout). The persistent VIP:9091, empty, goes too.
            $null = New-LvsService -NetNamespace $d -VirtualAddress $vip -Port 9093 -Scheduler rr -ErrorAction Stop
            foreach ($a in $lab.RealServerAddresses[0..1]) {
                $null = Add-LvsRealServer -NetNamespace $d -VirtualAddress $vip -VirtualPort 9093 -Address $a -Port 9090 -ForwardingMethod Masquerade -ErrorAction Stop
            }
            $dir2 = Join-Path $TestDrive 'drain2'
            $null = New-Item -ItemType Directory -Path $dir2
            bash -c "setsid ip netns exec $($lab.Client) $py $dir/holder.py $vip 9093 1 $dir2 >$dir2/holder.log 2>&1 < /dev/null &"
            Wait-Until { Test-Path "$dir2/held" } | Should -BeTrue -Because 'the client holds a connection to VIP:9093'
            $heldBy = $byName[(Get-Content "$dir2/held" -Raw).Trim()]
            function Get-Service9093 { @(Invoke-NetnsCommand $d @('ipvsadm', '-S', '-n') | Where-Object { $_ -match ' -t \S+:9093' }) }
            $gone = @{ Before = Get-Service9093 }
            $gone.WhatIf = Get-HostText { Sync-LvsConfiguration -NetNamespace $d -Path $doc -Drain -DrainTimeout 8 -WhatIf }
            $gone.AfterWhatIf = Get-Service9093
            $bg = [powershell]::Create()
            $null = $bg.AddScript({
                    param($Module, $Namespace, $Path)
                    Import-Module $Module
                    $w = [Diagnostics.Stopwatch]::StartNew()
                    $r = Sync-LvsConfiguration -NetNamespace $Namespace -Path $Path -Drain -DrainTimeout 8
                    [pscustomobject]@{ Result = $r; Seconds = $w.Elapsed.TotalSeconds }
                }).AddArgument((Get-LvsModulePath)).AddArgument($d).AddArgument($doc)
            $async = $bg.BeginInvoke()
            $gone.Quiesced = Wait-Until { $t = Get-Service9093; $t.Count -ge 1 -and -not ($t | Where-Object { $_ -cmatch '^-a .* -w [1-9]' }) } -TimeoutSec 60
            Start-Sleep -Seconds 2
            $gone.During = Get-Service9093
            $gone.DuringList = @(Invoke-NetnsCommand $d @('ipvsadm', '-Ln', '-t', "$($vip):9093"))
            $null = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(90))
            $gone.Run = @($bg.EndInvoke($async))[0]
            $gone.Warnings = @($bg.Streams.Warning | ForEach-Object Message)
            $bg.Dispose()
            $gone.After = Get-Service9093
            New-Item -ItemType File -Path "$dir2/close0" | Out-Null
            Write-Host ("Sync -Drain of a removed service with a live connection: {0:0.0} s (-DrainTimeout 8)" -f $gone.Run.Seconds)
            Write-Host ($statuses | Format-Table | Out-String)
            $byState = @{}; foreach ($st in $statuses) { $byState["$($st.Server.Address)"] = $st }
            Write-Host ("drain: reset connection's server deleted {0:0.0} s after the reset (elapsed {1:0.0} s); living connection's server {2} at {3:0.0} s of 30; Sync -Drain took {4:0.0} s" -f
                $closingGoneAfter, $byState[$closing].Elapsed.TotalSeconds, $byState[$living].State, $byState[$living].Elapsed.TotalSeconds, $syncWatch.Elapsed.TotalSeconds)
        }
        catch { Remove-LvsLab $lab; $lab = $null; throw }
    }
    AfterAll { if ($lab) { Remove-LvsLab $lab } }

    It '-WhatIf names the three steps and sends nothing' {
        $whatIf.Text | Should -Match "What if: .*IPVS_CMD_SET_DEST: ipvsadm -e -t $([regex]::Escape($vip)):9090 -r \S+ .*-w 0\b"
        $whatIf.Text | Should -Match 'What if: .*Wait up to 00:00:20'
        $whatIf.Text | Should -Match "What if: .*IPVS_CMD_DEL_DEST: ipvsadm -d -t $([regex]::Escape($vip)):9090 -r"
        $saveAfterWhatIf | Should -Be $saveBefore
    }

    It 'sets both servers to weight 0 and keeps them while their connections live' {
        $quiesced | Should -BeTrue
        $duringDrain[$closing].Weight | Should -Be 0
        $duringDrain[$living].Weight | Should -Be 0
        $duringDrain[$closing].Active | Should -Be 1
        $afterRequests.ContainsKey($living) | Should -BeTrue
    }

    It 'sends every new connection to the server that is not drained' {
        $requests.Summary.Failed | Should -Be 0
        @($requests.Requests.Server | Sort-Object -Unique) | Should -Be @($lab.RealServerNames[[array]::IndexOf([string[]]@($lab.RealServerAddresses | ForEach-Object { "$_" }), $other)])
    }

    It 'deletes a server soon after its last connection ends, while the other still waits' {
        $closingGone | Should -BeTrue
        $closingGoneAfter | Should -BeLessThan 20 -Because 'a reset connection is dropped by the kernel after 10 s (CLOSE), then the next poll deletes'
        $whenClosingGone.ContainsKey($living) | Should -BeTrue
        $whenClosingGone[$living].Weight | Should -Be 0
        $s = $statuses | Where-Object { "$($_.Server.Address)" -eq $closing }
        $s.State | Should -Be 'Completed'
        $s.TimedOut | Should -BeFalse
        $s.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'deletes the server whose connection lives at the timeout, not before' {
        $done | Should -BeTrue
        $drainErrors | Should -BeNullOrEmpty
        $s = $statuses | Where-Object { "$($_.Server.Address)" -eq $living }
        $s.State | Should -Be 'TimedOut'
        $s.ActiveConnections | Should -Be 1
        $s.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 30
        $s.Elapsed.TotalSeconds | Should -BeLessThan 36
        $afterDrain.Keys | Should -Be @($other)
        ($drainWarnings -join "`n") | Should -Match "$([regex]::Escape($living)).*deleted at the drain timeout.*expire_nodest_conn"
    }

    It 'Export-LvsMetric writes the kernel''s counters and weights, to the pipeline and atomically to a file' {
        $labels = "local_address=`"$vip`",local_port=`"9090`",remote_address=`"$other`",remote_port=`"9090`",proto=`"TCP`",local_mark=`"`",netns=`"$d`""
        $metricText | Should -Match ([regex]::Escape("lvs_backend_weight{$labels} 1") + '\n')
        $metricText | Should -Match ([regex]::Escape("lvs_backend_connections_total{$labels} $($otherRead.Statistics.Connections)") + '\n')
        $metricText | Should -Match '(?m)^# TYPE lvs_connections_total counter$'
        $metricFileItem.FullName | Should -Be $metricFile
        $stable = { param($t) ($t -split "`n" | Where-Object { $_ -notmatch '_per_second' }) -join "`n" }
        (& $stable (Get-Content -Raw $metricFile)) | Should -Be (& $stable $metricText)
        @(Get-ChildItem -Force $TestDrive -Filter '.lvs.prom*').Count | Should -Be 0 -Because 'no temporary file is left'
    }

    It 'Ctrl+C stops the wait, leaves the server at weight 0 (not deleted), and says so' {
        $otherQuiesced | Should -BeTrue
        $afterStop.ContainsKey($other) | Should -BeTrue
        $afterStop[$other].Weight | Should -Be 0
        ($stopWarnings -join "`n") | Should -Match "Stopped waiting: .*$([regex]::Escape($other)).* left at weight 0, not deleted"
    }

    It 'warns that persistence templates keep sending clients to a drained server' {
        ($persistWarnings -join "`n") | Should -Match 'is persistent.*expire_quiescent_template is 0'
        $persistResult.State | Should -Be 'Completed'
        ($persistAfter -join "`n") | Should -Not -Match '->\s+10\.77\.'
    }

    It 'Sync-LvsConfiguration -Drain drains the servers a document removes, with the service''s drainTimeout' {
        $syncWhatIf.Text | Should -Match "What if: .*Drain: ipvsadm -e -t $([regex]::Escape($vip)):9090 -r $([regex]::Escape($other)):9090 .*-w 0; wait up to 00:01:00"
        $syncSaveAfterWhatIf | Should -Be $syncSaveBefore
        $step = $sync.Steps | Where-Object { $_.Object -eq 'RealServer' -and $_.Action -eq 'Delete' }
        $step.Status | Should -Be 'Applied'
        $sync.Failed | Should -Be 0
        $syncAfter.Count | Should -Be 0
        $syncWatch.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the document''s drainTimeout of 2 s wins over -DrainTimeout 60'
        ($syncWarnings -join "`n") | Should -Match "$([regex]::Escape($other)).*deleted at the drain timeout"
    }

    It 'Sync-LvsConfiguration -Drain drains the real servers of a service the document removes, then deletes the service' {
        ($gone.WhatIf.Text) | Should -Match "What if: .*Drain the 2 real server\(s\) of the service the document removes: ipvsadm -e -t $([regex]::Escape($vip)):9093 .*-w 0.*; wait up to 00:00:08 .*; ipvsadm -D -t $([regex]::Escape($vip)):9093"
        $gone.AfterWhatIf | Should -Be $gone.Before
        $gone.Quiesced | Should -BeTrue -Because 'both servers of the removed service go to weight 0 first'
        # While the connection lives the service stays, its server at weight 0 with the connection (the other, idle, is gone).
        $gone.During | Should -Contain "-A -t $($vip):9093 -s rr"
        ($gone.During | Where-Object { $_ -cmatch '^-a ' }) | Should -Be "-a -t $($vip):9093 -r $($heldBy):9090 -m -w 0"
        ($gone.DuringList -join "`n") | Should -Match "$([regex]::Escape($heldBy)):9090\s+Masq\s+0\s+1\s+"
        $gone.After | Should -BeNullOrEmpty
        $step = $gone.Run.Result.Steps | Where-Object { $_.Object -eq 'Service' -and $_.Action -eq 'Delete' -and $_.Target -match ':9093' }
        $step.Status | Should -Be 'Applied'
        $gone.Run.Result.Failed | Should -Be 0
        $gone.Run.Seconds | Should -BeGreaterOrEqual 7.5 -Because 'the service is deleted at the timeout, not before, while its connection lives'
        ($gone.Warnings -join "`n") | Should -Match "$([regex]::Escape($heldBy)).*deleted at the drain timeout"
    }
}
