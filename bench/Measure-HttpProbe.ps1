#Requires -Version 7.4
<#
.SYNOPSIS
    CPU per HTTP health probe (HealthProber, what Start-LvsController and Test-LvsRealServer run), against the CPU
    of one plain TCP connect probe in the same run as the yardstick.
.DESCRIPTION
    Runs anywhere (no IPVS needed): a python HTTP server on 127.0.0.1 of the current namespace (or of -NetNamespace, a
    namespace you made, whose loopback must be up), then -Count probes one after the other of each kind, after
    -WarmUp of each. Reports the process's CPU (user + system) per probe in ms for the HTTP check and the TCP check,
    and their ratio. Probes from another namespace go through the namespace's opener thread, as the controller's do.
    Example: dotnet pwsh -NoProfile -File bench/Measure-HttpProbe.ps1 -ModulePath out/LvsTools/LvsTools.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Count = 2000,
    [int] $WarmUp = 200,
    [string] $NetNamespace,
    [int] $Port = 18080
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Resolve-Path $ModulePath).Path -Force
$python = @('/usr/bin/python3', '/usr/local/bin/python3') | Where-Object { Test-Path $_ } | Select-Object -First 1
$command = @(if ($NetNamespace) { 'ip', 'netns', 'exec', $NetNamespace }) + @($python, '-m', 'http.server', '--bind', '127.0.0.1', "$Port")
$server = Start-Process -FilePath $command[0] -ArgumentList $command[1..($command.Count - 1)] -PassThru -RedirectStandardOutput (Join-Path ([IO.Path]::GetTempPath()) "lvs-probe-bench-$PID.out") `
    -RedirectStandardError (Join-Path ([IO.Path]::GetTempPath()) "lvs-probe-bench-$PID.err") -WorkingDirectory ([IO.Path]::GetTempPath())
try {
    $ns = [LvsTools.Core.NetNamespace]::Resolve($NetNamespace)
    $address = [Net.IPAddress]::Loopback
    $checks = [ordered]@{
        tcp  = [LvsTools.HealthCheck]@{ Type = 'Tcp'; Timeout = [TimeSpan]::FromSeconds(2) }
        http = [LvsTools.HealthCheck]@{ Type = 'Http'; Timeout = [TimeSpan]::FromSeconds(2); Path = '/' }
    }
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while (-not [LvsTools.Core.Health.HealthProber]::ProbeAsync($checks.tcp, $address, $Port, $ns, [Threading.CancellationToken]::None).GetAwaiter().GetResult().Healthy) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "the HTTP server on 127.0.0.1:$Port did not start" }
        Start-Sleep -Milliseconds 200
    }
    # The loop runs in C# (a PowerShell loop would cost more CPU than the probes it measures).
    Add-Type -IgnoreWarnings -ReferencedAssemblies ([LvsTools.Core.Health.HealthProber].Assembly.Location), System.Net.Primitives -TypeDefinition @'
public static class LvsProbeBench
{
    public static int Run(LvsTools.HealthCheck check, System.Net.IPAddress address, ushort port, LvsTools.Core.NetNamespace ns, int count)
    {
        int healthy = 0;
        for (int i = 0; i < count; i++)
            if (LvsTools.Core.Health.HealthProber.ProbeAsync(check, address, port, ns, System.Threading.CancellationToken.None).GetAwaiter().GetResult().Healthy)
                healthy++;
        return healthy;
    }
}
'@
    $me = [Diagnostics.Process]::GetCurrentProcess()
    $rows = foreach ($kind in $checks.Keys) {
        $null = [LvsProbeBench]::Run($checks[$kind], $address, $Port, $ns, $WarmUp)
        [GC]::Collect()
        $me.Refresh(); $cpu0 = $me.TotalProcessorTime; $wall = [Diagnostics.Stopwatch]::StartNew()
        $healthy = [LvsProbeBench]::Run($checks[$kind], $address, $Port, $ns, $Count)
        $wall.Stop(); $me.Refresh(); $cpu = ($me.TotalProcessorTime - $cpu0).TotalMilliseconds
        if ($healthy -ne $Count) { throw "$kind probes: $healthy of $Count healthy" }
        [pscustomobject]@{ Check = $kind; Probes = $Count; CpuMsPerProbe = [math]::Round($cpu / $Count, 3); WallMsPerProbe = [math]::Round($wall.Elapsed.TotalMilliseconds / $Count, 3) }
    }
    $rows | Format-Table -AutoSize | Out-String | Write-Host
    $ratio = $rows[1].CpuMsPerProbe / [math]::Max(0.001, $rows[0].CpuMsPerProbe)
    Write-Host ("http probe CPU / tcp probe CPU: {0:0.00}x ({1} ms against {2} ms)" -f $ratio, $rows[1].CpuMsPerProbe, $rows[0].CpuMsPerProbe)
    $rows
}
finally {
    Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue
    Remove-Item (Join-Path ([IO.Path]::GetTempPath()) "lvs-probe-bench-$PID.*") -ErrorAction SilentlyContinue
}
