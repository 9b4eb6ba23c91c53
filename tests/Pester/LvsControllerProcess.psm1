# Start-LvsController as systemd runs it: a pwsh process of its own, in the background, with -EventLogPath, so a test
# or a benchmark can kill real servers meanwhile, read the events it wrote, send it SIGTERM and get its exit code.
# Used by tests/Pester/LvsControllerTraffic.Tests.ps1 and bench/Measure-Controller.ps1, beside Keepalived.psm1.
Set-StrictMode -Version Latest

function ConvertTo-ShellWord([string] $Word) { "'" + ($Word -replace "'", "'\''") + "'" }

<#
.SYNOPSIS
Starts `pwsh -c Start-LvsController -Path DOCUMENT -Interval N -NetNamespace NS -EventLogPath EVENTS` in the
background; returns once its first ConfigLoaded (or ConfigRejected/Error) event is in the log, or throws with its output.
.OUTPUTS
Pid (the pwsh process), Directory, EventLogPath, OutputPath, ExitCodePath, StartTime (Unix seconds).
#>
function Start-LvsControllerProcess {
    param(
        [Parameter(Mandatory)] [string] $ModulePath,
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Directory,
        [string] $NetNamespace,
        [double] $Interval = 1,
        [string] $Name = 'controller',
        [string[]] $ExtraArgument = @(),
        [int] $StartTimeoutSec = 180,
        # pwsh -Command TEXT rather than -File SCRIPT (how PowerShell ends a stopped command differs between the two).
        [switch] $Command,
        # Environment variables of the controller's process (a systemd unit's Environment= lines).
        [hashtable] $Environment = @{}
    )
    $null = New-Item -ItemType Directory -Path $Directory -Force
    $events = Join-Path $Directory "$Name.events.jsonl"
    $out = Join-Path $Directory "$Name.out"
    $rc = Join-Path $Directory "$Name.rc"
    $pidFile = Join-Path $Directory "$Name.pid"
    foreach ($f in $events, $out, $rc, $pidFile) { if (Test-Path -LiteralPath $f) { Remove-Item -LiteralPath $f -Force } }
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $cmd = @('Import-Module ' + (ConvertTo-ShellWord $ModulePath) + ' -ErrorAction Stop;',
        'Start-LvsController -Path', (ConvertTo-ShellWord $Path), '-Interval', $Interval.ToString($inv),
        '-EventLogPath', (ConvertTo-ShellWord $events)) + $(if ($NetNamespace) { @('-NetNamespace', (ConvertTo-ShellWord $NetNamespace)) } else { @() }) +
        $ExtraArgument + @('| Out-Null')
    $script = Join-Path $Directory "$Name.ps1"
    [IO.File]::WriteAllText($script, ($cmd -join ' ') + "`n")
    $pwsh = Join-Path $PSHOME 'pwsh'
    # The shell waits for pwsh and keeps its exit code; pwsh's own pid goes to the pid file (SIGTERM goes there).
    # A shell without job control starts its background commands with SIGINT ignored: env gives pwsh SIGINT back,
    # so that the signal Ctrl+C sends reaches it as it does in a terminal.
    $run = if ($Command) { '-Command ' + (ConvertTo-ShellWord ($cmd -join ' ')) } else { '-File ' + (ConvertTo-ShellWord $script) }
    $vars = @($Environment.GetEnumerator() | Sort-Object Key | ForEach-Object { ConvertTo-ShellWord "$($_.Key)=$($_.Value)" }) -join ' '
    $sh = 'env --default-signal=INT {5} {0} -NoLogo -NoProfile -NonInteractive {1} </dev/null >{2} 2>&1 & echo $! >{3}; wait $!; echo $? >{4}' -f (ConvertTo-ShellWord $pwsh),
        $run, (ConvertTo-ShellWord $out), (ConvertTo-ShellWord $pidFile), (ConvertTo-ShellWord $rc), $vars
    $t0 = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
    & /bin/sh -c "( $sh ) >/dev/null 2>&1 &"
    $deadline = [DateTime]::UtcNow.AddSeconds($StartTimeoutSec)
    while (-not (Test-Path -LiteralPath $pidFile) -or -not ([IO.File]::ReadAllText($pidFile).Trim())) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "LvsControllerProcess: pwsh did not start." }
        Start-Sleep -Milliseconds 50
    }
    $proc = [pscustomobject]@{
        PSTypeName   = 'LvsControllerProcess'
        Pid          = [int][IO.File]::ReadAllText($pidFile).Trim()
        Directory    = $Directory
        EventLogPath = $events
        OutputPath   = $out
        ExitCodePath = $rc
        ScriptPath   = $script
        Command      = [bool]$Command
        StartTime    = $t0
    }
    while (-not (Get-LvsControllerEvent $proc | Where-Object Kind -In 'ConfigLoaded', 'ConfigRejected', 'Error')) {
        if ((Test-Path -LiteralPath $rc) -or [DateTime]::UtcNow -gt $deadline) {
            $text = if (Test-Path -LiteralPath $out) { [IO.File]::ReadAllText($out) } else { '' }
            throw "LvsControllerProcess: the controller did not load its document (pid $($proc.Pid)): $text"
        }
        Start-Sleep -Milliseconds 100
    }
    $proc
}

<#
.SYNOPSIS
The events the controller wrote to its -EventLogPath: Time (Unix seconds), Kind, Service, RealServer, Detail, and
Writes (for Applied: the "in N write(s)" it reports). -Since keeps the later ones.
#>
function Get-LvsControllerEvent {
    param([Parameter(Mandatory, Position = 0)] $Process, [double] $Since = 0, [string] $Kind)
    if (-not (Test-Path -LiteralPath $Process.EventLogPath)) { return }
    $lines = [IO.File]::ReadAllLines($Process.EventLogPath)
    foreach ($line in $lines) {
        if (-not $line.Trim()) { continue }
        try { $e = $line | ConvertFrom-Json -DateKind String } catch { continue }   # a line still being written
        $t = [DateTimeOffset]::Parse($e.time, [Globalization.CultureInfo]::InvariantCulture).ToUnixTimeMilliseconds() / 1000.0
        if ($t -lt $Since) { continue }
        if ($Kind -and $e.kind -ne $Kind) { continue }
        $detail = if ($e.PSObject.Properties['detail']) { $e.detail } else { $null }
        [pscustomobject]@{
            Time       = $t
            Kind       = $e.kind
            Service    = if ($e.PSObject.Properties['service']) { $e.service } else { $null }
            RealServer = if ($e.PSObject.Properties['realServer']) { $e.realServer } else { $null }
            Detail     = $detail
            Writes     = if ($e.kind -eq 'Applied' -and $detail -match '\bin (\d+) write') { [int]$Matches[1] } else { $null }
        }
    }
}

<#
.SYNOPSIS
Waits for an event of KIND (and REALSERVER, when given) at or after -Since; returns it, or $null after -TimeoutSec.
#>
function Wait-LvsControllerEvent {
    param([Parameter(Mandatory)] $Process, [Parameter(Mandatory)] [string] $Kind, [string] $RealServer, [double] $Since = 0, [double] $TimeoutSec = 30)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ($true) {
        $hit = Get-LvsControllerEvent $Process -Since $Since -Kind $Kind |
            Where-Object { -not $RealServer -or $_.RealServer -eq $RealServer } | Select-Object -First 1
        if ($hit) { return $hit }
        if ([DateTime]::UtcNow -gt $deadline) { return $null }
        Start-Sleep -Milliseconds 100
    }
}

function Test-LvsControllerAlive($Process) {
    try {
        $stat = [IO.File]::ReadAllText("/proc/$($Process.Pid)/stat")
        $state = $stat.Substring($stat.LastIndexOf(')') + 2, 1)
        $state -ne 'Z' -and $state -ne 'X' -and [IO.File]::ReadAllText("/proc/$($Process.Pid)/cmdline").Contains($(if ($Process.Command) { $Process.EventLogPath } else { $Process.ScriptPath }))
    } catch { $false }
}

<#
.SYNOPSIS
Sends SIGTERM (or -Signal, e.g. INT for Ctrl+C) to the controller and waits for it to end; returns Seconds (signal to exit), ExitCode
(from the shell that waited for it) and Killed (it did not end within -TimeoutSec and got SIGKILL).
#>
function Stop-LvsControllerProcess {
    param([Parameter(Mandatory, Position = 0)] $Process, [string] $Signal = 'TERM', [double] $TimeoutSec = 30)
    $t0 = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
    $killed = $false
    if (Test-LvsControllerAlive $Process) {
        $null = & kill "-$Signal" $Process.Pid 2>&1
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while ((Test-LvsControllerAlive $Process) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        if (Test-LvsControllerAlive $Process) { $null = & kill -KILL $Process.Pid 2>&1; $killed = $true }
    }
    $seconds = ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0) - $t0
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while (-not (Test-Path -LiteralPath $Process.ExitCodePath) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
    $code = if (Test-Path -LiteralPath $Process.ExitCodePath) { [int][IO.File]::ReadAllText($Process.ExitCodePath).Trim() } else { $null }
    $global:LASTEXITCODE = 0
    [pscustomobject]@{ Seconds = $seconds; ExitCode = $code; Killed = $killed }
}

Export-ModuleMember -Function Start-LvsControllerProcess, Get-LvsControllerEvent, Wait-LvsControllerEvent,
    Test-LvsControllerAlive, Stop-LvsControllerProcess
