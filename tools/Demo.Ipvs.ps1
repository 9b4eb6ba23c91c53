#Requires -Version 7.4
<#
.SYNOPSIS
    The IPVS half of the LvsTools walk-through: an LVS-NAT director built with cmdlets, answering real HTTP requests.
.DESCRIPTION
    Needs a kernel with IPVS (tools/Demo.ps1 runs this inside the User-mode Linux kernel when the host has none) and
    root. A throw-away lab of network namespaces (tests/Pester/LvsLab.psm1: a client, a director and two real servers
    running small python HTTP servers) provides the plumbing only; the VIP, IP forwarding, the virtual service and
    its real servers are set with LvsTools' cmdlets. The lab is removed at the end, whatever happens.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/LvsLab.psm1') -Force

function Show([string] $Title) { Write-Host "`n### $Title" -ForegroundColor Yellow }
function Step([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Green }

# One batch of HTTP requests from the lab's client to the VIP, printed one line per request plus a summary.
function Show-Traffic($Lab, [int] $Count) {
    Step "Invoke-LvsLabRequest -Lab `$lab -Count $Count    # $Count GETs to http://$($Lab.Vip):$($Lab.Port)/, a new TCP connection each"
    $r = Invoke-LvsLabRequest -Lab $Lab -Count $Count
    $r.Requests | Format-Table Index, @{ n = 'AnsweredBy'; e = 'Server' }, StatusCode, @{ n = 'ClientSeenByServer'; e = 'ClientSeen' },
        LocalPort, Error, ElapsedMs | Out-Host
    $names = @($Lab.RealServerNames | ForEach-Object { "$_ $($r.Summary[$_])" }) + "failed $($r.Summary.failed)"
    Write-Host "Summary: $($names -join ', ')"
    $r
}

$sw = [Diagnostics.Stopwatch]::StartNew()
Show 'The lab: client -> director -> two real servers, each in a network namespace of its own'
Step 'New-LvsLab -Mode Nat -Configure    # plumbing only: links, addresses, routes, an HTTP server per real server'
$lab = New-LvsLab -Mode Nat -Configure
try {
    $d = $lab.Director
    $vip = $lab.Vip
    $port = $lab.Port
    $rs = $lab.RealServerAddresses
    Write-Host ("client   {0,-18} {1} on eth0" -f $lab.Client, $lab.ClientAddress)
    $eth = $lab.DirectorVipInterface
    Write-Host ("director {0,-18} {1} {2} (client side), {3} {4} (real servers' side)" -f $d, $eth, $lab.DirectorAddresses[0],
        $lab.DirectorRealServerInterface, $lab.DirectorAddresses[1])
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
    Invoke-LvsLabCommand $d ipvsadm, -Ln | Out-Host
}
finally {
    Show 'Clean-up'
    Step 'Remove-LvsLab $lab    # ends the HTTP servers, deletes the namespaces (and with them the VIP and IPVS table)'
    Remove-LvsLab $lab
    Write-Host ("IPVS demo done in {0:n1} s." -f $sw.Elapsed.TotalSeconds)
}
