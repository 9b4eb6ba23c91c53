# Documents and rules that contradict themselves, unbounded input and file paths, as users meet them. Almost all of it
# is checked before the kernel is read, so it runs on the host (no IPVS); the Kernel block shows in the UML guest that
# an absent section leaves the table alone, [] empties it, and a refused document changes nothing.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ipvsAvailable = [bool](Test-IpvsAvailable)
    $script:skipKernel = -not ((Test-KernelTestsAvailable) -and $ipvsAvailable -and (Get-Command ipvsadm -ErrorAction SilentlyContinue))
    $script:svc = '"protocol": "tcp", "address": "10.0.0.1", "port": 80'
    # A table of cases: one line each. Json is the services list; the document is checked before the kernel is read.
    $script:badDocuments = @(
        @{ Case = 'a duplicate JSON property'; Json = "[{$svc, `"port`": 81}]"; Id = 'DuplicateJsonProperty'; Path = '$.services[0].port' }
        @{ Case = 'services equal but for the protocol''s case'; Json = "[{$svc}, {`"protocol`": `"TCP`", `"address`": `"10.0.0.1`", `"port`": 80}]"; Id = 'DuplicateService'; Path = '$.services[1]' }
        @{ Case = 'two spellings of one IPv6 service'; Json = '[{"protocol": "udp", "address": "2001:DB8::1", "port": 53, "family": "ipv6"}, {"protocol": "udp", "address": "2001:db8:0::1", "port": 53, "family": "ipv6"}]'; Id = 'DuplicateService'; Path = '$.services[1]' }
        @{ Case = 'a duplicate real server'; Json = "[{$svc, `"realServers`": [{`"address`": `"10.0.1.1`", `"port`": 80}, {`"address`": `"10.0.1.1`", `"port`": 80, `"weight`": 3}]}]"; Id = 'DuplicateRealServer'; Path = '$.services[0].realServers[1]' }
        @{ Case = 'sh-port on wrr'; Json = "[{$svc, `"scheduler`": `"wrr`", `"schedulerFlags`": [`"sh-port`"]}]"; Id = 'InvalidSchedulerFlag'; Path = '$.services[0].schedulerFlags[0]' }
        @{ Case = 'an address beside a firewall mark'; Json = '[{"firewallMark": 5, "address": "10.0.0.1"}]'; Id = 'ConflictingServiceKey'; Path = '$.services[0].address' }
        @{ Case = 'a tunnel block on a masquerading real server'; Json = "[{$svc, `"realServers`": [{`"address`": `"10.0.1.1`", `"port`": 80, `"forwarding`": `"masquerade`", `"tunnel`": {`"type`": `"gre`"}}]}]"; Id = 'InvalidTunnelOption'; Path = '$.services[0].realServers[0].tunnel' }
        @{ Case = 'a dotted netmask on an IPv6 service'; Json = '[{"protocol": "tcp", "address": "2001:db8::1", "port": 80, "family": "ipv6", "persistence": {"timeout": 60, "netmask": "255.255.0.0"}}]'; Id = 'InvalidNetmask'; Path = '$.services[0].persistence.netmask' }
        @{ Case = 'a family that does not match the address'; Json = '[{"protocol": "tcp", "address": "10.0.0.1", "port": 80, "family": "ipv6"}]'; Id = 'InvalidAddressFamily'; Path = '$.services[0].family' }
        @{ Case = 'an unknown forwarding method'; Json = "[{$svc, `"realServers`": [{`"address`": `"10.0.1.1`", `"forwarding`": `"nat`"}]}]"; Id = 'InvalidForwardingMethod'; Path = '$.services[0].realServers[0].forwarding' }
        @{ Case = 'a port out of range'; Json = "[{$svc, `"realServers`": [{`"address`": `"10.0.1.1`", `"port`": 65536, `"forwarding`": `"masquerade`"}]}]"; Id = 'InvalidPort'; Path = '$.services[0].realServers[0].port' }
        @{ Case = 'a weight of the wrong type'; Json = "[{$svc, `"realServers`": [{`"address`": `"10.0.1.1`", `"weight`": `"heavy`"}]}]"; Id = 'InvalidConfigurationDocument'; Path = '$.services[0].realServers[0].weight' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    function New-Document([string] $Services) {
        $file = Join-Path $TestDrive ("doc-{0}.json" -f [guid]::NewGuid().ToString('N'))
        Set-Content -Path $file -Value "{`"schemaVersion`": 1, `"services`": $Services}"
        $file
    }

    # Runs a command in a fresh pwsh and returns its error id and the process's peak working set in MiB.
    function Measure-InChild([string] $Command) {
        # the pwsh beside this one's files (the pinned tool runs as dotnet pwsh.dll, which has a pwsh apphost too)
        $exe = Join-Path $PSHOME 'pwsh'
        if (-not (Test-Path $exe)) { $exe = [Environment]::ProcessPath }
        $pre = @()
        $script = "Import-Module '$(Get-LvsModulePath)'; try { $Command -ErrorAction Stop | Out-Null; 'no error' } catch { `$_.FullyQualifiedErrorId }; " +
            '[int]([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB)'
        $out = & $exe @pre -NoProfile -NonInteractive -Command $script
        [pscustomobject]@{ Id = $out[0]; PeakMiB = [int]$out[1] }
    }
}

Describe 'A document that contradicts itself is refused before the kernel is read' {
    It '<Command> refuses <Case> with <Id> at <Path>' -ForEach ($badDocuments | ForEach-Object { @($_ + @{ Command = 'Import-LvsConfiguration' }), @($_ + @{ Command = 'Sync-LvsConfiguration' }) } | ForEach-Object { $_ }) {
        $file = New-Document $Json
        $class = ($Command -replace '-', '') + 'Command'
        $e = { & $Command -Path $file -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "$Id,LvsTools.Commands.$class" -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Be $Path
        $e.Exception.Message | Should -BeLike "$([WildcardPattern]::Escape($Path))*"
        $e.Exception.Message | Should -Not -Match '\bat LvsTools\.'
    }

    It 'a piped document is checked the same way (<Command>)' -ForEach @(@{ Command = 'Import-LvsConfiguration' }, @{ Command = 'Sync-LvsConfiguration' }) {
        $doc = @('-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m') | ConvertFrom-IpvsadmRule
        $doc.Services[0].RealServers.Add($doc.Services[0].RealServers[0])
        $e = { $doc | & $Command -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'DuplicateRealServer,*'
        $e.TargetObject | Should -Be '$.services[0].realServers[1]'
    }

    It 'lists every error and takes the id of the first' {
        $file = New-Document "[{$svc, `"scheduler`": `"fast`"}, {`"protocol`": `"udp`", `"address`": `"10.0.0.1`", `"port`": 53, `"realServers`": [{`"address`": `"10.0.1.1`", `"weight`": -2}]}]"
        $e = { Import-LvsConfiguration -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidScheduler,LvsTools.Commands.ImportLvsConfigurationCommand' -PassThru
        $e.Exception.Message | Should -Match '2 errors'
        $e.Exception.Message | Should -Match ([regex]::Escape('$.services[1].realServers[0].weight'))
    }

    It 'does not echo a 5,000-character value whole' {
        $file = New-Document "[{$svc, `"scheduler`": `"$('x' * 5000)`"}]"
        $e = { Import-LvsConfiguration -Path $file -ErrorAction Stop } | Should -Throw -PassThru
        $e.Exception.Message.Length | Should -BeLessThan 600
    }
}

Describe 'ConvertFrom-IpvsadmRule refuses what ipvsadm -R refuses' {
    It 'refuses <Case> naming line <Line>' -ForEach @(
        @{ Case = 'an option given twice'; Rules = @('-A -t 10.0.0.1:80 -s rr -s wrr'); Line = 1; Says = "multiple 'scheduler'" }
        @{ Case = 'a real server before its service'; Rules = @('-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m', '-A -t 10.0.0.1:80'); Line = 1; Says = 'not defined' }
        @{ Case = 'an unknown option'; Rules = @('-A -t 10.0.0.1:80 --frobnicate'); Line = 1; Says = '--frobnicate' }
        @{ Case = 'a missing -r'; Rules = @('-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -m'); Line = 2; Says = 'real-server' }
        @{ Case = '-m with -g'; Rules = @('-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.1.1 -m -g'); Line = 2; Says = 'forwarding-method' }
        @{ Case = 'a weight of -1'; Rules = @('-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.1.1 -m -w -1'); Line = 2; Says = "'-1'" }
        @{ Case = 'a real server of a service never added'; Rules = @('-A -t 10.0.0.1:80', '-a -t 10.0.0.2:80 -r 10.0.1.1 -m'); Line = 2; Says = 'not defined' }
        @{ Case = 'trailing junk'; Rules = @('-A -t 10.0.0.1:80 -s rr junk'); Line = 1; Says = "unexpected argument 'junk'" }
        @{ Case = 'a port given twice'; Rules = @('-A -t 10.0.0.1:80:81 -s rr'); Line = 1; Says = '10.0.0.1:80:81' }
        @{ Case = 'an option the command does not take'; Rules = @('-A -t 10.0.0.1:80 -s rr -w 3'); Line = 1; Says = "illegal 'weight' option" }
    ) {
        $out = $null
        $e = { $out = $Rules | ConvertFrom-IpvsadmRule -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidIpvsadmRule,LvsTools.Commands.ConvertFromIpvsadmRuleCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match "^Line $Line \("
        $e.Exception.Message | Should -Match ([regex]::Escape($Says))
        $out | Should -BeNullOrEmpty
    }

    It 'a bad line means no document, and every bad line is named' {
        $out = $null
        $err = @()
        try { $out = @('-A -t 10.0.0.1:80 -s rr', '-A -t 10.0.0.2:80 -x 3', '-a -t 10.0.0.1:80 -r 10.0.1.1 -m', '-a -t 10.0.0.1:80 -r 10.0.1.2 -g -g') | ConvertFrom-IpvsadmRule }
        catch { $err = @($_) }
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidIpvsadmRule,LvsTools.Commands.ConvertFromIpvsadmRuleCommand'
        $err[0].Exception.Message | Should -Match '2 lines'
        $err[0].Exception.Message | Should -Match '(?m)^Line 2 \('
        $err[0].Exception.Message | Should -Match '(?m)^Line 4 \('
    }
}

Describe 'Input is bounded' {
    It '<Command> stops with <Id>, in bounded memory' -ForEach @(
        @{ Command = 'Import-LvsConfiguration -Path /dev/zero'; Id = 'InputTooLarge' }
        @{ Command = 'Sync-LvsConfiguration -Path /dev/zero -WhatIf'; Id = 'InputTooLarge' }
        @{ Command = 'ConvertFrom-IpvsadmRule -Path /dev/zero'; Id = 'IpvsadmRuleLineTooLong' }
    ) {
        $r = Measure-InChild $Command
        $r.Id | Should -BeLike "$Id,*"
        $r.PeakMiB | Should -BeLessThan 500
    }

    It 'a file just over 64 MiB is refused without reading on (<Command>)' -ForEach @(
        @{ Command = 'Import-LvsConfiguration'; Id = 'InputTooLarge,LvsTools.Commands.ImportLvsConfigurationCommand' }
        @{ Command = 'ConvertFrom-IpvsadmRule'; Id = 'InputTooLarge,LvsTools.Commands.ConvertFromIpvsadmRuleCommand' }
    ) {
        $big = Join-Path $TestDrive 'big'
        if (-not (Test-Path $big)) {
            $fs = [IO.File]::Create($big)
            $fs.SetLength(64MB + 1)   # zeros: whitespace for no parser, but its size is what is refused first
            $fs.Dispose()
        }
        $e = { & $Command -Path $big -ErrorAction Stop } | Should -Throw -PassThru
        if ($Command -eq 'ConvertFrom-IpvsadmRule') { $e.FullyQualifiedErrorId | Should -BeLike 'IpvsadmRuleLineTooLong,*' } else {
            $e.FullyQualifiedErrorId | Should -Be $Id
            $e.Exception.Message | Should -Match '64 MiB'
            $e.Exception.Message | Should -Match ([regex]::Escape($big))
        }
    }

    It 'a FIFO fed without end is cut at the limit' {
        $fifo = Join-Path $TestDrive 'fifo'
        mkfifo $fifo
        # Start-Process captures no output, so the writer blocking on the FIFO until we open it blocks nothing here
        $writer = Start-Process -FilePath sh -ArgumentList "-c `"exec yes '# endless' > '$fifo' 2>/dev/null`"" -PassThru
        try {
            { ConvertFrom-IpvsadmRule -Path $fifo -ErrorAction Stop } | Should -Throw -ErrorId 'InputTooLarge,LvsTools.Commands.ConvertFromIpvsadmRuleCommand'
        } finally {
            if (-not $writer.HasExited) { $writer.Kill() }
        }
    }

    It 'endless pipeline input is cut at the limit' {
        $chunk = '# ' + ('x' * 4094)
        { & { while ($true) { $chunk } } | ConvertFrom-IpvsadmRule -ErrorAction Stop } |
            Should -Throw -ErrorId 'InputTooLarge,LvsTools.Commands.ConvertFromIpvsadmRuleCommand'
    }
}

Describe 'File paths' {
    It '<Command> names a directory as a directory' -ForEach @(
        @{ Command = 'Import-LvsConfiguration' }, @{ Command = 'Sync-LvsConfiguration' }, @{ Command = 'ConvertFrom-IpvsadmRule' }, @{ Command = 'Export-LvsConfiguration' }
    ) {
        $extra = if ((Get-Command $Command).Parameters.ContainsKey('Confirm')) { @{ Confirm = $false } } else { @{} }
        $e = { & $Command -Path $TestDrive @extra -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'PathIsDirectory,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match 'is a directory'
    }

    It 'names a missing folder (<Command>)' -ForEach @(@{ Command = 'Import-LvsConfiguration' }, @{ Command = 'Export-LvsConfiguration' }) {
        $e = { & $Command -Path (Join-Path $TestDrive 'no/such/dir/x.json') -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.Exception.Message | Should -Match "folder '.*no/such/dir' does not exist"
    }

    It 'resolves relative paths, ~ and PSDrives as PowerShell does' {
        $file = New-Document "[{$svc, `"scheduler`": `"nope`"}]"
        $leaf = Split-Path -Leaf $file
        New-PSDrive -Name lvstdoc -PSProvider FileSystem -Root $TestDrive | Out-Null
        Push-Location $TestDrive
        try {
            foreach ($p in @("./$leaf", "lvstdoc:/$leaf")) {
                { Import-LvsConfiguration -Path $p -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidScheduler,LvsTools.Commands.ImportLvsConfigurationCommand'
            }
        } finally {
            Pop-Location
            Remove-PSDrive lvstdoc
        }
        $e = { Import-LvsConfiguration -Path '~/lvst-no-such-file.json' -ErrorAction Stop } | Should -Throw -ErrorId 'LvsConfigurationFileNotFound,LvsTools.Commands.ImportLvsConfigurationCommand' -PassThru
        $e.Exception.Message | Should -Match ([regex]::Escape((Join-Path $HOME 'lvst-no-such-file.json')))
    }

    It 'refuses a path of another provider (<Command>)' -ForEach @(@{ Command = 'Import-LvsConfiguration' }, @{ Command = 'ConvertFrom-IpvsadmRule' }, @{ Command = 'Export-LvsConfiguration' }) {
        $extra = if ((Get-Command $Command).Parameters.ContainsKey('Confirm')) { @{ Confirm = $false } } else { @{} }
        $e = { & $Command -Path 'Env:/PATH' @extra -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidPath,*'
        $e.Exception.Message | Should -Match 'Environment'
    }

    It 'Set-Sysctl -Persist -PersistPath refuses a directory before changing anything' {
        $e = { Set-Sysctl net.ipv4.ip_forward 1 -Persist -PersistPath $TestDrive -WhatIf -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'PathIsDirectory,*'
    }
}

Describe 'Absent means not managed, [] means none, a refused document changes nothing' -Tag Kernel -Skip:$skipKernel {
    BeforeAll {
        $ns = New-TestNamespace -NoVeth
        $rules = @(
            '-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1', '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 1'
            '-A -u 10.0.0.1:53 -s rr', '-A -f 7 -s rr'
        )
        $rules | ip netns exec $ns ipvsadm -R
        $before = @(ip netns exec $ns ipvsadm -S -n | Sort-Object)
        function Write-Doc([string] $Text) { $f = Join-Path $TestDrive ("k-{0}.json" -f [guid]::NewGuid().ToString('N')); Set-Content $f $Text; $f }
        $transcript = Join-Path $TestDrive 'whatif.txt'
        Start-Transcript -Path $transcript -UseMinimalHeader | Out-Null
        $whatIf = Sync-LvsConfiguration -NetNamespace $ns -Path (Write-Doc '{"schemaVersion": 1}') -WhatIf
        Stop-Transcript | Out-Null
        $whatIfLines = @(Get-Content $transcript | Where-Object { $_ -like 'What if:*' })
        $absent = Sync-LvsConfiguration -NetNamespace $ns -Path (Write-Doc '{"schemaVersion": 1}') -Confirm:$false
        $null1 = Sync-LvsConfiguration -NetNamespace $ns -Path (Write-Doc '{"schemaVersion": 1, "services": null}') -Confirm:$false
        $afterAbsent = @(ip netns exec $ns ipvsadm -S -n | Sort-Object)
        # the web service listed without realServers: its scheduler is synced, its real servers stay; the others go
        $noReals = Sync-LvsConfiguration -NetNamespace $ns -Path (Write-Doc '{"schemaVersion": 1, "services": [{"protocol": "tcp", "address": "10.0.0.1", "port": 80, "scheduler": "wrr"}]}') -Confirm:$false
        $afterNoReals = @(ip netns exec $ns ipvsadm -S -n | Sort-Object)
        $dupError = $null
        try {
            Sync-LvsConfiguration -NetNamespace $ns -Confirm:$false -ErrorAction Stop -Path (Write-Doc '{"schemaVersion": 1, "services": [{"protocol": "tcp", "address": "10.0.0.1", "port": 80, "realServers": [{"address": "10.0.1.9", "port": 80}, {"address": "10.0.1.9", "port": 80}]}]}')
        } catch { $dupError = $_ }
        $afterDup = @(ip netns exec $ns ipvsadm -S -n | Sort-Object)
        $empty = Sync-LvsConfiguration -NetNamespace $ns -Path (Write-Doc '{"schemaVersion": 1, "services": []}') -Confirm:$false
        $afterEmpty = @(ip netns exec $ns ipvsadm -S -n)
        # Export over a symbolic link writes the target and keeps the link
        $target = Join-Path $TestDrive 'real.json'
        Set-Content $target 'old'
        $link = Join-Path $TestDrive 'link.json'
        New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
        Export-LvsConfiguration -NetNamespace $ns -Path $link | Out-Null
    }

    AfterAll { Remove-TestNamespace $ns }

    It 'a document without services (or with services null) changes nothing, and says so' {
        $afterAbsent | Should -Be $before
        $absent.Steps | Should -BeNullOrEmpty
        $absent.UnmanagedSections | Should -Contain 'services'
        $null1.UnmanagedSections | Should -Contain 'services'
        $whatIfLines -join "`n" | Should -Match "section 'services' is not in the document: not managed"
    }

    It 'a service without realServers keeps them; services not listed go' {
        $afterNoReals | Should -Be (@('-A -t 10.0.0.1:80 -s wrr', '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1', '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 1') | Sort-Object)
        $noReals.UnmanagedSections | Should -Contain '$.services[0].realServers'
        $noReals.ManagedSections | Should -Be @('services')
    }

    It 'a document with a duplicate real server changes nothing' {
        $dupError.FullyQualifiedErrorId | Should -Be 'DuplicateRealServer,LvsTools.Commands.SyncLvsConfigurationCommand'
        $dupError.TargetObject | Should -Be '$.services[0].realServers[1]'
        $afterDup | Should -Be $afterNoReals
    }

    It '"services": [] deletes every service' {
        $afterEmpty | Should -BeNullOrEmpty
        @($empty.Steps | Where-Object Action -EQ Delete).Count | Should -Be 1
    }

    It 'Export over a symbolic link writes its target and keeps the link' {
        (Get-Item $link).LinkType | Should -Be 'SymbolicLink'
        (Get-Content $target -Raw) | Should -Match '"schemaVersion": 1'
    }
}
