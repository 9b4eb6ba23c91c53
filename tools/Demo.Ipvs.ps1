#Requires -Version 7.4
<#
.SYNOPSIS
    The IPVS half of the LvsTools walk-through: an LVS-NAT director built with cmdlets, answering real HTTP requests,
    then kept healthy by Start-LvsController while a real server dies and comes back.
.DESCRIPTION
    Needs a kernel with IPVS (tools/Demo.ps1 runs this inside the User-mode Linux kernel when the host has none) and
    root. A throw-away lab of network namespaces (New-LvsLab: a client, a director and two real servers running the
    module's small HTTP servers) provides the plumbing only; the VIP, IP forwarding, the virtual service and its real
    servers are set with LvsTools' cmdlets. The last part runs Start-LvsController on a document of the same service
    with TCP checks every second (fall 2): a real server taken down (Set-LvsLabServer -State Down) is at weight 0 within
    fall x interval + 1 s and every request after that succeeds; brought up again, it takes traffic again. The lab is
    removed at the end, whatever happens.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

function Show([string] $Title) { Write-Host "`n### $Title" -ForegroundColor Yellow }
function Step([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Green }

# One batch of HTTP requests from the lab's client to the VIP, printed one line per request plus a summary.
function Show-Traffic($Lab, [int] $Count) {
    Step "Invoke-LvsLabRequest -Lab `$lab -Count $Count    # $Count GETs to http://$($Lab.Vip):$($Lab.Port)/, a new TCP connection each"
    $r = Invoke-LvsLabRequest -Lab $Lab -Count $Count
    $r.Requests | Format-Table Index, @{ n = 'AnsweredBy'; e = 'Server' }, StatusCode, @{ n = 'ClientSeenByServer'; e = 'ClientAddress' },
        Error, @{ n = 'LatencyMs'; e = { [math]::Round($_.Latency.TotalMilliseconds, 1) } } | Out-Host
    $names = @($Lab.RealServerNames | ForEach-Object { "$_ $($r.Summary.Servers[$_])" }) + "failed $($r.Summary.Failed)"
    Write-Host "Summary: $($names -join ', ')"
    $r
}

$sw = [Diagnostics.Stopwatch]::StartNew()
Show 'The lab: client -> director -> two real servers, each in a network namespace of its own'
Step 'New-LvsLab -Mode Nat    # plumbing only: links, addresses, routes, an HTTP server per real server'
$lab = New-LvsLab -Mode Nat -Name "demo$PID" -Confirm:$false
try {
    $d = $lab.Director
    $vip = "$($lab.Vip)"
    $port = $lab.Port
    $rs = @($lab.RealServerAddresses | ForEach-Object { "$_" })
    Write-Host ("client   {0,-18} {1} on eth0" -f $lab.Client, $lab.ClientAddress)
    $eth = $lab.VipInterface
    Write-Host ("director {0,-18} {1} {2} (client side), {3} (real servers' side, their gateway)" -f $d, $eth, $lab.DirectorAddress, $lab.Gateway)
    for ($i = 0; $i -lt $rs.Count; $i++) {
        Write-Host ("{0}      {1,-18} {2}:{3} answers '{0}'" -f $lab.RealServerNames[$i], $lab.RealServers[$i], $rs[$i], $port)
    }
    Write-Host "The VIP $vip, IP forwarding and IPVS are not set yet: the cmdlets below do that in namespace $d."

    Show 'echo 1 > /proc/sys/net/ipv4/ip_forward  →  Set-IpForwarding'
    Step "Set-IpForwarding -NetNamespace $d -Enabled `$true -PassThru"
    Set-IpForwarding -NetNamespace $d -Enabled $true -PassThru | Out-Host

    Show 'ifconfig eth0:1 VIP + ipvsadm -A -t VIP:PORT -s wrr + ipvsadm -a ... -m -w 3  →  one pipeline'
    Step ("Add-LvsVirtualIp -NetNamespace $d -InterfaceName $eth -IPAddress $vip -PrefixLength 32 |`n" +
        "      New-LvsService -Protocol Tcp -Port $port -Scheduler wrr |`n" +
        "      Add-LvsRealServer -Address $($rs -join ',') -Port $port -ForwardingMethod Masquerade -Weight 3")
    Add-LvsVirtualIp -NetNamespace $d -InterfaceName $eth -IPAddress $vip -PrefixLength 32 |
        New-LvsService -Protocol Tcp -Port $port -Scheduler wrr |
        Add-LvsRealServer -Address $rs -Port $port -ForwardingMethod Masquerade -Weight 3 | Out-Host

    Show 'ifconfig eth0  →  Get-NetInterface (the VIP is the eth0:1 alias)'
    Step "Get-NetInterface -NetNamespace $d -Name $eth"
    Get-NetInterface -NetNamespace $d -Name $eth | Out-Host

    Show 'ipvsadm -Ln  →  Get-LvsService, Get-LvsService | Get-LvsRealServer'
    Step "Get-LvsService -NetNamespace $d | Format-Table -AutoSize"
    Get-LvsService -NetNamespace $d | Format-Table -AutoSize | Out-Host
    Step "Get-LvsService -NetNamespace $d | Get-LvsRealServer"
    Get-LvsService -NetNamespace $d | Get-LvsRealServer | Out-Host

    Show 'Real HTTP requests through the director: both real servers answer'
    $first = Show-Traffic $lab 10
    $sent = $first.Requests.Count

    Show 'ipvsadm -Ln --stats  →  Format-Table -View Stats (the kernel folds its counters in about every 2 s)'
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ((Get-LvsService -NetNamespace $d).Statistics.Connections -lt $sent -and [DateTime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds 500
    }
    Step "Get-LvsService -NetNamespace $d | Format-Table -View Stats -AutoSize"
    Get-LvsService -NetNamespace $d | Format-Table -View Stats -AutoSize | Out-Host
    Step "Get-LvsRealServer -NetNamespace $d | Format-Table -View Stats"
    Get-LvsRealServer -NetNamespace $d | Format-Table -View Stats | Out-Host

    Show 'Drain a real server: weight 0. First a dry run, which names the exact ipvsadm command'
    Step "Get-LvsService -NetNamespace $d | Get-LvsRealServer -Address $($rs[0]) | Set-LvsRealServer -Weight 0 -WhatIf"
    Get-LvsService -NetNamespace $d | Get-LvsRealServer -Address $rs[0] | Set-LvsRealServer -Weight 0 -WhatIf
    Step "Get-LvsService -NetNamespace $d | Get-LvsRealServer -Address $($rs[0]) | Set-LvsRealServer -Weight 0 -PassThru"
    Get-LvsService -NetNamespace $d | Get-LvsRealServer -Address $rs[0] | Set-LvsRealServer -Weight 0 -PassThru | Out-Host

    Show "New connections now all go to $($lab.RealServerNames[1])"
    $null = Show-Traffic $lab 6
    Step "Get-LvsService -NetNamespace $d | Get-LvsRealServer    # weight 0 for $($rs[0]); its old connections linger as InActConn"
    Get-LvsService -NetNamespace $d | Get-LvsRealServer | Out-Host

    Show 'Cross-check with the real ipvsadm in the director (the module itself never runs it)'
    Step "ip netns exec $d ipvsadm -Ln"
    & ip netns exec $d ipvsadm -Ln | Out-Host

    Show 'Start-LvsController: the document is the truth, TCP checks every second; a real server dies and comes back'
    $doc = Join-Path ([IO.Path]::GetTempPath()) "lvsdemo-$PID.json"
    [IO.File]::WriteAllText($doc, ([ordered]@{
                schemaVersion = 2
                services      = @([ordered]@{
                        protocol = 'tcp'; address = $vip; port = $port; scheduler = 'wrr'
                        healthCheck = [ordered]@{ type = 'tcp'; interval = 1; timeout = 1; fall = 2; rise = 2 }
                        realServers = @($rs | ForEach-Object { [ordered]@{ address = $_; port = $port; forwarding = 'masquerade'; weight = 3 } })
                    })
            } | ConvertTo-Json -Depth 6))
    Step "Get-Content $doc    # (compressed here)"
    Write-Host (Get-Content $doc -Raw | ConvertFrom-Json | ConvertTo-Json -Depth 6 -Compress)
    Step "Start-ThreadJob { Start-LvsController -Path $doc -NetNamespace $d -Interval 1 }    # under systemd: pwsh -c Start-LvsController ..."
    $job = Start-ThreadJob -ArgumentList $ModulePath, $doc, $d {
        param($m, $p, $n)
        Import-Module $m
        Start-LvsController -Path $p -NetNamespace $n -Interval 1
    }
    $events = [Collections.Generic.List[object]]::new()
    # Polls the weight of one real server until it is WEIGHT; returns the seconds it took (or $null after 30 s).
    function Wait-Weight([string] $Address, [int] $Weight, [datetime] $Since) {
        while ([DateTime]::UtcNow -lt $Since.AddSeconds(30)) {
            $w = (Get-LvsService -NetNamespace $d | Get-LvsRealServer -Address $Address).Weight
            if ($w -eq $Weight) { return ([DateTime]::UtcNow - $Since).TotalSeconds }
            if ($job.State -in 'Completed', 'Failed', 'Stopped') { throw "The controller ended: $($job | Receive-Job 2>&1 | Out-String)" }
            Start-Sleep -Milliseconds 100
        }
    }
    try {
        # rs1 is at weight 0 from the step above while the document gives it 3: the controller adopts that as "taken
        # out" and puts it back after rise (2) good checks.
        $t = Wait-Weight $rs[0] 3 ([DateTime]::UtcNow)
        if ($null -eq $t) { throw "The controller did not put $($rs[0]) back at weight 3 within 30 s." }
        Write-Host ("{0} adopted at weight 0, back at weight 3 after {1:n1} s (two passed checks)" -f $rs[0], $t)
        Step "Get-LvsService -NetNamespace $d | Get-LvsRealServer"
        Get-LvsService -NetNamespace $d | Get-LvsRealServer | Out-Host

        $name = $lab.RealServerNames[1]
        Step "Set-LvsLabServer -Lab `$lab -Name $name -State Down    # $name refuses connections, as a crashed server does"
        $down = [DateTime]::UtcNow
        Set-LvsLabServer -Lab $lab -Name $name -State Down -Confirm:$false
        $t = Wait-Weight $rs[1] 0 $down
        if ($null -eq $t) { throw "The controller did not take $($rs[1]) out within 30 s." }
        $budget = 2 * 1 + 1
        Write-Host ("{0} at weight 0 after {1:n1} s (the budget: fall 2 x interval 1 s + 1 s = {2} s): {3}" -f $rs[1], $t, $budget,
            $(if ($t -le $budget) { 'within it' } else { 'OVER it' }))
        Show "Every request now succeeds: $($lab.RealServerNames[0]) answers them all"
        $after = Show-Traffic $lab 6
        if ($after.Summary.Failed) { throw "$($after.Summary.Failed) request(s) failed after the controller took $name out." }

        Step "Set-LvsLabServer -Lab `$lab -Name $name -State Up"
        $up = [DateTime]::UtcNow
        Set-LvsLabServer -Lab $lab -Name $name -State Up -Confirm:$false
        $t = Wait-Weight $rs[1] 3 $up
        if ($null -eq $t) { throw "The controller did not put $($rs[1]) back within 30 s." }
        Write-Host ("{0} back at weight 3 after {1:n1} s (rise 2 x interval 1 s)" -f $rs[1], $t)
        $null = Show-Traffic $lab 6
    }
    finally {
        Step 'Stop-Job $job    # as Ctrl+C: the loop ends between cycles, the table stays as it is'
        $job | Stop-Job
        $job | Receive-Job -ErrorAction SilentlyContinue | ForEach-Object { $events.Add($_) }
        $job | Remove-Job -Force
        Remove-Item -LiteralPath $doc -ErrorAction SilentlyContinue
    }
    Show "The controller's events (one JSON line each with -EventLogPath)"
    $events | Format-Table @{ n = 'Time'; e = { $_.Time.ToString('HH:mm:ss.fff') } }, Kind, RealServer, Detail -Wrap | Out-Host
}
finally {
    Show 'Clean-up'
    Step 'Remove-LvsLab -InputObject $lab    # ends the HTTP servers, deletes the namespaces (and with them the VIP and IPVS table)'
    Remove-LvsLab -InputObject $lab -Confirm:$false
    Write-Host ("IPVS demo done in {0:n1} s." -f $sw.Elapsed.TotalSeconds)
}
