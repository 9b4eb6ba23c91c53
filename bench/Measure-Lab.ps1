#Requires -Version 7.4
<#
.SYNOPSIS
    New-LvsLab / Remove-LvsLab time for 2 and 20 real servers, and requests per second through a NAT lab, as ratios.
.DESCRIPTION
    Run as root, on the host (lab times only) or inside the User-mode Linux kernel (with IPVS: the NAT row too).
      create/remove  New-LvsLab -Mode Nat -RealServerCount N and Remove-LvsLab, median of -Runs, against the
                     yardstick `ip -batch` adding (and deleting) as many namespaces: the bare cost of the namespaces
      requests       Invoke-LvsLabRequest -Count -Requests -Parallel -Parallel through the VIP of a NAT lab (an IPVS
                     service built with New-LvsService/Add-LvsRealServer), against the same requests sent straight to
                     one real server of the same lab (the director routing, no IPVS)
    Labs are written down in a state folder of the benchmark's own. Results: printed, and bench/results/lab-<timestamp>.md
    (not committed).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Runs = 3,
    [int[]] $RealServerCounts = @(2, 20),
    [int] $Requests = 500,
    [int] $Parallel = 8
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$env:LVSTOOLS_LAB_STATE = Join-Path ([IO.Path]::GetTempPath()) ('lvsb-labs-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$rows = [Collections.Generic.List[object]]::new()
function Get-Median([double[]] $x) { $s = $x | Sort-Object; $s[[int][math]::Floor(($s.Count - 1) / 2)] }

try {
    foreach ($n in $RealServerCounts) {
        $create = @(); $remove = @(); $yard = @()
        for ($i = 0; $i -lt $Runs; $i++) {
            $name = "lvsb-$n-$i"
            $w = [Diagnostics.Stopwatch]::StartNew()
            $lab = New-LvsLab -Mode Nat -RealServerCount $n -Name $name
            $create += $w.Elapsed.TotalMilliseconds
            $w.Restart()
            $lab | Remove-LvsLab
            $remove += $w.Elapsed.TotalMilliseconds
            # The yardstick: as many bare namespaces (client, director, switch, real servers) added and deleted by ip -batch.
            $names = @("$name-y-c", "$name-y-d", "$name-y-s") + @(1..$n | ForEach-Object { "$name-y-rs$_" })
            $w.Restart()
            ($names | ForEach-Object { "netns add $_" }) -join "`n" | ip -batch - | Out-Null
            ($names | ForEach-Object { "netns del $_" }) -join "`n" | ip -batch - | Out-Null
            $yard += $w.Elapsed.TotalMilliseconds
        }
        $c = Get-Median $create; $r = Get-Median $remove; $y = Get-Median $yard
        $rows.Add([pscustomobject]@{ Row = "create+remove, $n real servers"; LvsTools = ('{0:0} ms ({1:0} + {2:0})' -f ($c + $r), $c, $r); Yardstick = ('{0:0} ms (ip -batch netns add+del)' -f $y); Ratio = [math]::Round(($c + $r) / $y, 1) })
    }

    if (Test-Path /proc/net/ip_vs) {
        $lab = New-LvsLab -Mode Nat -RealServerCount 2 -Name lvsb-nat
        try {
            Add-LvsVirtualIp -NetNamespace $lab.Director -InterfaceName $lab.VipInterface -IPAddress $lab.Vip -PrefixLength 32 |
                New-LvsService -Protocol Tcp -Port $lab.Port -Scheduler rr |
                Add-LvsRealServer -Address @($lab.RealServerAddresses | ForEach-Object { "$_" }) -Port $lab.Port -ForwardingMethod Masquerade | Out-Null
            $null = Invoke-LvsLabRequest -Lab $lab -Count 20 -Parallel $Parallel   # warm-up
            $vip = Invoke-LvsLabRequest -Lab $lab -Count $Requests -Parallel $Parallel -Timeout 10
            $direct = Invoke-LvsLabRequest -Lab $lab -Address $lab.RealServerAddresses[0] -Count $Requests -Parallel $Parallel -Timeout 10
            $rows.Add([pscustomobject]@{ Row = "requests/s through the VIP (NAT, $Parallel in flight)"; LvsTools = ('{0:0} req/s, {1} failed' -f $vip.RequestsPerSecond, $vip.Summary.Failed)
                    Yardstick = ('{0:0} req/s straight to rs1' -f $direct.RequestsPerSecond); Ratio = [math]::Round($vip.RequestsPerSecond / $direct.RequestsPerSecond, 2) })
        } finally { $lab | Remove-LvsLab }
    } else {
        $rows.Add([pscustomobject]@{ Row = 'requests/s through the VIP (NAT)'; LvsTools = 'not measured: no IPVS in this kernel (run in UML)'; Yardstick = ''; Ratio = $null })
    }
} finally {
    Get-LvsLab -ErrorAction SilentlyContinue | Remove-LvsLab -ErrorAction SilentlyContinue
    Remove-Item $env:LVSTOOLS_LAB_STATE -Recurse -Force -ErrorAction SilentlyContinue
}

$table = $rows | Format-Table -AutoSize | Out-String -Width 200
$table
$results = Join-Path $PSScriptRoot 'results'
New-Item -ItemType Directory -Path $results -Force | Out-Null
$md = "# Lab benchmark $(Get-Date -Format s)`n`nKernel: $(uname -r); runs: $Runs`n`n| row | LvsTools | yardstick | ratio |`n| --- | --- | --- | --- |`n" +
    (($rows | ForEach-Object { "| $($_.Row) | $($_.LvsTools) | $($_.Yardstick) | $($_.Ratio) |" }) -join "`n") + "`n"
Set-Content -Path (Join-Path $results "lab-$(Get-Date -Format yyyyMMdd-HHmmss).md") -Value $md
