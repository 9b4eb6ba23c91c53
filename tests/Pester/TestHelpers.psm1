# Helpers shared by the Pester suites: the module under test and network namespaces of the tests' own.
# iproute2 is used here only to build sandboxes and as an independent cross-check; the module never calls it.
Set-StrictMode -Version Latest

function Get-LvsModulePath {
    if ($env:LVSTOOLS_MODULE) { return $env:LVSTOOLS_MODULE }
    Join-Path (Split-Path (Split-Path $PSScriptRoot -Parent) -Parent) 'out/LvsTools/LvsTools.psd1'
}

function Test-KernelTestsAvailable {
    # Kernel tests need root (network namespaces) and iproute2.
    (Get-Command ip -ErrorAction SilentlyContinue) -and ((id -u) -eq '0')
}

function Test-IpvsAvailable {
    # The IPVS generic netlink family exists once ip_vs is loaded; the host kernel of our machines has none.
    Test-Path /proc/net/ip_vs
}

function New-TestNamespace {
    param([switch] $NoVeth)
    $name = 'lvsp-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    ip netns add $name
    if ($LASTEXITCODE) { throw "ip netns add $name failed" }
    ip -n $name link set lo up
    if (-not $NoVeth) {
        ip -n $name link add veth0 type veth peer name veth1
        ip -n $name link set veth0 up
        ip -n $name link set veth1 up
    }
    $name
}

function Remove-TestNamespace([string] $Name) {
    if ($Name) { ip netns del $Name 2>$null }
}

function Get-IpAddressJson([string] $Namespace, [string] $Device) {
    $args2 = @('-n', $Namespace, '-j', 'addr', 'show')
    if ($Device) { $args2 += @('dev', $Device) }
    (ip @args2 | ConvertFrom-Json)
}

# The addresses of a namespace as "dev local/prefix label" lines, sorted; IPv6 link-local addresses (whose DAD
# state changes by itself while a test runs) are left out, so two snapshots differ only if something changed them.
function Get-AddressSnapshot([string] $Namespace) {
    $links = ip -n $Namespace -j addr show | ConvertFrom-Json
    foreach ($l in $links) {
        foreach ($a in @($l.PSObject.Properties['addr_info'] ? $l.addr_info : @())) {
            if ($a.scope -eq 'link' -and $a.family -eq 'inet6') { continue }
            $label = $a.PSObject.Properties['label'] ? $a.label : ''
            '{0} {1}/{2} {3}' -f $l.ifname, $a.local, $a.prefixlen, $label
        }
    }
}

# The IPv4 addresses on one device (strings).
function Get-Ipv4Address([string] $Namespace, [string] $Device) {
    foreach ($l in (ip -n $Namespace -4 -j addr show dev $Device | ConvertFrom-Json)) {
        if ($l.PSObject.Properties['addr_info']) { $l.addr_info | ForEach-Object local }
    }
}

Export-ModuleMember -Function *
