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

# The real servers' HTTP server: answers every GET with its name; the marker (lab state folder) is on its command
# line so teardown can tell its processes from any other. It writes its PID file once it listens (readiness).
$script:ServerPy = @'
import http.server, os, socket, sys
name, port, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    os.setsid()
except OSError:
    pass
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        body = (name + '\n').encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('X-Lvs-Lab-Server', name)
        self.send_header('X-Lvs-Lab-Client', self.client_address[0])
        self.send_header('X-Lvs-Lab-Local', self.connection.getsockname()[0])
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(http.server.HTTPServer):
    allow_reuse_address = True
    request_queue_size = 64
srv = S(('0.0.0.0', port), H)
with open(pidfile + '.tmp', 'w') as f:
    f.write(str(os.getpid()))
os.rename(pidfile + '.tmp', pidfile)
srv.serve_forever()
'@

# The client: COUNT GETs, each on a new TCP connection, one JSON array on stdout.
$script:ClientPy = @'
import http.client, json, sys, time
host, port, count, timeout, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
out = []
for i in range(count):
    r = {'Index': i + 1, 'Server': None, 'StatusCode': None, 'ClientSeen': None, 'LocalPort': None, 'Error': None}
    t = time.monotonic()
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.connect()
        r['LocalPort'] = c.sock.getsockname()[1]
        c.request('GET', path, headers={'Connection': 'close'})
        resp = c.getresponse()
        r['StatusCode'] = resp.status
        r['Server'] = resp.read().decode('utf-8', 'replace').strip()
        r['ClientSeen'] = resp.getheader('X-Lvs-Lab-Client')
    except Exception as e:
        r['Error'] = '%s: %s' % (type(e).__name__, e)
    finally:
        c.close()
    r['ElapsedMs'] = round((time.monotonic() - t) * 1000, 1)
    out.append(r)
print(json.dumps(out))
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

# Runs an external command and throws (with its stderr) when it fails. Returns stdout lines.
function Invoke-LvsLabNative {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $InputText
    )
    $errFile = [IO.Path]::GetTempFileName()
    try {
        if ($PSBoundParameters.ContainsKey('InputText')) {
            $out = $InputText | & $FilePath @ArgumentList 2>$errFile
        } else {
            $out = & $FilePath @ArgumentList 2>$errFile
        }
        $rc = $LASTEXITCODE
        if ($rc) {
            $err = (Get-Content -Raw -LiteralPath $errFile) ?? ''
            throw "LvsLab: '$FilePath $($ArgumentList -join ' ')' failed (exit $rc): $($err.Trim())"
        }
        $out
    } finally {
        Remove-Item -LiteralPath $errFile -Force -ErrorAction SilentlyContinue
    }
}

<#
.SYNOPSIS
Runs a command inside a network namespace (ip netns exec) and throws when it exits non-zero; returns its stdout.
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

# Runs several `ip` commands in one namespace with a single process (ip -batch): process start-up is what costs
# in the UML guest (every syscall goes through ptrace).
function Invoke-LvsLabIpBatch([string] $Namespace, [string[]] $Lines) {
    $a = if ($Namespace) { @('-n', $Namespace, '-batch', '-') } else { @('-batch', '-') }
    $null = Invoke-LvsLabNative -FilePath 'ip' -ArgumentList $a -InputText (($Lines -join "`n") + "`n")
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
            $sysctls += [pscustomobject]@{ Namespace = $ns; Name = 'net.ipv4.conf.eth0.arp_ignore'; Value = '1' }
            $sysctls += [pscustomobject]@{ Namespace = $ns; Name = 'net.ipv4.conf.eth0.arp_announce'; Value = '2' }
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
    $python = Get-LvsLabPython
    $dir = $Lab.StateDirectory
    $null = New-Item -ItemType Directory -Path $dir -Force
    Set-Content -LiteralPath (Join-Path $dir 'server.py') -Value $script:ServerPy -NoNewline
    Set-Content -LiteralPath (Join-Path $dir 'client.py') -Value $script:ClientPy -NoNewline

    # Namespaces first, one process. From here on Remove-LvsLab can undo everything.
    Invoke-LvsLabIpBatch $null @($Lab.Namespaces | ForEach-Object { "netns add $_" })
    $Lab.Configured = $true
    $n = $Lab.RealServers.Count

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
        Invoke-LvsLabIpBatch $Lab.Director $d
        Invoke-LvsLabIpBatch $Lab.Client @('link set lo up', 'link set eth0 up', 'addr add 192.0.2.2/24 dev eth0',
            'route add default via 192.0.2.1')
        for ($i = 0; $i -lt $n; $i++) {
            Invoke-LvsLabIpBatch $Lab.RealServers[$i] @('link set lo up', 'link set eth0 up',
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
        Invoke-LvsLabIpBatch $Lab.Switch $s
        foreach ($x in $nodes) {
            Invoke-LvsLabIpBatch $x.Ns @('link set lo up', 'link set eth0 up', "addr add $($x.Addr)/24 dev eth0")
        }
    }

    # HTTP servers: one shell starts them all in the background (stdio to log files, never the caller's pipe).
    $q = { param($s) "'" + ($s -replace "'", "'\''") + "'" }
    $server = Join-Path $dir 'server.py'
    $cmds = for ($i = 0; $i -lt $n; $i++) {
        $name = $Lab.RealServerNames[$i]
        $pidFile = Join-Path $dir "$name.pid"
        $log = Join-Path $dir "$name.log"
        'ip netns exec {0} {1} {2} {3} {4} {5} </dev/null >{6} 2>&1 &' -f (& $q $Lab.RealServers[$i]), (& $q $python),
            (& $q $server), (& $q $name), $Lab.Port, (& $q $pidFile), (& $q $log)
    }
    Invoke-LvsLabNative -FilePath '/bin/sh' -ArgumentList @('-c', ($cmds -join "`n"))

    $deadline = [DateTime]::UtcNow.AddSeconds($Lab.StartTimeoutSec)
    $pids = @(0) * $n
    for ($i = 0; $i -lt $n; $i++) {
        $pidFile = Join-Path $dir "$($Lab.RealServerNames[$i]).pid"
        while (-not (Test-Path -LiteralPath $pidFile)) {
            if ([DateTime]::UtcNow -gt $deadline) {
                $log = Get-Content -Raw -LiteralPath (Join-Path $dir "$($Lab.RealServerNames[$i]).log") -ErrorAction SilentlyContinue
                throw "LvsLab: the HTTP server of $($Lab.RealServerNames[$i]) did not start within $($Lab.StartTimeoutSec) s. $log"
            }
            Start-Sleep -Milliseconds 50
        }
        $pids[$i] = [int](Get-Content -Raw -LiteralPath $pidFile)
    }
    $Lab.ServerPids = $pids
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
            $json = Invoke-LvsLabCommand $Lab.Client @((Get-LvsLabPython), (Join-Path $Lab.StateDirectory 'client.py'),
                $Address, "$Port", "$Count", "$TimeoutSec", $Path)
            $results = @(($json -join "`n") | ConvertFrom-Json)
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
        $marker = $Lab.StateDirectory
        $victims = [Collections.Generic.HashSet[int]]::new()
        # The recorded servers, if they are still the lab's (a recycled PID would not name the state folder).
        foreach ($p in @($Lab.ServerPids)) {
            if ($p -gt 0 -and (Test-LvsLabPidMarked $p $marker)) { $null = $victims.Add($p) }
        }
        # Whatever still runs inside the lab's own namespaces (e.g. a server whose PID file never appeared).
        foreach ($ns in @($Lab.Namespaces)) {
            if (-not (Test-Path -LiteralPath "/run/netns/$ns")) { continue }
            foreach ($p in @(ip netns pids $ns 2>$null)) {
                if ($p -match '^\d+$' -and [int]$p -ne $PID) { $null = $victims.Add([int]$p) }
            }
        }
        foreach ($p in $victims) { kill -TERM $p 2>$null }
        $deadline = [DateTime]::UtcNow.AddSeconds(3)
        while (@($victims | Where-Object { Test-Path "/proc/$_" }).Count -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }
        foreach ($p in $victims) { if (Test-Path "/proc/$p") { kill -KILL $p 2>$null } }
        $global:LASTEXITCODE = 0

        foreach ($ns in @($Lab.Namespaces)) {
            if (Test-Path -LiteralPath "/run/netns/$ns") {
                ip netns del $ns 2>$null
                if ($LASTEXITCODE -and (Test-Path -LiteralPath "/run/netns/$ns")) { Write-Warning "LvsLab: could not delete namespace $ns" }
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

function Test-LvsLabPidMarked([int] $ProcessId, [string] $Marker) {
    try {
        $cmd = [IO.File]::ReadAllText("/proc/$ProcessId/cmdline")
        $cmd.Contains($Marker)
    } catch { $false }
}

Export-ModuleMember -Function New-LvsLab, Invoke-LvsLabRequest, Remove-LvsLab, Invoke-LvsLabCommand
