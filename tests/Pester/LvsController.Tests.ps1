# Start-LvsController against a real IPVS table (tag Kernel; the UML guest), and its bad input anywhere.
# No traffic: the real servers are addresses on the namespace's loopback, and their TCP checks hit listeners the test
# starts and kills. One namespace; all scenarios run in BeforeAll (UML runs external commands slowly) and the table is
# read with `ipvsadm -S -n` (an independent reader) after each step.
#  - -Once cycles: the first creates the table; the second, over it, sends no write; a server whose listener died goes
#    to weight 0 (fall 1) and stays there without a write; back with its listener (rise 1).
#  - the loop in a child `pwsh -c` (as systemd runs it), with checks every 2 s, rise 2 and fall 2: a dead listener takes the server to
#    weight 0, a broken document is rejected while the table stays, the listener back brings the server back,
#    SIGTERM ends it with exit code 0 and the table as it was, a restart sends no write; the -Once service of the
#    other document is never touched.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skipNamespace = -not (Test-KernelTestsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:pwsh = (Get-Process -Id $PID).Path
    [string[]] $script:pwshArgs = if ((Split-Path $pwsh -Leaf) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }

    function New-Document([string] $Address, [int] $Rise, [int] $Fall, [int] $Seconds = 1) {
        @{
            schemaVersion = 2
            services = @(@{
                protocol = 'tcp'; address = $Address; port = 80; scheduler = 'wrr'
                healthCheck = @{ type = 'tcp'; timeout = $Seconds; interval = $Seconds; rise = $Rise; fall = $Fall }
                realServers = @(
                    @{ address = '10.0.1.11'; port = 80; weight = 2 }
                    @{ address = '10.0.1.12'; port = 80; weight = 2 })
            })
        } | ConvertTo-Json -Depth 6
    }

    # Runs a child pwsh with Start-LvsController and returns the process.
    function Start-Controller([string[]] $Arguments, [string] $Name) {
        # After the cmdlet returns, the child notes the time: the stop is measured without pwsh's own exit.
        $stopped = Join-Path $TestDrive "$Name.stopped"
        $command = "Import-Module '$(Get-LvsModulePath)'; Start-LvsController $($Arguments -join ' '); [IO.File]::WriteAllText('$stopped', [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())"
        # Through env --default-signal=INT: a child started from a shell without job control inherits SIGINT ignored.
        Start-Process -FilePath env -PassThru -RedirectStandardOutput (Join-Path $TestDrive "$Name.out") -RedirectStandardError (Join-Path $TestDrive "$Name.err") `
            -ArgumentList (@('--default-signal=INT', $pwsh) + @($pwshArgs) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-Command', $command))
    }

    function Read-EventLog([string] $Path) {
        if (-not (Test-Path $Path)) { return @() }
        @(Get-Content -LiteralPath $Path | ForEach-Object { $_ | ConvertFrom-Json })
    }

    # Seconds from $SentAt (Unix ms) until the child's cmdlet returned; $null when it never did.
    function Get-StopSeconds([string] $Name, [long] $SentAt) {
        $file = Join-Path $TestDrive "$Name.stopped"
        if (-not (Test-Path $file)) { return $null }
        ([long](Get-Content -LiteralPath $file) - $SentAt) / 1000.0
    }

    # Polls until $Condition is true or $Seconds pass; returns the seconds it took, or $null.
    function Wait-Until([scriptblock] $Condition, [double] $Seconds) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while ($clock.Elapsed.TotalSeconds -lt $Seconds) {
            if (& $Condition) { return $clock.Elapsed.TotalSeconds }
            Start-Sleep -Milliseconds 200
        }
        $null
    }
}

# In a namespace of its own (root and iproute2 needed): without IPVS (the host) every cycle is an Error event.
Describe 'Start-LvsController: bad input stops it before anything runs; SIGTERM stops it' -Skip:$skipNamespace {
    BeforeAll {
        $script:badNs = New-TestNamespace -NoVeth
        $script:good = Join-Path $TestDrive 'good.json'
        Set-Content -LiteralPath $good -Value (New-Document '10.0.0.1' 1 1)
        $script:broken = Join-Path $TestDrive 'broken.json'
        Set-Content -LiteralPath $broken -Value '{ "schemaVersion": 2, "services": [ { "protocol": "tcp", "address": "10.0.0.1", "port": 80, "healthCheck": { "type": "tcp", "rise": 0 } } ] }'
    }

    AfterAll { Remove-TestNamespace $badNs }

    It '<Case>: <Id> (<Category>)' -TestCases @(
        @{ Case = 'a document that does not exist'; Params = @{ Path = 'missing.json' }; Id = 'LvsConfigurationFileNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a document that fails validation'; Params = @{ Path = 'broken.json' }; Id = 'InvalidHealthCheck'; Category = 'InvalidArgument' }
        @{ Case = 'an interval of 0'; Params = @{ Path = 'good.json'; Interval = 0 }; Id = 'InvalidControllerInterval'; Category = 'InvalidArgument' }
        @{ Case = 'a negative interval'; Params = @{ Path = 'good.json'; Interval = -2 }; Id = 'InvalidControllerInterval'; Category = 'InvalidArgument' }
        @{ Case = 'an event log in a missing folder'; Params = @{ Path = 'good.json'; EventLogPath = 'nowhere/events.jsonl' }; Id = 'LvsControllerEventLogFolderNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a metrics path in a missing folder'; Params = @{ Path = 'good.json'; MetricsPath = 'nowhere/lvs.prom' }; Id = 'LvsMetricFolderNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a metrics prefix off loopback'; Params = @{ Path = 'good.json'; MetricsListenPrefix = 'http://0.0.0.0:9478/' }; Id = 'InvalidMetricsListenPrefix'; Category = 'InvalidArgument' }
        @{ Case = 'a metrics prefix without its trailing slash'; Params = @{ Path = 'good.json'; MetricsListenPrefix = 'http://127.0.0.1:9478' }; Id = 'InvalidMetricsListenPrefix'; Category = 'InvalidArgument' }
    ) {
        param($Case, $Params, $Id, $Category)
        $p = @{} + $Params
        foreach ($k in 'Path', 'EventLogPath', 'MetricsPath') { if ($p.ContainsKey($k)) { $p[$k] = Join-Path $TestDrive $p[$k] } }
        $err = $null
        try { Start-LvsController @p -NetNamespace $badNs -Once -ErrorAction Stop | Out-Null } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err.CategoryInfo.Category | Should -Be $Category
        Test-Path (Join-Path $TestDrive 'nowhere') | Should -BeFalse
    }

    It 'SIGTERM ends the loop between cycles with exit code 0 (a failing cycle, here without IPVS or with it, goes on)' {
        $log = Join-Path $TestDrive 'sigterm.jsonl'
        $proc = Start-Controller @('-Path', "'$good'", '-NetNamespace', $badNs, '-Interval', '1', '-EventLogPath', "'$log'") 'sigterm'
        # Signalled once a cycle has run (the first one, in a fresh process, spends seconds compiling in UML): an
        # Applied event with IPVS, an Error event without.
        $ready = Wait-Until { @(Read-EventLog $log | Where-Object kind -in 'Applied', 'Error').Count -ge 1 } 300
        $ready | Should -Not -BeNullOrEmpty -Because "the controller writes events ($(Get-Content -Raw (Join-Path $TestDrive 'sigterm.err') -ErrorAction SilentlyContinue))"
        kill -TERM $proc.Id
        $sentAt = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() # kill(2) ends the kill command (spawning it is slow in UML)
        $proc.WaitForExit(120000) | Should -BeTrue
        $proc.ExitCode | Should -Be 0
        $stop = Get-StopSeconds 'sigterm' $sentAt
        Write-Host "SIGTERM to the end of Start-LvsController: $stop s (interval 1 s)"
        $stop | Should -BeLessThan 5 -Because 'the loop ends after the cycle under way (a 1 s interval)'
        (Read-EventLog $log)[0].kind | Should -Be 'ConfigLoaded'
        (Read-EventLog $log)[-1].kind | Should -Be 'Stopped'
    }

    It 'Ctrl+C (SIGINT) ends it as SIGTERM does: the cycle under way finishes, a Stopped event, and pwsh -c exits with 0' {
        $log = Join-Path $TestDrive 'sigint.jsonl'
        $proc = Start-Controller @('-Path', "'$good'", '-NetNamespace', $badNs, '-Interval', '1', '-EventLogPath', "'$log'") 'sigint'
        $ready = Wait-Until { @(Read-EventLog $log | Where-Object kind -in 'Applied', 'Error').Count -ge 1 } 300
        $ready | Should -Not -BeNullOrEmpty -Because "the controller writes events ($(Get-Content -Raw (Join-Path $TestDrive 'sigint.err') -ErrorAction SilentlyContinue))"
        kill -INT $proc.Id
        $proc.WaitForExit(120000) | Should -BeTrue
        # PowerShell stops the pipeline on Ctrl+C: what follows the cmdlet on the command line does not run, and
        # without the cmdlet's clean exit pwsh -c would end with 1, its code for a stopped command.
        $proc.ExitCode | Should -Be 0 -Because "Ctrl+C is a stop the user asked for ($(Get-Content -Raw (Join-Path $TestDrive 'sigint.err') -ErrorAction SilentlyContinue))"
        $events = Read-EventLog $log
        $events[-1].kind | Should -Be 'Stopped'
        $events[-1].detail | Should -Match 'the table is left as it is'
    }
}

Describe 'Start-LvsController against a real table' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $script:ns = New-TestNamespace -NoVeth
        ip -n $ns addr add 10.0.1.11/32 dev lo
        ip -n $ns addr add 10.0.1.12/32 dev lo
        ip netns exec $ns ipvsadm -A -t 10.0.0.9:80 -s rr
        ip netns exec $ns ipvsadm -a -t 10.0.0.9:80 -r 10.0.1.11:80 -g -w 5
        $python = @('/usr/bin/python3', '/usr/local/bin/python3') | Where-Object { Test-Path $_ } | Select-Object -First 1
        $listenerScript = Join-Path $TestDrive 'listen.py'
        Set-Content -LiteralPath $listenerScript -Value @'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80))
s.listen(64)
while True:
    c, _ = s.accept()
    c.close()
'@
        $script:listeners = @{}
        function Start-Listener([string] $Address) {
            $p = Start-Process -FilePath ip -ArgumentList 'netns', 'exec', $ns, $python, $listenerScript, $Address -PassThru
            $hex = -join ([Net.IPAddress]::Parse($Address).GetAddressBytes()[3..0] | ForEach-Object { $_.ToString('X2') })
            $up = Wait-Until { (Get-Content "/proc/$($p.Id)/net/tcp" -ErrorAction SilentlyContinue) -match "$($hex):0050 00000000:0000 0A" } 60
            if ($null -eq $up) { throw "the listener on $Address did not start" }
            $listeners[$Address] = $p
        }
        function Stop-Listener([string] $Address) {
            Stop-Process -Id $listeners[$Address].Id -Force
            $listeners[$Address].WaitForExit(10000) | Out-Null
        }
        function Get-Table { @(ip netns exec $ns ipvsadm -S -n) }
        # One -Once run: its events and the writes its cycle line reports.
        function Invoke-Once([string] $Path) {
            $out = @(Start-LvsController -Path $Path -NetNamespace $ns -Once -Verbose 4>&1)
            $line = ($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -like 'cycle *' }).Message
            [pscustomobject]@{
                Events = @($out | Where-Object { $_ -is [LvsTools.LvsControllerEvent] })
                Writes = if ($line -match '(\d+) write\(s\)') { [int]$Matches[1] } else { -1 }
                Table = Get-Table
            }
        }
        Start-Listener '10.0.1.11'
        Start-Listener '10.0.1.12'

        # -Once cycles, rise 1 and fall 1
        $script:onceDoc = Join-Path $TestDrive 'once.json'
        Set-Content -LiteralPath $onceDoc -Value (New-Document '10.0.0.1' 1 1)
        $script:first = Invoke-Once $onceDoc
        $script:again = Invoke-Once $onceDoc
        Stop-Listener '10.0.1.11'
        $script:down = Invoke-Once $onceDoc
        $script:stillDown = Invoke-Once $onceDoc
        Start-Listener '10.0.1.11'
        $script:up = Invoke-Once $onceDoc

        # the loop, rise 2 and fall 2, in a child as systemd runs it
        $script:loopDoc = Join-Path $TestDrive 'loop.json'
        $script:log = Join-Path $TestDrive 'loop.jsonl'
        Set-Content -LiteralPath $loopDoc -Value (New-Document '10.0.0.2' 2 2 2)
        $script:loop = @{}
        $proc = Start-Controller @('-Path', "'$loopDoc'", '-NetNamespace', $ns, '-Interval', '1', '-EventLogPath', "'$log'", '-Verbose') 'loop'
        $loop.Started = Wait-Until { (Get-Table) -contains '-a -t 10.0.0.2:80 -r 10.0.1.12:80 -g -w 2' } 300
        Stop-Listener '10.0.1.12'
        $loop.Detection = Wait-Until { (Get-Table) -contains '-a -t 10.0.0.2:80 -r 10.0.1.12:80 -g -w 0' } 60
        $loop.DownTable = Get-Table
        Set-Content -LiteralPath $loopDoc -Value '{ "schemaVersion": 2, "services": [ { "protocol": "tcp", "address": "10.0.0.2", "port": 80, "bogus": true } ] }'
        $loop.Rejected = Wait-Until { @(Read-EventLog $log | Where-Object kind -eq 'ConfigRejected').Count -gt 0 } 60
        Start-Sleep -Seconds 3 # a few more cycles under the rejected document
        $loop.TableAfterReject = Get-Table
        Start-Listener '10.0.1.12'
        $loop.Recovery = Wait-Until { (Get-Table) -contains '-a -t 10.0.0.2:80 -r 10.0.1.12:80 -g -w 2' } 60
        $loop.BeforeStop = Get-Table
        kill -TERM $proc.Id
        $sentAt = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
        $loop.Exited = $proc.WaitForExit(120000)
        $loop.StopSeconds = Get-StopSeconds 'loop' $sentAt
        Write-Host ("Loop (cycle 1 s; checks every 2 s, timeout 2 s, rise 2, fall 2): listener killed to weight 0 in {0:0.0} s (read by ipvsadm polls), back in {1:0.0} s; SIGTERM to the end of the cmdlet {2:0.0} s" -f $loop.Detection, $loop.Recovery, $loop.StopSeconds)
        $loop.ExitCode = if ($loop.Exited) { $proc.ExitCode } else { kill -KILL $proc.Id; $null }
        $loop.AfterStop = Get-Table
        # Its cycles, from the verbose lines (-Verbose): "VERBOSE: cycle N (kind): ... W write(s), ..."
        $loop.Cycles = @(Get-Content -LiteralPath (Join-Path $TestDrive 'loop.out') | ForEach-Object {
                if ($_ -match '^VERBOSE: cycle (\d+) \((\w+)\):.* (\d+) write\(s\)') { [pscustomobject]@{ Number = [int]$Matches[1]; Kind = $Matches[2]; Writes = [int]$Matches[3] } }
            })
        $loop.Events = Read-EventLog $log
        Set-Content -LiteralPath $loopDoc -Value (New-Document '10.0.0.2' 2 2 2)
        $script:restart = Invoke-Once $loopDoc

        # Ctrl+C: the loop in `pwsh -Command` (LvsControllerProcess), a weight changed in the document and applied,
        # then SIGINT.
        Import-Module (Join-Path $PSScriptRoot 'LvsControllerProcess.psm1') -Force
        $script:ctrlC = @{}
        $intDoc = Join-Path $TestDrive 'sigint.json'
        Set-Content -LiteralPath $intDoc -Value (New-Document '10.0.0.2' 2 2 2)
        $intProc = Start-LvsControllerProcess -ModulePath (Get-LvsModulePath) -Path $intDoc -Directory (Join-Path $TestDrive 'sigint') -NetNamespace $ns -Interval 1 -Name sigint -Command
        Set-Content -LiteralPath $intDoc -Value ((New-Document '10.0.0.2' 2 2 2) -replace '"weight":\s*2', '"weight": 3')
        $ctrlC.Applied = Wait-LvsControllerEvent $intProc -Kind Applied -TimeoutSec 120
        $ctrlC.BeforeStop = Get-Table
        $ctrlC.Stop = Stop-LvsControllerProcess $intProc -Signal INT -TimeoutSec 60
        $ctrlC.AfterStop = Get-Table
        $ctrlC.Events = @(Get-LvsControllerEvent $intProc)
        $ctrlC.Output = Get-Content -Raw -LiteralPath $intProc.OutputPath -ErrorAction SilentlyContinue
        Write-Host ("Ctrl+C (SIGINT) to pwsh -Command Start-LvsController: ended in {0:0.0} s with exit code {1}" -f $ctrlC.Stop.Seconds, $ctrlC.Stop.ExitCode)
    }

    AfterAll {
        foreach ($p in $listeners.Values) { Stop-Process -Id $p.Id -Force -ErrorAction SilentlyContinue }
        Remove-TestNamespace $ns
    }

    It 'the first cycle builds the table the document describes (and leaves the service it does not list alone)' {
        $first.Table | Should -Contain '-A -t 10.0.0.1:80 -s wrr'
        $first.Table | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 2'
        $first.Table | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 2'
        $first.Table | Should -Contain '-a -t 10.0.0.9:80 -r 10.0.1.11:80 -g -w 5'
        $first.Events.Kind | Should -Contain 'Applied'
        $first.Writes | Should -Be 3
    }

    It 'a cycle over a matching table sends no write' {
        $again.Writes | Should -Be 0
        $again.Events.Kind | Should -Not -Contain 'Applied'
        $again.Table | Should -Be $first.Table
    }

    It 'a server whose check fails goes to weight 0 (fall 1) in one write, and stays there without a write' {
        $e = $down.Events | Where-Object Kind -eq 'ServerDown'
        $e.RealServer | Should -Be '10.0.1.11:80'
        $down.Writes | Should -Be 1
        $down.Table | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 0'
        $down.Table | Should -Contain '-a -t 10.0.0.9:80 -r 10.0.1.11:80 -g -w 5'
        $stillDown.Writes | Should -Be 0
        $stillDown.Table | Should -Be $down.Table
    }

    It 'it comes back after rise' {
        ($up.Events | Where-Object Kind -eq 'ServerUp').RealServer | Should -Be '10.0.1.11:80'
        $up.Writes | Should -Be 1
        $up.Table | Should -Be $first.Table
    }

    It 'the loop takes a dead server out after fall x interval, and no sooner than fall checks' {
        $loop.Started | Should -Not -BeNullOrEmpty -Because (Get-Content -Raw (Join-Path $TestDrive 'loop.err') -ErrorAction SilentlyContinue)
        $loop.Detection | Should -Not -BeNullOrEmpty
        $down = @($loop.Events | Where-Object kind -eq 'ServerDown')[0]
        $down.realServer | Should -Be '10.0.1.12:80'
        $down.detail | Should -BeLike '2 failed Tcp check(s) in a row*'
        $loop.DownTable | Should -Contain '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 2' # the other document's service
    }

    It 'a server that crosses its fall or rise is applied by the probe that saw it, one write, without waiting for the loop' {
        # The loop reads the whole table every second, half a second out of step with the checks (every 2 s): the probe
        # that sees a server cross its fall or rise finds no cycle under way and applies the change itself. Each of the two
        # changes after the first cycle (which builds the service) is one write, at least one of them in a probe's cycle.
        $loop.Cycles.Count | Should -BeGreaterThan 3 -Because 'the verbose lines give every cycle'
        @($loop.Cycles | Where-Object Kind -EQ 'full').Count | Should -BeGreaterThan 0
        $written = @($loop.Cycles | Where-Object { $_.Number -gt 1 -and $_.Writes -gt 0 })
        $written.Count | Should -BeGreaterOrEqual 2 -Because ($loop.Cycles | Format-Table | Out-String)
        $written | ForEach-Object { $_.Writes | Should -Be 1 }
        @($written | Where-Object Kind -EQ 'probe').Count | Should -BeGreaterThan 0 -Because ($written | Format-Table | Out-String)
    }

    It 'a broken document written over the live one is rejected, and the table stays' {
        $loop.Rejected | Should -Not -BeNullOrEmpty
        ($loop.Events | Where-Object kind -eq 'ConfigRejected').detail | Should -BeLike '*bogus*'
        $loop.TableAfterReject | Should -Be $loop.DownTable
    }

    It 'the server comes back under the last good document' {
        $loop.Recovery | Should -Not -BeNullOrEmpty
        @($loop.Events | Where-Object kind -eq 'ServerUp').realServer | Select-Object -Unique | Should -Be '10.0.1.12:80'
    }

    It 'SIGTERM ends it with exit code 0 and the table as it was' {
        $loop.Exited | Should -BeTrue
        $loop.ExitCode | Should -Be 0
        $loop.StopSeconds | Should -BeLessThan 5
        $loop.AfterStop | Should -Be $loop.BeforeStop
    }

    It 'Ctrl+C (SIGINT) ends pwsh -Command Start-LvsController with exit code 0, a Stopped event and the table as it was' {
        $ctrlC.Applied | Should -Not -BeNullOrEmpty -Because 'the changed weight is applied before the signal'
        $ctrlC.BeforeStop | Should -Contain '-a -t 10.0.0.2:80 -r 10.0.1.12:80 -g -w 3'
        $ctrlC.Stop.Killed | Should -BeFalse
        $ctrlC.Stop.ExitCode | Should -Be 0 -Because "Ctrl+C is a stop the user asked for, not a failure ($($ctrlC.Output))"
        $ctrlC.Events[-1].Kind | Should -Be 'Stopped'
        $ctrlC.AfterStop | Should -Be $ctrlC.BeforeStop
        $ctrlC.AfterStop | Should -Contain '-a -t 10.0.0.9:80 -r 10.0.1.11:80 -g -w 5'
    }

    It 'started again over its table, it sends no write' {
        $restart.Writes | Should -Be 0
        $restart.Table | Should -Be $loop.AfterStop
        $restart.Events.Kind | Should -Be @('ConfigLoaded')
    }
}
