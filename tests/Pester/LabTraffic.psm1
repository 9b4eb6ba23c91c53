# Test helpers around the public lab (New-LvsLab & co. are the module's own cmdlets; nothing here is a lab):
#
# - Start-LabTraffic / Get-LabTraffic / Stop-LabTraffic: requests one after another through a lab, in the background,
#   as a user would run them: `Invoke-LvsLabRequest -Duration -Interval -Stream` in a thread job. Get-LabTraffic
#   gives each request's start time as Unix seconds (Time), to compare with the IPVS sampler's times
#   (tests/Pester/Keepalived.psm1) and with Get-UnixTime taken around Set-LvsLabServer.
# - Invoke-NetnsCommand: `ip netns exec NS COMMAND...` for cross-checks with independent tools (ipvsadm, sysctl),
#   throwing with the tool's output when it fails.
Set-StrictMode -Version Latest

function Start-LabTraffic {
    param(
        [Parameter(Mandatory, Position = 0)] $Lab,
        [Parameter(Mandatory)] [string] $ModulePath,
        [double] $IntervalSec = 0.05,
        [double] $TimeoutSec = 1,
        [string] $Address,
        [int] $Port
    )
    $p = @{ Lab = $Lab; Duration = [TimeSpan]::FromHours(1); Interval = $IntervalSec; Timeout = $TimeoutSec; Stream = $true }
    if ($Address) { $p.Address = $Address }
    if ($Port) { $p.Port = $Port }
    $job = Start-ThreadJob -ScriptBlock {
        param($Module, $Parameters)
        Import-Module $Module
        Invoke-LvsLabRequest @Parameters
    } -ArgumentList $ModulePath, $p
    # The first request answered (or failed) means the job's runspace is up and sending.
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while (-not $job.HasMoreData -and $job.State -in 'NotStarted', 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
    if ($job.State -ne 'Running' -or -not $job.HasMoreData) {
        $why = @($job.Error) + @($job.ChildJobs | ForEach-Object { $_.Error }) | Select-Object -First 1
        $job | Remove-Job -Force
        throw "The traffic job is not sending ($($job.State)): $why"
    }
    $job
}

# The requests the job made so far (or in all, once stopped), each with Time in Unix seconds; -Since keeps the later ones.
function Get-LabTraffic {
    param([Parameter(Mandatory, Position = 0)] $Job, [double] $Since = 0)
    foreach ($r in @(Receive-Job -Job $Job -Keep)) {
        $t = $r.Time.ToUnixTimeMilliseconds() / 1000.0
        if ($t -lt $Since) { continue }
        [pscustomobject]@{ Time = $t; Server = if ($r.Ok) { $r.Server } else { $null }; Error = $r.Error; Request = $r }
    }
}

# Stops the requests and removes the job (read what it made with Get-LabTraffic first).
function Stop-LabTraffic {
    param([Parameter(Position = 0)] $Job)
    if ($Job) { $Job | Stop-Job -PassThru | Remove-Job -Force }
}

# ip netns exec NAMESPACE COMMAND...: its stdout lines; throws with its output when it exits non-zero.
function Invoke-NetnsCommand {
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Namespace,
        [Parameter(Mandatory, Position = 1)] [string[]] $Command
    )
    $all = & ip netns exec $Namespace @Command 2>&1
    $rc = $LASTEXITCODE
    $out = @($all | Where-Object { $_ -isnot [Management.Automation.ErrorRecord] } | ForEach-Object { "$_" })
    if ($rc) {
        throw "ip netns exec $Namespace $($Command -join ' ') failed (exit $rc): $(($all | ForEach-Object { "$_" }) -join "`n")"
    }
    $out
}

Export-ModuleMember -Function Start-LabTraffic, Get-LabTraffic, Stop-LabTraffic, Invoke-NetnsCommand
