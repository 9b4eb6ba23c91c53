#Requires -Version 7.4
<#
.SYNOPSIS
    The IPVS half of the LvsTools walk-through: an LVS-NAT director built with cmdlets, answering real HTTP requests.
.DESCRIPTION
    Needs a kernel with IPVS (tools/Demo.ps1 runs this inside the User-mode Linux kernel when the host has none) and
    root. A throw-away lab of network namespaces (New-LvsLab: a client, a director and two real servers running the
    module's HTTP servers) provides the plumbing (and IP forwarding on the NAT director); the VIP, the virtual service
    and its real servers are set with LvsTools' cmdlets. The lab is removed at the end, whatever happens.
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
        ClientPort, Error, @{ n = 'LatencyMs'; e = { '{0:0.0}' -f $_.Latency.TotalMilliseconds } } | Out-Host
    $names = @($Lab.RealServerNames | ForEach-Object { "$_ $($r.Summary.Servers[$_])" }) + "failed $($r.Summary.Failed)"
    Write-Host "Summary: $($names -join ', ')"
    $r
}

$sw = [Diagnostics.Stopwatch]::StartNew()
Show 'The lab: client -> director -> two real servers, each in a network namespace of its own'
Step 'New-LvsLab -Mode Nat    # plumbing only: links, addresses, routes, IP forwarding, an HTTP server per real server'
$lab = New-LvsLab -Mode Nat
try {
    $d = $lab.Director
    $vip = "$($lab.Vip)"
    $port = $lab.Port
    $rs = @($lab.RealServerAddresses | ForEach-Object { "$_" })
    Write-Host ("client   {0,-18} {1} on eth0" -f $lab.Client, $lab.ClientAddress)
    $eth = $lab.VipInterface
    Write-Host ("director {0,-18} {1} {2} (client side), eth1 {3} (real servers' side)" -f $d, $eth, $lab.DirectorAddress, $lab.Gateway)
    for ($i = 0; $i -lt $rs.Count; $i++) {
        Write-Host ("{0}      {1,-18} {2}:{3} answers '{0}'" -f $lab.RealServerNames[$i], $lab.RealServers[$i], $rs[$i], $port)
    }
    Write-Host "The VIP $vip and IPVS are not set yet: the cmdlets below do that in namespace $d."

    Show 'sysctl net.ipv4.ip_forward  →  Get-IpForwarding (the lab turned it on: NAT answers pass back through the director)'
    Step "Get-IpForwarding -NetNamespace $d"
    Get-IpForwarding -NetNamespace $d | Out-Host

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
    ip netns exec $d ipvsadm -Ln | Out-Host
}
finally {
    Show 'Clean-up'
    Step 'Remove-LvsLab $lab    # ends the HTTP servers, deletes the namespaces (and with them the VIP and IPVS table)'
    Remove-LvsLab $lab
    Write-Host ("IPVS demo done in {0:n1} s." -f $sw.Elapsed.TotalSeconds)
}
