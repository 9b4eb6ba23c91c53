# LvsLab: a throw-away traffic lab of network namespaces for end-to-end LVS tests.
#
# New-LvsLab builds a client, a director and N real servers (each in its own network namespace, plus a "switch"
# namespace holding a bridge for DirectRouting), with an HTTP server in every real server that answers its own
# name (rs1, rs2, ...). The lab does only the plumbing (links, addresses on links, routes, lo up, HTTP servers):
# the VIP, ip_forward, the arp sysctls of the real servers and the IPVS service itself are left to the tests
# (the product's cmdlets); the lab object says where they go. Invoke-LvsLabRequest sends real HTTP requests from
# the client namespace; Remove-LvsLab ends exactly the lab's processes and deletes exactly its namespaces.
#
# iproute2 is used here only to build the sandbox (allowed in tests; the module under test never calls it).
# All addresses are TEST-NET-1 (192.0.2.0/24) and 10.77.0.0/24 and exist only inside the lab's namespaces.
# See LvsLab.README.md.
Set-StrictMode -Version Latest

# The real servers' HTTP server: plain sockets (importing http.server costs seconds in the UML guest), one
# connection at a time, every GET answered 200 with the server's name as the body. Its command line names the
# lab's state folder (so teardown can tell it from any other process); it writes its PID file once it listens.
$script:ServerPy = @'
import os, socket, sys
name, port, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    os.setsid()
except OSError:
    pass
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', port))
s.listen(128)
with open(pidfile + '.tmp', 'w') as f:
    f.write(str(os.getpid()))
os.rename(pidfile + '.tmp', pidfile)
while True:
    c, peer = s.accept()
    try:
        c.settimeout(5)
        data = b''
        while b'\r\n\r\n' not in data and len(data) < 65536:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        words = data.split(b'\r\n', 1)[0].split()
        if len(words) >= 2 and words[0] == b'GET':
            status, body = '200 OK', name + '\n'
        else:
            status, body = '400 Bad Request', 'bad request\n'
        head = ('HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nX-Lvs-Lab-Server: %s\r\n'
                'X-Lvs-Lab-Client: %s\r\nX-Lvs-Lab-Local: %s\r\nConnection: close\r\n\r\n'
                % (status, len(body), name, peer[0], c.getsockname()[0]))
        c.sendall((head + body).encode())
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        c.close()
'@

# The client: COUNT GETs, each on a new TCP connection, one tab-separated line per request:
# index, status, body (the server's name), X-Lvs-Lab-Client, local port, milliseconds, error.
$script:ClientPy = @'
import socket, sys, time
host, port, count, timeout, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
req = ('GET %s HTTP/1.0\r\nHost: %s:%d\r\nUser-Agent: lvslab\r\nConnection: close\r\n\r\n' % (path, host, port)).encode()
for i in range(count):
    t = time.monotonic()
    status = server = seen = lport = err = ''
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        lport = str(s.getsockname()[1])
        s.sendall(req)
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        words = lines[0].split()
        if len(words) >= 2 and words[0].startswith('HTTP/'):
            status = words[1]
            server = body.decode('utf-8', 'replace').strip()
            for line in lines[1:]:
                k, _, v = line.partition(':')
                if k.strip().lower() == 'x-lvs-lab-client':
                    seen = v.strip()
        else:
            err = 'no HTTP response (%d bytes)' % len(data)
    except Exception as e:
        err = '%s: %s' % (type(e).__name__, e)
    finally:
        s.close()
    ms = '%.1f' % ((time.monotonic() - t) * 1000)
    clean = lambda x: x.replace('\t', ' ').replace('\r', ' ').replace('\n', ' ')
    print('\t'.join([str(i + 1), status, clean(server), clean(seen), lport, ms, clean(err)]), flush=True)
'@

# The client loop: GETs one after another (a new TCP connection each, GAP seconds apart) until killed, one line per
# request: start time (Unix seconds), the server's name, error.
$script:LoopPy = @'
import socket, sys, time
host, port, out, gap, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
req = ('GET / HTTP/1.0\r\nHost: %s:%d\r\nConnection: close\r\n\r\n' % (host, port)).encode()
f = open(out, 'a', buffering=1)
while True:
    t = time.time()
    server = err = ''
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        s.sendall(req)
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b'\r\n\r\n')
        if head.startswith(b'HTTP/') and head.split()[1] == b'200':
            server = body.decode('utf-8', 'replace').strip()
        else:
            err = 'bad answer (%d bytes)' % len(data)
    except Exception as e:
        err = type(e).__name__
    finally:
        s.close()
    f.write('%.3f\t%s\t%s\n' % (t, server, err))
    time.sleep(gap)
'@

function Get-LvsLabPython {
    # An absolute python3 (the UML guest's PATH has no pyenv shims; a shim under `ip netns exec` is slow anyway).
    if ($env:LVSLAB_PYTHON) { return $env:LVSLAB_PYTHON }
    foreach ($p in '/usr/bin/python3', '/usr/local/bin/python3') { if (Test-Path $p) { return $p } }
    $c = Get-Command python3 -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $c) { throw 'LvsLab needs python3 (none found; set $env:LVSLAB_PYTHON).' }
    $c.Source
}

function Get-LvsLabCurl {
    foreach ($p in '/usr/bin/curl', '/usr/local/bin/curl') { if (Test-Path $p) { return $p } }
    $c = Get-Command curl -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($c) { $c.Source } else { $null }
}

# Runs an external command and throws (with its output) when it exits non-zero. Returns stdout lines.
# stderr is merged and split off again (redirecting it to a file costs far more in the UML guest).
function Invoke-LvsLabNative {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $InputText
    )
    if ($PSBoundParameters.ContainsKey('InputText')) {
        $all = $InputText | & $FilePath @ArgumentList 2>&1
    } else {
        $all = & $FilePath @ArgumentList 2>&1
    }
    $rc = $LASTEXITCODE
    $out = [Collections.Generic.List[string]]::new()
    $err = [Collections.Generic.List[string]]::new()
    foreach ($x in @($all)) {
        if ($x -is [Management.Automation.ErrorRecord]) { $err.Add("$x") } else { $out.Add("$x") }
    }
    if ($rc) {
        throw "LvsLab: '$FilePath $($ArgumentList -join ' ')' failed (exit $rc): $(($err + $out) -join "`n")"
    }
    $out.ToArray()
}

<#
.SYNOPSIS
Runs a command inside a network namespace (ip netns exec NS COMMAND...) and throws when it exits non-zero;
returns its stdout lines. -InputText is written to its stdin.
.EXAMPLE
Invoke-LvsLabCommand -Namespace $lab.Director -Command ipvsadm, -Ln
#>
function Invoke-LvsLabCommand {
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Namespace,
        [Parameter(Mandatory, Position = 1)] [string[]] $Command,
        [string] $InputText
    )
    $p = @{ FilePath = 'ip'; ArgumentList = @('netns', 'exec', $Namespace) + $Command }
    if ($PSBoundParameters.ContainsKey('InputText')) { $p.InputText = $InputText }
    Invoke-LvsLabNative @p
}

# Single-quotes a word for /bin/sh.
function ConvertTo-LvsLabShellWord([string] $Word) { "'" + ($Word -replace "'", "'\''") + "'" }

# `ip -n NS -batch` with a here-document: one process per namespace.
function Get-LvsLabIpBatch([string] $Namespace, [string[]] $Lines) {
    $n = if ($Namespace) { '-n ' + (ConvertTo-LvsLabShellWord $Namespace) + ' ' } else { '' }
    "ip ${n}-batch - <<'LVSLAB_EOF'`n" + ($Lines -join "`n") + "`nLVSLAB_EOF"
}

<#
.SYNOPSIS
Describes (and with -Configure builds) a lab: a client, an LVS director and real servers in network namespaces.
.DESCRIPTION
Without -Configure only the lab object is returned (nothing is created). With -Configure the namespaces, links,
addresses, routes and the real servers' HTTP servers are created. The lab never sets the VIP, ip_forward, the
real servers' arp sysctls or IPVS: the object names where the tests must put them.
#>
function New-LvsLab {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [ValidateSet('Nat', 'DirectRouting')] [string] $Mode,
        [ValidateRange(1, 50)] [int] $RealServerCount = 2,
        [ValidatePattern('^[a-z][a-z0-9]{0,11}$')] [string] $Prefix = 'lvsl',
        [ValidateRange(1, 65535)] [int] $Port = 8080,
        [ValidateRange(1, 300)] [int] $StartTimeoutSec = 30,
        [switch] $Configure
    )
    $id = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $base = "$Prefix-$id"
    $names = @(1..$RealServerCount | ForEach-Object { "rs$_" })
    $rsNs = @($names | ForEach-Object { "$base-$_" })
    $nat = $Mode -eq 'Nat'
    $rsAddr = @(1..$RealServerCount | ForEach-Object { if ($nat) { "10.77.0.$(10 + $_)" } else { "192.0.2.$(10 + $_)" } })
    $sysctls = @()
    if (-not $nat) {
        foreach ($ns in $rsNs) {
            $sysctls += [pscustomobject]@{ NetNamespace = $ns; Name = 'net.ipv4.conf.eth0.arp_ignore'; Value = '1' }
            $sysctls += [pscustomobject]@{ NetNamespace = $ns; Name = 'net.ipv4.conf.eth0.arp_announce'; Value = '2' }
        }
    }
    $lab = [pscustomobject]@{
        PSTypeName                = 'LvsLab'
        Id                        = $id
        Mode                      = $Mode
        Prefix                    = $Prefix
        Port                      = $Port
        Client                    = "$base-cl"
        Director                  = "$base-dir"
        RealServers               = $rsNs
        RealServerNames           = $names
        Switch                    = if ($nat) { $null } else { "$base-sw" }
        Namespaces                = @("$base-cl", "$base-dir") + $rsNs + @(if (-not $nat) { "$base-sw" })
        ClientAddress             = '192.0.2.2'
        ClientInterface           = 'eth0'
        Vip                       = '192.0.2.100'
        VipPrefixLength           = 32
        DirectorVipInterface      = 'eth0'
        DirectorAddresses         = if ($nat) { @('192.0.2.1', '10.77.0.1') } else { @('192.0.2.1') }
        DirectorRealServerInterface = if ($nat) { 'br0' } else { 'eth0' }
        RealServerAddresses       = $rsAddr
        RealServerInterface       = 'eth0'
        RealServerVipInterface    = if ($nat) { $null } else { 'lo' }
        RealServerVipPrefixLength = if ($nat) { $null } else { 32 }
        RealServerSysctls         = $sysctls
        DirectorNeedsIpForwarding = $nat
        IpvsForwardingMethod      = if ($nat) { 'Masquerade' } else { 'DirectRouting' }
        IpvsadmForwardFlag        = if ($nat) { '-m' } else { '-g' }
        StateDirectory            = Join-Path ([IO.Path]::GetTempPath()) "lvslab-$base"
        ServerPids                = @()
        Configured                = $false
        StartTimeoutSec           = $StartTimeoutSec
    }
    if ($Configure) {
        try { Initialize-LvsLab -Lab $lab }
        catch {
            $e = $_
            try { Remove-LvsLab -Lab $lab } catch { Write-Warning "LvsLab clean-up after a failed set-up: $_" }
            throw $e
        }
    }
    $lab
}

function Initialize-LvsLab([Parameter(Mandatory)] $Lab) {
    # Everything runs in ONE shell: starting a process from pwsh costs about a second in the UML guest, an
    # `ip` started by sh a few tens of milliseconds.
    $null = Get-LvsLabPython   # fails early, before anything is built, when there is none
    $dir = $Lab.StateDirectory
    $null = New-Item -ItemType Directory -Path $dir -Force
    [IO.File]::WriteAllText((Join-Path $dir 'server.py'), $script:ServerPy)
    [IO.File]::WriteAllText((Join-Path $dir 'client.py'), $script:ClientPy)
    [IO.File]::WriteAllText((Join-Path $dir 'loop.py'), $script:LoopPy)
    $n = $Lab.RealServers.Count
    $sh = @('set -e', (Get-LvsLabIpBatch $null @($Lab.Namespaces | ForEach-Object { "netns add $_" })))

    if ($Lab.Mode -eq 'Nat') {
        # client eth0 192.0.2.2/24 <-> director eth0 192.0.2.1/24 (+ the VIP, set by the tests)
        # director br0 10.77.0.1/24, ports rs1..rsN <-> real server eth0 10.77.0.1x/24, default via 10.77.0.1
        $d = @('link set lo up', "link add eth0 type veth peer name eth0 netns $($Lab.Client)",
            'link set eth0 up', 'addr add 192.0.2.1/24 dev eth0',
            'link add br0 type bridge', 'link set br0 up', 'addr add 10.77.0.1/24 dev br0')
        for ($i = 0; $i -lt $n; $i++) {
            $port = $Lab.RealServerNames[$i]
            $d += "link add $port type veth peer name eth0 netns $($Lab.RealServers[$i])"
            $d += "link set $port master br0", "link set $port up"
        }
        $sh += Get-LvsLabIpBatch $Lab.Director $d
        $sh += Get-LvsLabIpBatch $Lab.Client @('link set lo up', 'link set eth0 up', 'addr add 192.0.2.2/24 dev eth0',
            'route add default via 192.0.2.1')
        for ($i = 0; $i -lt $n; $i++) {
            $sh += Get-LvsLabIpBatch $Lab.RealServers[$i] @('link set lo up', 'link set eth0 up',
                "addr add $($Lab.RealServerAddresses[$i])/24 dev eth0", 'route add default via 10.77.0.1')
        }
    } else {
        # One L2 segment 192.0.2.0/24: bridge br0 in the switch namespace, port cl/dir/rs1..rsN <-> eth0 of each node.
        $nodes = @(@{ Port = 'cl'; Ns = $Lab.Client; Addr = $Lab.ClientAddress }, @{ Port = 'dir'; Ns = $Lab.Director; Addr = '192.0.2.1' })
        for ($i = 0; $i -lt $n; $i++) {
            $nodes += @{ Port = $Lab.RealServerNames[$i]; Ns = $Lab.RealServers[$i]; Addr = $Lab.RealServerAddresses[$i] }
        }
        $s = @('link set lo up', 'link add br0 type bridge', 'link set br0 up')
        foreach ($x in $nodes) {
            $s += "link add $($x.Port) type veth peer name eth0 netns $($x.Ns)"
            $s += "link set $($x.Port) master br0", "link set $($x.Port) up"
        }
        $sh += Get-LvsLabIpBatch $Lab.Switch $s
        foreach ($x in $nodes) {
            $sh += Get-LvsLabIpBatch $x.Ns @('link set lo up', 'link set eth0 up', "addr add $($x.Addr)/24 dev eth0")
        }
    }

    # HTTP servers in the background, stdio on log files (never the caller's pipe).
    for ($i = 0; $i -lt $n; $i++) { $sh += Get-LvsLabServerCommand $Lab $i }
    # From here on Remove-LvsLab can undo whatever part of this got done.
    $Lab.Configured = $true
    $null = Invoke-LvsLabNative -FilePath '/bin/sh' -ArgumentList @('-c', ($sh -join "`n"))

    $pids = @(0) * $n
    for ($i = 0; $i -lt $n; $i++) { $pids[$i] = Wait-LvsLabServerPid $Lab $i }
    $Lab.ServerPids = $pids
}

# The shell line that starts real server INDEX's HTTP server in the background (stdio on its log file, never the
# caller's pipe; -I -S: no site, less start-up). A fresh start removes the old PID file first.
function Get-LvsLabServerCommand($Lab, [int] $Index) {
    $q = { param($w) ConvertTo-LvsLabShellWord $w }
    $dir = $Lab.StateDirectory
    $name = $Lab.RealServerNames[$Index]
    'rm -f {5}; ip netns exec {0} {1} -I -S {2} {3} {4} {5} </dev/null >{6} 2>&1 &' -f (& $q $Lab.RealServers[$Index]),
        (& $q (Get-LvsLabPython)), (& $q (Join-Path $dir 'server.py')), (& $q $name), $Lab.Port,
        (& $q (Join-Path $dir "$name.pid")), (& $q (Join-Path $dir "$name.log"))
}

# Waits for real server INDEX's PID file (written once it listens) and returns the PID.
function Wait-LvsLabServerPid($Lab, [int] $Index) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Lab.StartTimeoutSec)
    $dir = $Lab.StateDirectory
    $name = $Lab.RealServerNames[$Index]
    $pidFile = Join-Path $dir "$name.pid"
    $logFile = Join-Path $dir "$name.log"
    while (-not (Test-Path -LiteralPath $pidFile)) {
        # The server writes nothing to its log unless it fails (a traceback, or `ip netns exec` complaining).
        $log = if (Test-Path -LiteralPath $logFile) { [IO.File]::ReadAllText($logFile) } else { '' }
        if ($log) { throw "LvsLab: the HTTP server of $name failed to start: $log" }
        if ([DateTime]::UtcNow -gt $deadline) {
            throw "LvsLab: the HTTP server of $name did not start within $($Lab.StartTimeoutSec) s."
        }
        Start-Sleep -Milliseconds 25
    }
    [int][IO.File]::ReadAllText($pidFile)
}

<#
.SYNOPSIS
Kills real server INDEX's HTTP server (SIGKILL, as a crash) and returns the Unix time (seconds) of the kill.
Its namespace and addresses stay: connections to it are refused from then on.
#>
function Stop-LvsLabServer {
    param([Parameter(Mandatory, Position = 0)] $Lab, [Parameter(Mandatory, Position = 1)] [int] $Index)
    $p = $Lab.ServerPids[$Index]
    if (-not ($p -gt 0 -and (Test-LvsLabPidMarked $p $Lab.StateDirectory))) {
        throw "LvsLab: the HTTP server of $($Lab.RealServerNames[$Index]) is not running."
    }
    $t = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
    ([Diagnostics.Process]::GetProcessById($p)).Kill()
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    while ((Test-LvsLabPidAlive $p) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
    $t
}

<#
.SYNOPSIS
Starts real server INDEX's HTTP server again (after Stop-LvsLabServer) and returns the Unix time (seconds) at
which it listens (its PID file appeared); ServerPids[INDEX] is updated.
#>
function Start-LvsLabServer {
    param([Parameter(Mandatory, Position = 0)] $Lab, [Parameter(Mandatory, Position = 1)] [int] $Index)
    $null = Invoke-LvsLabNative -FilePath '/bin/sh' -ArgumentList @('-c', (Get-LvsLabServerCommand $Lab $Index))
    $Lab.ServerPids[$Index] = Wait-LvsLabServerPid $Lab $Index
    [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
}

<#
.SYNOPSIS
Starts a client that sends GETs to VIP:Port (or -Address:-Port) in a loop (one connection after another, -GapMs apart) in the
background until Stop-LvsLabClientLoop; every request is logged with its start time.
#>
function Start-LvsLabClientLoop {
    param([Parameter(Mandatory, Position = 0)] $Lab, [int] $GapMs = 50, [double] $TimeoutSec = 1, [string] $Name = 'loop',
        [string] $Address, [int] $Port)
    if (-not $Address) { $Address = $Lab.Vip }
    if (-not $Port) { $Port = $Lab.Port }
    $q = { param($w) ConvertTo-LvsLabShellWord $w }
    $out = Join-Path $Lab.StateDirectory "$Name.tsv"
    [IO.File]::WriteAllText($out, '')
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $sh = 'ip netns exec {0} {1} -I -S {2} {3} {4} {5} {6} {7} </dev/null >{8} 2>&1 & echo $!' -f (& $q $Lab.Client),
        (& $q (Get-LvsLabPython)), (& $q (Join-Path $Lab.StateDirectory 'loop.py')), $Address, $Port, (& $q $out),
        ($GapMs / 1000.0).ToString($inv), $TimeoutSec.ToString($inv), (& $q "$out.log")
    $p = [int](Invoke-LvsLabNative -FilePath '/bin/sh' -ArgumentList @('-c', $sh))
    [pscustomobject]@{ PSTypeName = 'LvsLabClientLoop'; Lab = $Lab; Pid = $p; Path = $out }
}

<#
.SYNOPSIS
The requests a client loop logged: Time (Unix seconds when it started), Server (the name that answered, $null on
failure), Error. -Since keeps the later ones.
#>
function Get-LvsLabClientLoopResult {
    param([Parameter(Mandatory, Position = 0)] $Loop, [double] $Since = 0)
    foreach ($line in [IO.File]::ReadAllLines($Loop.Path)) {
        $f = $line -split "`t"
        if ($f.Count -lt 3) { continue }
        $t = [double]::Parse($f[0], [Globalization.CultureInfo]::InvariantCulture)
        if ($t -lt $Since) { continue }
        [pscustomobject]@{ Time = $t; Server = if ($f[1]) { $f[1] } else { $null }; Error = if ($f[2]) { $f[2] } else { $null } }
    }
}

function Stop-LvsLabClientLoop {
    param([Parameter(Mandatory, Position = 0)] $Loop)
    if ($Loop.Pid -gt 0 -and (Test-LvsLabPidMarked $Loop.Pid $Loop.Lab.StateDirectory)) {
        try { ([Diagnostics.Process]::GetProcessById($Loop.Pid)).Kill() } catch { Write-Verbose "LvsLab: $_" }
    }
}

<#
.SYNOPSIS
Sends COUNT HTTP GETs (each on a new TCP connection) from the lab's client namespace to http://VIP:Port/.
.OUTPUTS
An object with Requests (Index, Server, StatusCode, ClientSeen, LocalPort, Error, ElapsedMs per request),
Summary (hashtable: one count per real server name, all present, plus 'failed'; any other answer counts under
its own body), Client ('Python' or 'Curl') and ElapsedMs (the whole batch).
#>
function Invoke-LvsLabRequest {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, ValueFromPipeline)] $Lab,
        [ValidateRange(1, 100000)] [int] $Count = 1,
        [ValidateRange(0.1, 300)] [double] $TimeoutSec = 2,
        [string] $Address,
        [int] $Port,
        [string] $Path = '/',
        [ValidateSet('Python', 'Curl')] [string] $Client = 'Python'
    )
    process {
        if (-not $Lab.Configured) { throw 'LvsLab: the lab is not configured (New-LvsLab -Configure).' }
        if (-not $Address) { $Address = $Lab.Vip }
        if (-not $Port) { $Port = $Lab.Port }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $results = @()
        if ($Client -eq 'Python') {
            $lines = Invoke-LvsLabCommand $Lab.Client @((Get-LvsLabPython), '-I', '-S', (Join-Path $Lab.StateDirectory 'client.py'),
                $Address, "$Port", "$Count", "$TimeoutSec", $Path)
            $results = @(foreach ($line in @($lines)) {
                    $f = $line -split "`t"
                    if ($f.Count -lt 7) { continue }
                    [pscustomobject]@{
                        Index      = [int]$f[0]
                        Server     = if ($f[2]) { $f[2] } else { $null }
                        StatusCode = if ($f[1]) { [int]$f[1] } else { $null }
                        ClientSeen = if ($f[3]) { $f[3] } else { $null }
                        LocalPort  = if ($f[4]) { [int]$f[4] } else { $null }
                        Error      = if ($f[6]) { $f[6] } else { $null }
                        ElapsedMs  = [double]::Parse($f[5], [Globalization.CultureInfo]::InvariantCulture)
                    }
                })
        } else {
            $curl = Get-LvsLabCurl
            if (-not $curl) { throw 'LvsLab: curl not found; use -Client Python.' }
            # One shell in the namespace, one curl per request (a new process, so a new connection, each time).
            $url = "http://${Address}:$Port$Path"
            $script = 'i=0; while [ $i -lt "$1" ]; do i=$((i+1)); ' +
                '"$2" -s -m "$3" -H "Connection: close" -D - -w "\n@@LVSLAB %{http_code} %{local_port} %{time_total}\n" "$4"; ' +
                'echo "@@RC $?"; done'
            $lines = Invoke-LvsLabCommand $Lab.Client @('/bin/sh', '-c', $script, 'sh', "$Count", $curl, "$TimeoutSec", $url)
            $cur = $null; $i = 0
            foreach ($line in @($lines)) {
                if ($null -eq $cur) {
                    $i++
                    $cur = [ordered]@{ Index = $i; Server = $null; StatusCode = $null; ClientSeen = $null; LocalPort = $null; Error = $null; ElapsedMs = $null; Body = @() }
                }
                if ($line -match '^@@LVSLAB (\d+) (\d+) ([\d.]+)$') {
                    if ($Matches[1] -ne '000') { $cur.StatusCode = [int]$Matches[1] }
                    if ($Matches[2] -ne '0') { $cur.LocalPort = [int]$Matches[2] }
                    $cur.ElapsedMs = [math]::Round([double]$Matches[3] * 1000, 1)
                } elseif ($line -match '^@@RC (\d+)$') {
                    if ($Matches[1] -ne '0') { $cur.Error = "curl exit $($Matches[1])" }
                    $body = @($cur.Body | Where-Object { $_ -ne '' })
                    if ($cur.StatusCode) { $cur.Server = ($body | Select-Object -Last 1) }
                    $cur.Remove('Body')
                    $results += [pscustomobject]$cur
                    $cur = $null
                } elseif ($line -match '^X-Lvs-Lab-Client:\s*(\S+)') {
                    $cur.ClientSeen = $Matches[1]
                } elseif ($line -notmatch '^(HTTP/|[A-Za-z-]+:\s)') {
                    $cur.Body += $line.Trim()
                }
            }
        }
        $sw.Stop()
        $summary = @{ failed = 0 }
        foreach ($name in $Lab.RealServerNames) { $summary[$name] = 0 }
        foreach ($r in $results) {
            if ($r.Error -or $r.StatusCode -ne 200 -or -not $r.Server) { $summary.failed++ }
            else { $summary[$r.Server] = 1 + ($summary[$r.Server] ?? 0) }
        }
        [pscustomobject]@{
            PSTypeName = 'LvsLabResult'
            Requests   = $results
            Summary    = $summary
            Client     = $Client
            ElapsedMs  = $sw.ElapsedMilliseconds
        }
    }
}

<#
.SYNOPSIS
Tears a lab down: ends its HTTP servers (and any other process left inside its namespaces), deletes its
namespaces and its state folder. Idempotent; touches nothing that the lab did not create.
#>
function Remove-LvsLab {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Lab)
    process {
        # Done in-process (reading /proc, kill(2) through .NET) except for one `ip -batch` for the namespaces:
        # starting a process from pwsh costs about a second in the UML guest.
        $marker = $Lab.StateDirectory
        $victims = [Collections.Generic.HashSet[int]]::new()
        # The recorded servers, if they are still the lab's (a recycled PID would not name the state folder).
        foreach ($p in @($Lab.ServerPids)) {
            if ($p -gt 0 -and (Test-LvsLabPidMarked $p $marker)) { $null = $victims.Add($p) }
        }
        # Whatever else runs inside the lab's own namespaces (e.g. a server whose PID file never appeared).
        $mine = Get-LvsLabNamespaceId $Lab.Namespaces
        if ($mine.Count) {
            foreach ($d in [IO.Directory]::EnumerateDirectories('/proc')) {
                $p = 0
                if (-not [int]::TryParse([IO.Path]::GetFileName($d), [ref] $p) -or $p -eq $PID) { continue }
                try { $target = [IO.FileInfo]::new("$d/ns/net").LinkTarget } catch { continue }
                if ($target -and $mine.ContainsKey($target)) { $null = $victims.Add($p) }
            }
        }
        foreach ($p in $victims) {
            try { ([Diagnostics.Process]::GetProcessById($p)).Kill() } catch { Write-Verbose "LvsLab: kill $p : $_" }
        }
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while (@($victims | Where-Object { Test-LvsLabPidAlive $_ }).Count -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 20
        }

        $existing = @($Lab.Namespaces | Where-Object { $_ -and (Test-Path -LiteralPath "/run/netns/$_") })
        if ($existing.Count) {
            $batch = [IO.Path]::GetTempFileName()
            try {
                [IO.File]::WriteAllLines($batch, [string[]]@($existing | ForEach-Object { "netns del $_" }))
                $null = & ip -force -batch $batch 2>&1
            } finally { [IO.File]::Delete($batch) }
            foreach ($ns in $existing) {
                if (Test-Path -LiteralPath "/run/netns/$ns") { Write-Warning "LvsLab: could not delete namespace $ns" }
            }
        }
        if ($marker -and (Split-Path $marker -Leaf) -like 'lvslab-*' -and (Test-Path -LiteralPath $marker)) {
            Remove-Item -LiteralPath $marker -Recurse -Force -ErrorAction SilentlyContinue
        }
        $Lab.ServerPids = @()
        $Lab.Configured = $false
        $global:LASTEXITCODE = 0
    }
}

# The namespace ids ("net:[inode]") of the named namespaces that exist, from /proc/self/mountinfo (nsfs mounts
# under /run/netns), without starting a process.
function Get-LvsLabNamespaceId([string[]] $Names) {
    $ids = @{}
    $want = @{}
    foreach ($n in $Names) { if ($n) { $want["/run/netns/$n"] = $n } }
    foreach ($line in [IO.File]::ReadAllLines('/proc/self/mountinfo')) {
        $f = $line.Split(' ')
        if ($f.Count -gt 4 -and $want.ContainsKey($f[4]) -and $f[3] -like 'net:`[*`]') { $ids[$f[3]] = $want[$f[4]] }
    }
    $ids
}

# Alive = exists and is not a zombie (an orphan's zombie lingers until PID 1 reaps it, which can take a while).
function Test-LvsLabPidAlive([int] $ProcessId) {
    try {
        $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat")
        $state = $stat.Substring($stat.LastIndexOf(')') + 2, 1)
        $state -ne 'Z' -and $state -ne 'X'
    } catch { $false }
}

function Test-LvsLabPidMarked([int] $ProcessId, [string] $Marker) {
    try {
        $cmd = [IO.File]::ReadAllText("/proc/$ProcessId/cmdline")
        $cmd.Contains($Marker)
    } catch { $false }
}

Export-ModuleMember -Function New-LvsLab, Invoke-LvsLabRequest, Remove-LvsLab, Invoke-LvsLabCommand, Stop-LvsLabServer,
    Start-LvsLabServer, Start-LvsLabClientLoop, Get-LvsLabClientLoopResult, Stop-LvsLabClientLoop
