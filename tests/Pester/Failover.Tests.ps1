# Two LVS-DR directors, keepalived's VRRP moving the VIP between them, and the IPVS sync daemon (Start-LvsSyncDaemon)
# copying connections from the active director to the standby: a long-lived client connection opened through the
# active director goes on working after the active's keepalived stops.
# One L2 segment 192.0.2.0/24 (a bridge in a switch namespace): client .2, directors .3 and .4, real servers .11, .12,
# VIP .100. The directors' tables and sync daemons are set with LvsTools; keepalived only runs VRRP (-P); python3
# serves and opens the connection (the same tools the other traffic tests use). Runs in the UML guest (IPVS).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Keepalived.psm1') -Force
    $script:skipFailover = -not ((Test-KernelTestsAvailable) -and (Test-IpvsAvailable) -and (Test-KeepalivedAvailable) -and
        (Get-Command python3 -ErrorAction SilentlyContinue) -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Keepalived.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    function Invoke-Ip([string[]] $Arguments) {
        $out = & ip @Arguments 2>&1
        if ($LASTEXITCODE) { throw "ip $($Arguments -join ' ') failed: $out" }
    }
    function Wait-Until([scriptblock] $Condition, [double] $TimeoutSec, [string] $What) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "timed out after $TimeoutSec s waiting for $What" }
            Start-Sleep -Milliseconds 50
        }
    }
    # Read with the module (one netlink dump, no process to start: in a loaded UML guest `ip` takes a second to start).
    function Test-HasVip([string] $Namespace) { [bool](Get-NetAlias -NetNamespace $Namespace -InterfaceName eth0 | Where-Object { "$($_.IPAddress)" -eq '192.0.2.100' }) }
}

Describe 'Failover between two directors: keepalived VRRP and the IPVS sync daemon' -Tag Kernel -Skip:$skipFailover {
    BeforeAll {
        $id = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $dir = Join-Path $TestDrive 'failover'
        New-Item -ItemType Directory -Path $dir | Out-Null
        $nodes = [ordered]@{ cl = '192.0.2.2'; d1 = '192.0.2.3'; d2 = '192.0.2.4'; rs1 = '192.0.2.11'; rs2 = '192.0.2.12' }
        $ns = @{}
        $sw = "lvsf-$id-sw"
        Invoke-Ip @('netns', 'add', $sw)
        Invoke-Ip @('-n', $sw, 'link', 'add', 'br0', 'type', 'bridge')
        Invoke-Ip @('-n', $sw, 'link', 'set', 'br0', 'up')
        foreach ($n in $nodes.Keys) {
            $ns[$n] = "lvsf-$id-$n"
            Invoke-Ip @('netns', 'add', $ns[$n])
            Invoke-Ip @('-n', $ns[$n], 'link', 'set', 'lo', 'up')
            Invoke-Ip @('-n', $sw, 'link', 'add', $n, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', $ns[$n])
            Invoke-Ip @('-n', $sw, 'link', 'set', $n, 'master', 'br0')
            Invoke-Ip @('-n', $sw, 'link', 'set', $n, 'up')
            Invoke-Ip @('-n', $ns[$n], 'addr', 'add', "$($nodes[$n])/24", 'dev', 'eth0')
            Invoke-Ip @('-n', $ns[$n], 'link', 'set', 'eth0', 'up')
        }
        # The real servers: the VIP on lo, and no ARP answers for it (LVS-DR), set with LvsTools.
        foreach ($n in 'rs1', 'rs2') {
            Set-Sysctl -NetNamespace $ns[$n] net.ipv4.conf.all.arp_ignore 1
            Set-Sysctl -NetNamespace $ns[$n] net.ipv4.conf.all.arp_announce 2
            Add-LvsVirtualIp -NetNamespace $ns[$n] -InterfaceName lo -IPAddress 192.0.2.100 -PrefixLength 32 | Out-Null
        }
        # Both directors hold the same table (one command for both), and sync daemons: master on d1, backup on d2.
        New-LvsService -NetNamespace $ns.d1, $ns.d2 -Protocol Tcp -VirtualAddress 192.0.2.100 -Port 9000 -Scheduler rr | Out-Null
        foreach ($rs in '192.0.2.11', '192.0.2.12') {
            Get-LvsService -NetNamespace $ns.d1, $ns.d2 -Port 9000 | Add-LvsRealServer -Address $rs -Port 9000 -ForwardingMethod Route | Out-Null
        }
        Start-LvsSyncDaemon -NetNamespace $ns.d1 -State Master -MulticastInterface eth0 -SyncId 7
        Start-LvsSyncDaemon -NetNamespace $ns.d2 -State Backup -MulticastInterface eth0 -SyncId 7

        # An echo server on each real server: every line comes back prefixed with the server's name.
        $server = Join-Path $dir 'echo.py'
        Set-Content $server -Value @'
import socket, sys, threading
name = sys.argv[1]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9000)); s.listen(16)
def serve(c):
    f = c.makefile("rwb", buffering=0)
    for line in f:
        f.write(name.encode() + b" " + line)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'@
        $servers = foreach ($n in 'rs1', 'rs2') {
            Start-Process -FilePath ip -ArgumentList @('netns', 'exec', $ns[$n], 'python3', $server, $n) -PassThru `
                -RedirectStandardError (Join-Path $dir "$n.err") -RedirectStandardOutput (Join-Path $dir "$n.out")
        }
        foreach ($n in 'rs1', 'rs2') { Wait-Until { (ip netns exec $ns[$n] ss -Hltn 'sport = :9000') -match '9000' } 30 "the echo server of $n" }

        # keepalived's VRRP only (-P): d1 MASTER (priority 150), d2 BACKUP (100), VRRPv3 adverts every 0.5 s (a
        # backup that hears no advert takes over after 3 intervals and its skew; a master that stops says so at once).
        $keepalived = Get-KeepalivedPath
        $vrrp = @{}
        foreach ($d in @(@{ N = 'd1'; State = 'MASTER'; Priority = 150 }, @{ N = 'd2'; State = 'BACKUP'; Priority = 100 })) {
            $conf = Join-Path $dir "$($d.N).conf"
            Set-Content $conf -Value @"
global_defs {
    router_id $($d.N)
    vrrp_version 3
}
vrrp_instance VI_1 {
    state $($d.State)
    interface eth0
    virtual_router_id 51
    priority $($d.Priority)
    advert_int 0.5
    virtual_ipaddress { 192.0.2.100/32 dev eth0 }
}
"@
            $sh = "ip netns exec '$($ns[$d.N])' '$keepalived' -n -l -D -G -P -f '$conf' -p '$dir/$($d.N).pid' -r '$dir/$($d.N)-vrrp.pid' </dev/null >'$dir/$($d.N).log' 2>&1 & echo `$!"
            $vrrp[$d.N] = [int](& /bin/sh -c $sh)
        }
        Wait-Until { Test-HasVip $ns.d1 } 60 'd1 to hold the VIP'

        # The client: one connection, a line before the failover and one after it (when the file 'go' appears).
        $client = Join-Path $dir 'client.py'
        Set-Content $client -Value @'
import os, socket, sys, time
go = sys.argv[1]
c = socket.create_connection(("192.0.2.100", 9000), timeout=10)
f = c.makefile("rwb", buffering=0)
f.write(b"one\n"); print("before", f.readline().decode().strip(), flush=True)
while not os.path.exists(go): time.sleep(0.05)
f.write(b"two\n"); print("after", f.readline().decode().strip(), flush=True)
'@
        $go = Join-Path $dir 'go'
        $clientOut = Join-Path $dir 'client.out'
        $clientProcess = Start-Process -FilePath ip -ArgumentList @('netns', 'exec', $ns.cl, 'python3', $client, $go) -PassThru `
            -RedirectStandardOutput $clientOut -RedirectStandardError (Join-Path $dir 'client.err')
        Wait-Until { (Test-Path $clientOut) -and ((Get-Content $clientOut -Raw) -match 'before') } 30 'the first answer'
        $before = ((Get-Content $clientOut | Where-Object { $_ -like 'before *' }) -split ' ')[1]
    }
    AfterAll {
        foreach ($p in @($vrrp.Values)) { if ($p) { kill -KILL $p 2>$null } }
        foreach ($p in @($servers) + @($clientProcess)) { if ($p -and -not $p.HasExited) { $p.Kill($true) } }
        $global:LASTEXITCODE = 0
        foreach ($n in @($ns.Values) + $sw) { Remove-TestNamespace $n }
    }

    It 'the client connection went through the active director to a real server' {
        $before | Should -BeIn @('rs1', 'rs2')
        Test-HasVip $ns.d2 | Should -BeFalse
    }

    It "the standby's Get-LvsConnection holds the client's connection, copied by the sync daemon" {
        Wait-Until { @(Get-LvsConnection -NetNamespace $ns.d2 -ClientAddress 192.0.2.2 -VirtualPort 9000).Count -ge 1 } 20 'the connection on d2'
        $c = @(Get-LvsConnection -NetNamespace $ns.d2 -ClientAddress 192.0.2.2 -VirtualPort 9000)[0]
        "$($c.DestinationAddress)" | Should -Be $nodes[$before]
        @(Get-LvsSyncDaemon -NetNamespace $ns.d2).State | Should -Contain 'Backup'
    }

    It "stopping the active's keepalived moves the VIP within 3 s, and the connection goes on working" {
        $t0 = Get-UnixTime
        /bin/kill -TERM $vrrp.d1
        $t1 = Get-UnixTime   # the signal is delivered once kill(1) has returned
        Wait-Until { Test-HasVip $ns.d2 } 10 'd2 to take the VIP'
        $moved = (Get-UnixTime) - $t1
        Write-Host ("failover: the VIP was on d2 {0:N2} s after keepalived on d1 got SIGTERM (kill(1) itself took {1:N2} s)" -f $moved, ($t1 - $t0))
        $moved | Should -BeLessOrEqual 3 -Because (Get-Content (Join-Path $dir 'd2.log') -Tail 8 | Out-String)
        Test-HasVip $ns.d1 | Should -BeFalse
        Set-Content $go -Value 'go'
        $goAt = Get-UnixTime
        Wait-Until { $clientProcess.HasExited } 20 'the second answer'
        $waited = (Get-UnixTime) - $goAt
        $after = Get-Content $clientOut | Where-Object { $_ -like 'after *' }
        $after | Should -Be "after $before two" -Because ("the same real server answers on the same connection (the client's exit code $($clientProcess.ExitCode), " +
            "it waited $($waited.ToString("0.00", [cultureinfo]::InvariantCulture)) s, its output: $(Get-Content $clientOut -Raw) its errors: $(Get-Content (Join-Path $dir 'client.err') -Raw))")
        $clientProcess.ExitCode | Should -Be 0
    }
}
