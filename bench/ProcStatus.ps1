# This process's memory and page faults from /proc, dot-sourced by Measure-Phases.ps1 and Measure-Memory.ps1.

# Every "Name: N kB" line of /proc/self/status (VmRSS, VmHWM, RssAnon, RssFile, RssShmem ...), in MB, from one read.
function Get-StatusMb {
    $mb = @{}
    foreach ($line in Get-Content /proc/self/status) {
        if ($line -match '^(\w+):\s+(\d+) kB$') { $mb[$Matches[1]] = [math]::Round([long]$Matches[2] / 1024) }
    }
    $mb
}

# Minor page faults of this process so far: field 10 of /proc/self/stat (after the command, which may hold spaces, in parentheses).
function Get-MinorFaults { [long]((((Get-Content /proc/self/stat -Raw) -split '\) ', 2)[1] -split ' ')[7]) }
