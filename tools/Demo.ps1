#Requires -Version 7.4
<#
.SYNOPSIS
    The LvsTools walk-through: the classic LVS preparation steps done with cmdlets, in a sandbox.
.DESCRIPTION
    Part 1 runs on this machine's kernel inside a network namespace of its own (the host's interfaces and
    sysctls are never touched): interfaces like ifconfig, a VIP alias like `ifconfig eth0:1`, IP forwarding,
    an LVS-DR real server set up by Enable-LvsRealServerRole (ARP switches, then the VIP on lo), several namespaces in
    one command, and a document turned into keepalived.conf and back.
    Part 2, when the kernel has no IPVS (as here), boots the User-mode Linux kernel and runs
    tools/Demo.Ipvs.ps1 there: an LVS-NAT service with two real servers answering real HTTP requests, then
    Start-LvsController taking a real server that dies out of the service (weight 0 within fall x interval + 1 s)
    and putting it back when it answers again.
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

    Show 'LVS-DR real server: ARP switches first, then ifconfig lo:0 VIP netmask 255.255.255.255  →  Enable-LvsRealServerRole'
    Step "Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface eth0 -WhatIf"
    Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface eth0 -WhatIf
    Step "Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface eth0"
    Enable-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface eth0 | Out-Host
    Step "Get-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface eth0    # ready, nothing missing"
    Get-LvsRealServerRole -NetNamespace $ns -VirtualAddress 10.0.0.100 -Mode DirectRouting -Interface eth0 | Format-List Ready, Missing | Out-Host
    Step "Get-Sysctl -NetNamespace $ns 'net.ipv4.conf.*.arp_*'"
    Get-Sysctl -NetNamespace $ns 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce', 'net.ipv4.conf.eth0.arp_ignore', 'net.ipv4.conf.eth0.arp_announce' | Out-Host

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

    Show 'Several machines at once: -NetNamespace takes several names, each object says where it came from'
    ip netns add "$ns-b"
    ip -n "$ns-b" link set lo up
    Step "Set-IpForwarding -NetNamespace $ns, $ns-b -Enabled `$true; Get-IpForwarding -NetNamespace $ns, $ns-b"
    Set-IpForwarding -NetNamespace $ns, "$ns-b" -Enabled $true
    Get-IpForwarding -NetNamespace $ns, "$ns-b" | Format-Table AddressFamily, Enabled, NetNamespace | Out-Host
    ip netns del "$ns-b"
    Write-Host 'Across machines: Invoke-Command -HostName rs1, rs2 { Enable-LvsRealServerRole ... } (Get-Help about_LvsTools_Fleet).'

    Show 'keepalived.conf  ←→  the configuration document: ConvertTo-KeepalivedConfig, ConvertFrom-KeepalivedConfig'
    $doc = Join-Path ([IO.Path]::GetTempPath()) "$ns.json"
    $conf = Join-Path ([IO.Path]::GetTempPath()) "$ns.conf"
    Set-Content $doc -Value '{ "schemaVersion": 2, "services": [ { "protocol": "tcp", "address": "10.0.0.100", "port": 80, "scheduler": "wrr",
  "healthCheck": { "type": "http", "path": "/health", "timeout": 2, "interval": 5, "fall": 3 },
  "realServers": [ { "address": "10.0.1.11", "port": 80, "weight": 3 }, { "address": "10.0.1.12", "port": 80, "weight": 1 } ] } ] }'
    Step "ConvertTo-KeepalivedConfig -Path lb.json -VrrpInterface eth0 -VirtualRouterId 51 -Priority 150 -State MASTER"
    ConvertTo-KeepalivedConfig -Path $doc -VrrpInterface eth0 -VirtualRouterId 51 -Priority 150 -State MASTER | Tee-Object -Variable text | Out-Host
    Set-Content $conf -Value $text
    Step 'ConvertFrom-KeepalivedConfig -Path keepalived.conf | ConvertTo-IpvsadmRule    # and back, as ipvsadm rules'
    ConvertFrom-KeepalivedConfig -Path $conf | ConvertTo-IpvsadmRule | Out-Host
    Remove-Item $doc, $conf -ErrorAction SilentlyContinue

    Show 'Clean-up through the pipeline'
    Step "Disable-LvsRealServerRole -NetNamespace $ns    # undoes what Enable did, and only that"
    Disable-LvsRealServerRole -NetNamespace $ns | Out-Host
    Step "Get-NetAlias -NetNamespace $ns -Label 'eth0:*' | Remove-LvsVirtualIp -PassThru"
    Get-NetAlias -NetNamespace $ns -Label 'eth0:*' | Sort-Object IsSecondary -Descending | Remove-LvsVirtualIp -PassThru | Out-Host
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
