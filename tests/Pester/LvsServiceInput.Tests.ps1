# How services are named on the way in, and shown on the way out, without a kernel: CSV rows drive New-LvsService
# (their values are strings), a piped LvsService still binds as an object, the internal argument completers still
# complete, and every service view names a firewall-mark service as ipvsadm -Ln does ("FWM  7 IPv6").
# -WhatIf sends nothing, so these run on the host; the what-if text goes to the host UI, so it is read from a child
# pwsh (about 40 s in the UML guest: there those Its are skipped, the kernel suites cover the real thing).
BeforeDiscovery {
    $script:inUml = $env:LVSTOOLS_KERNEL -eq 'uml'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # Runs a script in a child pwsh with the module loaded; its output (what-if lines and errors) as one string.
    function Invoke-Child([string] $Script) {
        $full = "Import-Module '$(Get-LvsModulePath)'; " + $Script
        & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $full 2>&1 | Out-String -Width 400
    }

    function New-Service([hashtable] $p) {
        $all = @{ AddressFamily = 'IPv4'; Scheduler = 'wlc' }
        foreach ($k in $p.Keys) { $all[$k] = $p[$k] }
        [LvsTools.LvsService]$all
    }
}

Describe 'New-LvsService takes CSV rows' -Skip:$inUml {
    BeforeAll {
        $script:csv = Join-Path ([IO.Path]::GetTempPath()) "lvst-services-$PID.csv"
        @(
            'VirtualAddress,Protocol,Port,Scheduler'
            '10.0.0.1,TCP,80,rr'
            '10.0.0.2,udp,53,wrr'
            '2001:db8::1,Sctp,443,sh'
        ) | Set-Content -LiteralPath $csv
        $script:out = Invoke-Child (
            "Import-Csv -LiteralPath '$csv' | New-LvsService -WhatIf; " +
            # Columns left out take the parameter's default (Tcp, wlc), row by row.
            "'IPAddress,Port', '10.0.0.3,8080', '10.0.0.4,8081' | ConvertFrom-Csv | New-LvsService -WhatIf; " +
            # A bad row is reported with its value; the next row still goes through.
            "'VirtualAddress,Port', '10.0.0.256,80', '10.0.0.5,80' | ConvertFrom-Csv | New-LvsService -WhatIf -ErrorVariable e -ErrorAction SilentlyContinue; " +
            "'ERR ' + `$e[0].FullyQualifiedErrorId + ' ' + `$e[0].TargetObject")
    }
    AfterAll { Remove-Item -LiteralPath $csv -ErrorAction SilentlyContinue }

    It 'creates <Expected>' -ForEach @(
        @{ Expected = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -t 10.0.0.1:80 -s rr" on target "TCP  10.0.0.1:80"' }
        @{ Expected = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -u 10.0.0.2:53 -s wrr" on target "UDP  10.0.0.2:53"' }
        @{ Expected = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A --sctp-service [2001:db8::1]:443 -s sh" on target "SCTP [2001:db8::1]:443"' }
        @{ Expected = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -t 10.0.0.3:8080 -s wlc" on target "TCP  10.0.0.3:8080"' }
        @{ Expected = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -t 10.0.0.4:8081 -s wlc" on target "TCP  10.0.0.4:8081"' }
        @{ Expected = '"IPVS_CMD_NEW_SERVICE: ipvsadm -A -t 10.0.0.5:80 -s wlc" on target "TCP  10.0.0.5:80"' }
    ) {
        $out | Should -Match ([regex]::Escape("What if: Performing the operation $Expected"))
    }

    It 'creates one service per row and reports a bad row by its value' {
        ([regex]::Matches($out, 'IPVS_CMD_NEW_SERVICE')).Count | Should -Be 6
        $out | Should -Match ([regex]::Escape('ERR InvalidIPAddress,LvsTools.Commands.NewLvsServiceCommand 10.0.0.256'))
    }

    It 'declares the bindings by property name' {
        $p = (Get-Command New-LvsService).Parameters
        foreach ($name in 'VirtualAddress', 'Protocol', 'Port', 'Scheduler', 'NetNamespace') {
            $p[$name].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipelineByPropertyName |
                Should -Contain $true -Because $name
        }
    }
}

Describe 'A piped service binds as an object' -Skip:$inUml {
    BeforeAll {
        $udp = "[LvsTools.LvsService]@{ AddressFamily = 'IPv4'; Protocol = 'Udp'; Address = [ipaddress]'10.9.9.9'; Port = [uint16]53; Scheduler = 'rr' }"
        $fwm = "[LvsTools.LvsService]@{ AddressFamily = 'IPv6'; FirewallMark = 7; Scheduler = 'rr' }"
        $script:out = Invoke-Child ("$udp | Remove-LvsService -WhatIf; Remove-LvsService -InputObject ($udp) -WhatIf; " +
            "$udp | Reset-LvsStatistics -WhatIf; Reset-LvsStatistics -InputObject ($udp) -WhatIf; Reset-LvsStatistics -Service ($fwm) -WhatIf")
    }

    It '<Command> acts on the piped service, not on its properties' -ForEach @(
        @{ Command = 'Remove-LvsService'; Expected = '"IPVS_CMD_DEL_SERVICE: ipvsadm -D -u 10.9.9.9:53" on target "UDP  10.9.9.9:53"' }
        @{ Command = 'Reset-LvsStatistics'; Expected = '"IPVS_CMD_ZERO: ipvsadm -Z -u 10.9.9.9:53" on target "UDP  10.9.9.9:53"' }
    ) {
        ([regex]::Matches($out, [regex]::Escape("What if: Performing the operation $Expected"))).Count | Should -Be 2
        $out | Should -Not -Match 'cannot be bound|ParameterBinding'
    }

    It 'Reset-LvsStatistics still takes -Service' {
        $out | Should -Match ([regex]::Escape('"IPVS_CMD_ZERO: ipvsadm -Z -f 7 -6" on target "FWM  7 IPv6"'))
    }
}

Describe 'The internal argument completers' {
    It 'completes -Scheduler of <Command>' -ForEach @(@{ Command = 'New-LvsService' }, @{ Command = 'Set-LvsService' }) {
        $line = "$Command -Scheduler w"
        $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r.CompletionMatches.CompletionText | Should -Be @('wrr', 'wlc')
        $r.CompletionMatches[1].ToolTip | Should -Be 'weighted least connection (default)'
    }

    It 'completes -Name of Get-NetInterface with the interfaces' {
        $line = 'Get-NetInterface -Name l'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'lo'
    }

    It 'keeps the helpers out of the public types' {
        $asm = [LvsTools.Commands.NewLvsServiceCommand].Assembly
        foreach ($name in 'IpvsParameters', 'ErrorMapper', 'NetNamespaceCompleter', 'InterfaceNameCompleter') {
            $asm.GetType("LvsTools.Internal.$name", $true).IsPublic | Should -BeFalse -Because $name
        }
    }
}

Describe 'Every service view shows a service as ipvsadm -Ln' {
    It 'view <View> shows <Prot> <Address>' -ForEach @(
        foreach ($view in 'LvsService', 'Stats', 'Rate') {
            @{ View = $view; Service = @{ AddressFamily = 'IPv6'; FirewallMark = 7 }; Prot = 'FWM'; Address = '7 IPv6' }
            @{ View = $view; Service = @{ FirewallMark = 4294967295 }; Prot = 'FWM'; Address = '4294967295' }
            @{ View = $view; Service = @{ Protocol = 'Sctp'; Address = [ipaddress]'2001:db8::1'; Port = [uint16]80; AddressFamily = 'IPv6' }; Prot = 'SCTP'; Address = '[2001:db8::1]:80' }
            @{ View = $view; Service = @{ Protocol = 'Tcp'; Address = [ipaddress]'10.0.0.1'; Port = [uint16]80 }; Prot = 'TCP'; Address = '10.0.0.1:80' }
        }
    ) {
        $text = New-Service $Service | Format-Table -View $View | Out-String -Width 200
        $row = ($text -split "`n" | Where-Object { $_ -match '\S' })[2]
        $row | Should -Match ('^' + [regex]::Escape($Prot) + '\s+' + [regex]::Escape($Address) + '(\s|$)')
        if ($Address -notmatch 'IPv6') { $row | Should -Not -Match 'IPv6' }
    }
}
