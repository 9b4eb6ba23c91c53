#Requires -Version 7.4
<#
.SYNOPSIS
    The LvsTools walk-through: the classic LVS preparation steps done with cmdlets, in a sandbox.
.DESCRIPTION
    Part 1 runs on this machine's kernel inside a network namespace of its own (the host's interfaces and
    sysctls are never touched): interfaces like ifconfig, a VIP alias like `ifconfig eth0:1`, IP forwarding,
    an LVS-DR real server's VIP on lo with its ARP switches.
    Part 2, when the kernel has no IPVS (as here), boots the User-mode Linux kernel and runs
    tools/Demo.Ipvs.ps1 there: an LVS-NAT service with two real servers answering real HTTP requests.
    iproute2 builds the sandbox only; every LVS step is a cmdlet.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [switch] $SkipIpvs
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

function Show([string] $Title) { Write-Host "`n### $Title" -ForegroundColor Yellow }
function Step([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Green }

$ns = 'lvsdemo-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
ip netns add $ns
try {
    ip -n $ns link set lo up
    ip -n $ns link add eth0 type veth peer name eth1
    ip -n $ns link set eth0 up
    ip -n $ns link set eth1 up
    Write-Host "Sandbox: network namespace '$ns' with a veth pair eth0/eth1 (made with iproute2)."

    Show 'ifconfig  →  Get-NetInterface'
    Step "Get-NetInterface -NetNamespace $ns -Name eth0"
    Get-NetInterface -NetNamespace $ns -Name eth0 | Out-Host

    Show 'ifconfig eth0:1 192.168.31.173 netmask 255.255.255.0  →  Add-LvsVirtualIp'
    Step "Add-LvsVirtualIp -NetNamespace $ns -InterfaceName eth0 -IPAddress 192.168.31.173 -SubnetMask 255.255.255.0"
    Add-LvsVirtualIp -NetNamespace $ns -InterfaceName eth0 -IPAddress 192.168.31.173 -SubnetMask 255.255.255.0 | Out-Host
    Step "Add-LvsVirtualIp -NetNamespace $ns eth0 192.168.31.174/24 -WhatIf    # a dry run shows the exact operation"
    Add-LvsVirtualIp -NetNamespace $ns eth0 192.168.31.174/24 -WhatIf
    Write-Host 'Cross-check with iproute2 (ip -br addr show dev eth0):'
    ip -n $ns -4 addr show dev eth0 | Out-Host

    Show 'echo 1 > /proc/sys/net/ipv4/ip_forward  →  Set-IpForwarding'
    Step "Set-IpForwarding -NetNamespace $ns -Enabled `$true -AddressFamily Both -PassThru"
    Set-IpForwarding -NetNamespace $ns -Enabled $true -AddressFamily Both -PassThru | Out-Host
    Write-Host "sysctl -n net.ipv4.ip_forward in the sandbox: $(ip netns exec $ns sysctl -n net.ipv4.ip_forward); on this host it stays $(Get-Content /proc/sys/net/ipv4/ip_forward)."

    Show 'LVS-DR real server: ifconfig lo:0 VIP netmask 255.255.255.255, ARP switches first'
    Step "'arp_ignore=1','arp_announce=2' | ... | Set-Sysctl -NetNamespace $ns -PassThru"
    @(
        [pscustomobject]@{ Name = 'net.ipv4.conf.eth0.arp_ignore'; Value = 1 }
        [pscustomobject]@{ Name = 'net.ipv4.conf.eth0.arp_announce'; Value = 2 }
        [pscustomobject]@{ Name = 'net.ipv4.conf.all.arp_ignore'; Value = 1 }
        [pscustomobject]@{ Name = 'net.ipv4.conf.all.arp_announce'; Value = 2 }
    ) | Set-Sysctl -NetNamespace $ns -PassThru | Out-Host
    Step "Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -IPAddress 10.0.0.100 -SubnetMask 255.255.255.255"
    Add-LvsVirtualIp -NetNamespace $ns -InterfaceName lo -IPAddress 10.0.0.100 -SubnetMask 255.255.255.255 | Out-Host

    Show 'All aliases (ip addr), then the ifconfig view'
    Step "Get-NetAlias -NetNamespace $ns -AddressFamily IPv4"
    Get-NetAlias -NetNamespace $ns -AddressFamily IPv4 | Out-Host
    Step "Get-NetInterface -NetNamespace $ns -Name eth0, lo"
    Get-NetInterface -NetNamespace $ns -Name eth0, lo | Out-Host

    Show 'Errors are PowerShell errors: category, stable id, the offending value'
    foreach ($bad in @(
            { Add-LvsVirtualIp -NetNamespace $ns eth0 999.1.1.1 -ErrorAction Stop },
            { Add-LvsVirtualIp -NetNamespace $ns eth0 192.168.31.173 -SubnetMask 255.255.255.0 -ErrorAction Stop },
            { Get-Sysctl -NetNamespace $ns 'net/ipv4/../../../etc/shadow' -ErrorAction Stop })) {
        Step $bad.ToString().Trim()
        try { & $bad } catch { Write-Host ("  {0} [{1}] target '{2}': {3}" -f $_.FullyQualifiedErrorId, $_.CategoryInfo.Category, $_.TargetObject, $_.Exception.Message) }
    }

    Show 'Clean-up through the pipeline'
    Step "Get-NetAlias -NetNamespace $ns -Label 'eth0:*','lo:*' | Remove-LvsVirtualIp -PassThru"
    Get-NetAlias -NetNamespace $ns -Label 'eth0:*', 'lo:*' | Sort-Object IsSecondary -Descending | Remove-LvsVirtualIp -PassThru | Out-Host
}
finally {
    ip netns del $ns
}

if ($SkipIpvs) { return }
$ipvsDemo = Join-Path $PSScriptRoot 'Demo.Ipvs.ps1'
if (-not (Test-Path $ipvsDemo)) { return }
if (Test-Path /proc/net/ip_vs) {
    & $ipvsDemo -ModulePath $ModulePath
}
else {
    Show 'IPVS: this kernel has none, so the rest runs inside the User-mode Linux kernel'
    & bash (Join-Path $PSScriptRoot '../tests/Uml/uml-run.sh') --timeout 900 --cwd (Split-Path $PSScriptRoot -Parent) -- (Join-Path $PSHOME 'pwsh') -NoLogo -NoProfile -NonInteractive -File $ipvsDemo -ModulePath $ModulePath
    if ($LASTEXITCODE) { throw "The IPVS demo failed ($LASTEXITCODE)." }
}
