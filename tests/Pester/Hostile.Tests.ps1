# The hostile-input suite: every case of Hostile.Cases.ps1 (one line each) is tried against a namespace of the test's
# own, and must end with the expected error id and category, the offending value named in the message or the
# TargetObject, and the namespace's state exactly as it was (or, for the few cases that must change something, the
# correct result).
#
# UML runs every process slowly, so each Describe builds ONE namespace with a seed table, runs ALL its cases in
# BeforeAll and records, per case, the output, the errors and one dump of the state, taken in-process: the IPVS table
# with the module's own Export (ToJson), the addresses with Get-NetAlias, the sysctls with Get-Sysctl, the files of a
# folder with Get-ChildItem. `ipvsadm -S -n`, `ip -j addr` and `sysctl -n` cross-check those dumps once before and
# once after the whole batch (three processes instead of one per case). After a case that changed something (an
# expected change, or a defect) the seed is restored in-process before the next case, so that one defect does not
# make the following cases fail. Each It then asserts one case's recorded result.
#
# Cases marked New = $true describe behaviour still to be built (see Hostile.Cases.ps1); their Its carry the tag New,
# so `-ExcludeTag New` runs exactly the cases that must hold. Issue 7's cases were New until its fixes landed.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ipvsAvailable = [bool](Test-IpvsAvailable)
    $script:canNamespace = [bool](Test-KernelTestsAvailable)
    $script:skipKernel = -not ($canNamespace -and $ipvsAvailable -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
    $script:inUml = $env:LVSTOOLS_KERNEL -eq 'uml'
    $all = @(& (Join-Path $PSScriptRoot 'Hostile.Cases.ps1'))
    $script:allCount = $all.Count
    $script:umlCases = @($all | Where-Object Kernel -EQ 'uml')
    $script:anyCases = @($all | Where-Object Kernel -EQ 'any')
    $script:hostCases = @($all | Where-Object Kernel -EQ 'host')
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:cases = @(& (Join-Path $PSScriptRoot 'Hostile.Cases.ps1'))

    # The sysctls every dump reads: per-namespace ones, and two host-wide ones a case must not change through
    # -NetNamespace (in UML the "host" is the guest kernel; on the host the cases that write them do not run).
    $script:sysctlNames = 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv4.conf.all.arp_ignore',
        'net.ipv4.conf.veth0.forwarding', 'kernel.printk_ratelimit', 'kernel.printk_ratelimit_burst'

    # Runs a script block as an advanced function, so that -ErrorVariable collects every error its commands write
    # (non-terminating, statement-terminating and parameter-binding errors alike).
    function Invoke-CaseScript {
        [CmdletBinding()]
        param([scriptblock] $Script, $C)
        & $Script $C
    }

    # Replaces the TESTDIR placeholder in parameter values with the test's folder.
    function Expand-CaseValue($Value, [string] $Dir) {
        if ($Value -is [string]) { return $Value.Replace('TESTDIR', $Dir) }
        $Value
    }

    # One case: its output and every error record.
    function Invoke-HostileCase([hashtable] $Case, $C) {
        if ($Case.Script) { $script = $Case.Script }
        else {
            $p = @{}
            if ($Case.Params) { foreach ($k in $Case.Params.Keys) { $p[$k] = Expand-CaseValue $Case.Params[$k] $C.Dir } }
            if (-not $Case.NoNs) { $p.NetNamespace = $C.Ns }
            if ($Case.ContainsKey('Document')) {
                $file = Join-Path $C.Docs ('{0}.json' -f [guid]::NewGuid().ToString('N'))
                [IO.File]::WriteAllText($file, $Case.Document)
                $p.Path = $file
            }
            if ($Case.ContainsKey('Lines')) { $p.Line = $Case.Lines }
            $C.Call = @{ Command = $Case.Command; Params = $p }
            $script = { param($c) $q = $c.Call.Params; & $c.Call.Command @q }
        }
        $err = @()
        $out = $null
        try { $out = Invoke-CaseScript -Script $script -C $C -ErrorVariable err -ErrorAction SilentlyContinue }
        catch { $err = @($err) + $_ }
        @{ Output = @($out); Errors = @($err | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) }
    }

    # The state a case may touch, read in-process: the parts named (all of them by default).
    function Get-StateDump($C, [string[]] $Parts = @('ipvs', 'other', 'addr', 'sysctl', 'file')) {
        $d = [ordered]@{}
        if ($C.Ipvs -and 'ipvs' -in $Parts) { $d.ipvs = (Export-LvsConfiguration -NetNamespace $C.Ns).ToJson() }
        if ($C.Ipvs -and 'other' -in $Parts) { $d.other = (Export-LvsConfiguration -NetNamespace $C.Other).ToJson() }
        if ('addr' -in $Parts) {
            $d.addr = (@(Get-NetAlias -NetNamespace $C.Ns | ForEach-Object { '{0} {1}/{2} {3}' -f $_.InterfaceName, $_.IPAddress, $_.PrefixLength, $_.Label }) | Sort-Object) -join "`n"
        }
        if ('sysctl' -in $Parts) {
            $d.sysctl = (@(Get-Sysctl -NetNamespace $C.Ns -Name $sysctlNames | ForEach-Object { '{0}={1}' -f $_.Name, $_.Value }) | Sort-Object) -join "`n"
        }
        if ('file' -in $Parts) {
            $d.file = (@(Get-ChildItem -LiteralPath $C.Dir -Force | Sort-Object Name | ForEach-Object {
                        if ($_.LinkType) { '{0} -> {1}' -f $_.Name, $_.LinkTarget }
                        elseif ($_.PSIsContainer) { '{0}/' -f $_.Name }
                        else { '{0} {1}' -f $_.Name, (Get-FileHash -LiteralPath $_.FullName).Hash }
                    })) -join "`n"
        }
        $d
    }

    # Puts back whatever a case changed.
    function Restore-Seed($C, $Seed, $Now) {
        if ($C.Ipvs -and $Now.Contains('ipvs') -and $Now.ipvs -ne $Seed.ipvs) {
            Sync-LvsConfiguration -NetNamespace $C.Ns -InputObject ([LvsTools.LvsConfigurationDocument]::FromJson($Seed.ipvs)) -Confirm:$false | Out-Null
        }
        if ($C.Ipvs -and $Now.Contains('other') -and $Now.other -ne $Seed.other) {
            Sync-LvsConfiguration -NetNamespace $C.Other -InputObject ([LvsTools.LvsConfigurationDocument]::FromJson($Seed.other)) -Confirm:$false | Out-Null
        }
        if ($Now.Contains('addr') -and $Now.addr -ne $Seed.addr) {
            $want = @($Seed.addr -split "`n")
            foreach ($a in @(Get-NetAlias -NetNamespace $C.Ns)) {
                $line = '{0} {1}/{2} {3}' -f $a.InterfaceName, $a.IPAddress, $a.PrefixLength, $a.Label
                if ($line -notin $want) { $a | Remove-LvsVirtualIp -Confirm:$false }
            }
            foreach ($line in $want) {
                if ($line -match '^(\S+) (\S+)/(\d+) (\S*)$' -and -not (Get-NetAlias -NetNamespace $C.Ns -IPAddress $Matches[2] -ErrorAction SilentlyContinue)) {
                    Add-LvsVirtualIp -NetNamespace $C.Ns -InterfaceName $Matches[1] -IPAddress $Matches[2] -PrefixLength $Matches[3] -Label $Matches[4] | Out-Null
                }
            }
        }
        if ($Now.Contains('sysctl') -and $Now.sysctl -ne $Seed.sysctl) {
            foreach ($line in $Seed.sysctl -split "`n") {
                $name, $value = $line -split '=', 2
                $where = if ($name.StartsWith('kernel.')) { @{} } else { @{ NetNamespace = $C.Ns } }
                if ((Get-Sysctl @where -Name $name -ErrorAction SilentlyContinue).Value -ne $value) { Set-Sysctl @where -Name $name -Value $value -Confirm:$false }
            }
        }
        if ($Now.Contains('file') -and $Now.file -ne $Seed.file) { Reset-Folder $C.Dir }
    }

    # The folder the file cases use: a file and a symlink to it.
    function Reset-Folder([string] $Dir) {
        Get-ChildItem -LiteralPath $Dir -Force | Remove-Item -Recurse -Force
        Set-Content -LiteralPath (Join-Path $Dir 'target.json') -Value '{"kept": true}' -NoNewline
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $Dir 'link.json') -Target (Join-Path $Dir 'target.json')
    }

    # Runs every case: one result and one dump per case, the seed restored after any change.
    function Invoke-HostileBatch([hashtable[]] $Cases, $C) {
        $seed = Get-StateDump $C
        $results = @{}
        $caseClock = [Diagnostics.Stopwatch]::new()
        $dumpClock = [Diagnostics.Stopwatch]::new()
        foreach ($case in $Cases) {
            $caseClock.Start()
            $r = Invoke-HostileCase $case $C
            $caseClock.Stop()
            $dumpClock.Start()
            # One dump per case, of the state it concerns (the other namespace too for the namespace cases); the whole
            # state is compared once, by the independent tools, before and after the batch.
            # A document may also carry sysctls and virtual IPs: then those are dumped too.
            $parts = @($case.Dump) + @(if ($case.Area -eq 'Namespaces') { 'other' }) + @($case.Changes | Where-Object { $_ }) +
                @(if ("$($case.Document)" -match '"sysctls"') { 'sysctl' }) + @(if ("$($case.Document)" -match '"virtualIps"') { 'addr' })
            $r.After = Get-StateDump $C $parts
            $r.Check = if ($case.Check) { [bool](& $case.Check $C $r.Output) } else { $null }
            $results[$case.Area + ': ' + $case.Command + ' ' + $case.Case] = $r
            Restore-Seed $C $seed $r.After
            $dumpClock.Stop()
        }
        Write-Host ('  {0} cases: {1:n1} s running them, {2:n1} s dumping and restoring' -f $Cases.Count, $caseClock.Elapsed.TotalSeconds, $dumpClock.Elapsed.TotalSeconds)
        @{ Seed = $seed; Results = $results; Final = (Get-StateDump $C); Dir = $C.Dir }
    }

    # The assertions every case gets, collected as plain comparisons and asserted with one Should (a Should per
    # comparison costs seconds per case in UML).
    function Assert-HostileResult([hashtable] $Case, $Batch) {
        $r = $Batch.Results[$Case.Area + ': ' + $Case.Command + ' ' + $Case.Case]
        $r | Should -Not -BeNullOrEmpty -Because 'the case ran'
        $problems = [Collections.Generic.List[string]]::new()
        if ($Case.Id) {
            $e = @($r.Errors)[0]
            if (-not $e) { $problems.Add("no error; $($Case.Id) expected") }
            else {
                $id = ($e.FullyQualifiedErrorId -split ',')[0]
                $message = $e.Exception.Message
                if ($id -ne $Case.Id) { $problems.Add("error id $($e.FullyQualifiedErrorId), expected $($Case.Id) (message: $message)") }
                if ("$($e.CategoryInfo.Category)" -ne $Case.Category) { $problems.Add("category $($e.CategoryInfo.Category), expected $($Case.Category)") }
                if ($message -match '(?m)^\s+at ') { $problems.Add("a stack trace in the message: $message") }
                if ($message.Length -ge 1000) { $problems.Add("a message of $($message.Length) characters (a huge value echoed whole)") }
                if ($Case.Value) {
                    $value = Expand-CaseValue $Case.Value $Batch.Dir
                    if (-not ($message.Contains($value, [StringComparison]::OrdinalIgnoreCase) -or "$($e.TargetObject)".Contains($value, [StringComparison]::OrdinalIgnoreCase))) {
                        $problems.Add("the offending value '$value' is named neither in the message ('$message') nor in the TargetObject ('$($e.TargetObject)')")
                    }
                }
            }
        }
        else {
            foreach ($e in $r.Errors) { $problems.Add("unexpected error $($e.FullyQualifiedErrorId): $($e.Exception.Message)") }
        }
        foreach ($part in $r.After.Keys) {
            if ($Case.Changes -and $part -eq $Case.Changes) { continue }
            if ($r.After[$part] -ne $Batch.Seed[$part]) { $problems.Add("the $part state changed:`n$($r.After[$part])`n-- instead of --`n$($Batch.Seed[$part])") }
        }
        if ($Case.Check -and -not $r.Check) { $problems.Add('the case''s own check of the result failed') }
        @($problems) | Should -BeNullOrEmpty
    }
}

Describe 'Hostile input: the table of cases' {
    It 'holds at least 150 cases, each with a known area, kernel and dump' {
        $cases.Count | Should -BeGreaterOrEqual 150
        # Checked with plain comparisons and one Should (a Should per field costs minutes in UML).
        $bad = foreach ($c in $cases) {
            if ($c.Area -notin 'Parameters', 'Addresses', 'Sysctl', 'Namespaces', 'Documents', 'Rules', 'Input', 'Files', 'WhatIf') { "$($c.Case): area $($c.Area)" }
            if ($c.Kernel -notin 'any', 'uml', 'host') { "$($c.Case): kernel $($c.Kernel)" }
            if ($c.Dump -notin 'ipvs', 'addr', 'sysctl', 'file', 'none') { "$($c.Case): dump $($c.Dump)" }
            if ($c.Id -and -not $c.Category) { "$($c.Case): no category" }
            if (-not (([bool]$c.Script) -xor ([bool]$c.Command))) { "$($c.Case): needs a Command or a Script" }
        }
        @($bad) | Should -BeNullOrEmpty
        # Each case is found by its name: no two share one.
        $names = $cases | ForEach-Object { $_.Area + ': ' + $_.Command + ' ' + $_.Case }
        @($names | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name) | Should -BeNullOrEmpty
    }
}

Describe 'Hostile input against IPVS' -Tag Kernel -Skip:$skipKernel -ForEach @(@{ Known = @($umlCases | Where-Object { -not $_.New }); Fresh = @($umlCases | Where-Object { $_.New }) }) {
    BeforeAll {
        $ns = New-TestNamespace
        $other = New-TestNamespace -NoVeth
        @(
            '-A -t 10.0.0.1:80 -s wrr -p 600'
            '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3'
            '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 1'
            '-A -u 10.0.0.2:53 -s rr'
            '-a -u 10.0.0.2:53 -r 10.0.1.21:53 -m -w 1'
            '-A -t 10.0.0.3:80 -s sh -b sh-port'
            '-A -f 7 -s rr'
            '-A -t [2001:db8::1]:443 -s rr'
            '-a -t [2001:db8::1]:443 -r [2001:db8::11]:443 -g -w 1'
        ) | ip netns exec $ns ipvsadm -R
        '-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.1.99:80 -g -w 1' | ip netns exec $other ipvsadm -R
        ip -n $ns addr add 10.0.0.1/32 dev veth0 label veth0:1
        $dir = Join-Path $TestDrive 'files'
        $docs = Join-Path $TestDrive 'docs'
        $null = New-Item -ItemType Directory $dir, $docs
        Reset-Folder $dir
        $ctx = @{ Ns = $ns; Other = $other; Dir = $dir; Docs = $docs; Ipvs = $true }

        # The independent cross-check, once before and once after the batch.
        $crossCheck = { @(ip netns exec $ns ipvsadm -S -n | Sort-Object) + '--' + @(ip netns exec $other ipvsadm -S -n | Sort-Object) + '--' +
            @(Get-AddressSnapshot $ns | Sort-Object) + '--' + @(ip netns exec $ns sysctl -n $sysctlNames) }
        $toolsBefore = & $crossCheck
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $batch = Invoke-HostileBatch (@($Known) + @($Fresh)) $ctx
        $elapsed = $clock.Elapsed
        $toolsAfter = & $crossCheck
        Write-Host ("Hostile (IPVS): {0} cases in {1:n1} s" -f (@($Known).Count + @($Fresh).Count), $elapsed.TotalSeconds)
    }
    AfterAll { Remove-TestNamespace $ns; Remove-TestNamespace $other }

    It '[<Area>] <Command> <Case>' -ForEach $Known { Assert-HostileResult $_ $batch }

    It '[<Area>] <Command> <Case> (new behaviour: <Id>)' -Tag New -ForEach $Fresh { Assert-HostileResult $_ $batch }

    It 'ipvsadm -S -n, ip -j addr and sysctl -n read the same state before and after the whole batch' {
        $toolsAfter | Should -Be $toolsBefore
        $batch.Final.ipvs | Should -Be $batch.Seed.ipvs
    }

    It 'the in-process dump agrees with ipvsadm -S -n' {
        # The seed as rules must be what ipvsadm read (Export carries more, e.g. thresholds, but not less).
        $rules = @([LvsTools.LvsConfigurationDocument]::FromJson($batch.Seed.ipvs) | ConvertTo-IpvsadmRule | Sort-Object)
        $rules | Should -Be @($toolsBefore[0..([array]::IndexOf($toolsBefore, '--') - 1)])
    }
}

Describe 'Hostile input that needs no IPVS' -Tag Kernel -Skip:(-not $canNamespace) -ForEach @(@{ Known = @($anyCases | Where-Object { -not $_.New }); Fresh = @($anyCases | Where-Object { $_.New }) }) {
    BeforeAll {
        $ns = New-TestNamespace
        ip -n $ns addr add 10.0.0.1/32 dev veth0 label veth0:1
        $dir = Join-Path $TestDrive 'files'
        $docs = Join-Path $TestDrive 'docs'
        $null = New-Item -ItemType Directory $dir, $docs
        Reset-Folder $dir
        $ctx = @{ Ns = $ns; Dir = $dir; Docs = $docs; Ipvs = $false }
        $crossCheck = { @(Get-AddressSnapshot $ns | Sort-Object) + '--' + @(ip netns exec $ns sysctl -n $sysctlNames) }
        $toolsBefore = & $crossCheck
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $batch = Invoke-HostileBatch (@($Known) + @($Fresh)) $ctx
        $elapsed = $clock.Elapsed
        $toolsAfter = & $crossCheck
        Write-Host ("Hostile (no IPVS): {0} cases in {1:n1} s" -f (@($Known).Count + @($Fresh).Count), $elapsed.TotalSeconds)
    }
    AfterAll { Remove-TestNamespace $ns }

    It '[<Area>] <Command> <Case>' -ForEach $Known { Assert-HostileResult $_ $batch }

    It '[<Area>] <Command> <Case> (new behaviour: <Id>)' -Tag New -ForEach $Fresh { Assert-HostileResult $_ $batch }

    It 'ip -j addr and sysctl -n read the same state before and after the whole batch' {
        $toolsAfter | Should -Be $toolsBefore
    }
}

# Endless input, each case in a child pwsh with a 512 MB GC heap limit and a 120 s time limit, so that a reader
# without a bound fails the case instead of the test run. A child pwsh costs about a minute in UML: these run on the
# host only (they need no kernel feature).
Describe 'Hostile input: endless files' -Skip:$inUml -ForEach @(@{ Fresh = $hostCases }) {
    BeforeAll {
        # This very pwsh: its own executable, or dotnet with pwsh.dll when it runs as a dotnet tool.
        $pwsh = (Get-Process -Id $PID).Path
        [string[]] $pwshArgs = if ((Split-Path $pwsh -Leaf) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
        $module = Get-LvsModulePath
        $child = @'
param($Module, $Command, $ParamsJson)
Import-Module $Module
$p = @{}
($ParamsJson | ConvertFrom-Json).PSObject.Properties | ForEach-Object { $p[$_.Name] = $_.Value }
$err = @()
try { $null = & $Command @p -ErrorVariable err -ErrorAction SilentlyContinue } catch { $err = @($_) + @($err) }
# A terminating error lands in -ErrorVariable as its exception too: the ErrorRecord says the id and the category.
$e = @(@($err | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) + @($err))[0]
if ($e -is [System.Management.Automation.ErrorRecord]) { [pscustomobject]@{ Id = $e.FullyQualifiedErrorId; Category = "$($e.CategoryInfo.Category)"; Message = $e.Exception.Message; Target = "$($e.TargetObject)" } | ConvertTo-Json -Compress }
elseif ($e) { [pscustomobject]@{ Id = $e.GetType().FullName; Category = ''; Message = "$e"; Target = '' } | ConvertTo-Json -Compress }
'@
        $childFile = Join-Path $TestDrive 'child.ps1'
        Set-Content -LiteralPath $childFile -Value $child
        $results = @{}
        foreach ($c in $Fresh) {
            $env:DOTNET_GCHeapHardLimit = '0x20000000'
            try {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $text = timeout -s KILL 120 $pwsh $pwshArgs -NoProfile -NonInteractive -File $childFile $module $c.Command ($c.Params | ConvertTo-Json -Compress) 2>&1
                $results[$c.Case] = @{ Text = ($text -join "`n"); Exit = $LASTEXITCODE; Seconds = $clock.Elapsed.TotalSeconds }
            }
            finally { Remove-Item Env:DOTNET_GCHeapHardLimit }
        }
    }

    It '<Command> <Case> fails with <Id> (<Category>), bounded' -Tag New -ForEach $Fresh {
        $r = $results[$Case]
        $r.Exit | Should -Be 0 -Because "the child must end by itself, within its memory limit (output: $($r.Text))"
        $e = ($r.Text -split "`n" | Where-Object { $_.StartsWith('{') } | Select-Object -Last 1) | ConvertFrom-Json
        $e | Should -Not -BeNullOrEmpty -Because "an error record is expected (output: $($r.Text))"
        ($e.Id -split ',')[0] | Should -Be $Id -Because "the child reported: $($r.Text) after $([int]$r.Seconds) s"
        $e.Category | Should -Be $Category
        ($e.Message + ' ' + $e.Target) | Should -BeLike "*$Value*"
    }
}
