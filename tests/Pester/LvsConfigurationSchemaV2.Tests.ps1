# The configuration document's schemaVersion 2 (health checks, onFailure, quorum, hysteresis, alpha, sorryServer,
# drainTimeout, maintenance) as users script it. Nothing here needs IPVS: every document is refused, or converted,
# before the kernel is read. That Import applies maintenance as weight 0 is proven in the kernel by
# LvsConfiguration.Tests.ps1 ('Sync-LvsConfiguration converges exactly').
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ipvsAvailable = [bool](Test-IpvsAvailable)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force

    # A document of one service with two real servers; $Service and $Second are spliced into the service and its second real server.
    function New-Document([int] $Version = 2, [string] $Service = '', [string] $Second = '') {
        $s = if ($Service) { ", $Service" } else { '' }
        $r = if ($Second) { ", $Second" } else { '' }
        $json = "{ `"schemaVersion`": $Version, `"services`": [ { `"protocol`": `"tcp`", `"address`": `"10.0.0.1`", `"port`": 80$s, " +
            "`"realServers`": [ { `"address`": `"10.0.1.11`", `"port`": 80, `"weight`": 2 }, { `"address`": `"10.0.1.12`", `"port`": 80, `"weight`": 2$r } ] } ] }"
        $file = Join-Path $TestDrive ('doc-{0}.json' -f [guid]::NewGuid().ToString('N'))
        Set-Content -Path $file -Value $json
        $file
    }

    $script:full = '"healthCheck": { "type": "http", "path": "/health", "expectStatus": [200, 204], "expectBody": "ok", "timeout": 1, "interval": 2, "rise": 2, "fall": 3 }, ' +
        '"onFailure": "inhibit", "quorum": 2, "hysteresis": 1, "alpha": true, "sorryServer": { "address": "10.0.9.9", "port": 80 }, "drainTimeout": 300'
}

Describe 'A schemaVersion 2 document' {
    It 'reads, keeps every member, and converts to rules with the server in maintenance at weight 0' {
        $doc = [LvsTools.LvsConfigurationDocument]::FromJson((Get-Content (New-Document -Service $full -Second '"maintenance": true, "healthCheck": { "type": "tcp", "port": 8080 }') -Raw))
        $doc.SchemaVersion | Should -Be 2
        $web = $doc.Services[0]
        $web.OnFailure | Should -Be ([LvsTools.LvsFailureAction]::Inhibit)
        $web.DrainTimeout | Should -Be ([timespan]::FromSeconds(300))
        $web.EffectiveQuorum, $web.EffectiveHysteresis, $web.Alpha | Should -Be @(2, 1, $true)
        $sorry = $web.SorryServerFor($web.ToService().Key)
        $sorry.Address.ToString(), $sorry.Port, $sorry.Weight | Should -Be @('10.0.9.9', 80, 1)
        # the server's own check replaces the service's
        $web.HealthCheckFor($web.RealServers[0]).Type | Should -Be ([LvsTools.HealthCheckType]::Http)
        $own = $web.HealthCheckFor($web.RealServers[1])
        $own.Type, $own.Port | Should -Be @([LvsTools.HealthCheckType]::Tcp, 8080)
        # the document keeps the operator's weight; the table it describes holds the server at 0
        $web.RealServers[1].Weight | Should -Be 2
        $doc | ConvertTo-IpvsadmRule | Should -Be @('-A -t 10.0.0.1:80 -s wlc', '-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 2', '-a -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 0')
        $json = $doc.ToJson()
        [LvsTools.LvsConfigurationDocument]::FromJson($json).ToJson() | Should -Be $json
        ($json | ConvertFrom-Json).services[0].realServers[1].maintenance | Should -BeTrue
    }

    It 'Import-LvsConfiguration -WhatIf passes it to the kernel read (it is valid)' -Skip:$ipvsAvailable {
        # On a kernel without IPVS the first thing that fails after validation is reading the table.
        $file = New-Document -Service $full -Second '"maintenance": true'
        { Import-LvsConfiguration -Path $file -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'IPVSNotInstalled,LvsTools.Commands.ImportLvsConfigurationCommand'
    }
}

Describe 'Bad schemaVersion 2 members are refused before the kernel is read' {
    It '<Command> -WhatIf refuses <Case> with <Id>, naming <Path>' -ForEach @(
        @{ Command = 'Import-LvsConfiguration'; Case = 'a rise of 0'; Service = '"healthCheck": { "rise": 0 }'; Id = 'InvalidHealthCheck'; Path = '$.services[0].healthCheck.rise'; Value = '0' }
        @{ Command = 'Sync-LvsConfiguration'; Case = 'an interval below the timeout'; Service = '"healthCheck": { "timeout": 2, "interval": 1 }'; Id = 'InvalidHealthCheck'; Path = '$.services[0].healthCheck.interval'; Value = '1' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'a check port out of range'; Service = '"healthCheck": { "port": 65536 }'; Id = 'InvalidHealthCheck'; Path = '$.services[0].healthCheck.port'; Value = '65536' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'a command check without its command'; Service = '"healthCheck": { "type": "command" }'; Id = 'InvalidHealthCheck'; Path = '$.services[0].healthCheck.command'; Value = 'null' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'a body that is not a regex'; Service = '"healthCheck": { "type": "http", "expectBody": "[a-" }'; Id = 'InvalidHealthCheck'; Path = '$.services[0].healthCheck.expectBody'; Value = "'[a-'" }
        @{ Command = 'Sync-LvsConfiguration'; Case = 'a sorry server that is a real server'; Service = '"sorryServer": { "address": "10.0.1.12", "port": 80 }'; Id = 'InvalidSorryServer'; Path = '$.services[0].sorryServer'; Value = '10.0.1.12 port 80' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'onFailure drop'; Service = '"onFailure": "drop"'; Id = 'InvalidOnFailure'; Path = '$.services[0].onFailure'; Value = "'drop'" }
        @{ Command = 'Import-LvsConfiguration'; Case = 'a hysteresis above the quorum'; Service = '"quorum": 1, "hysteresis": 2'; Id = 'InvalidHysteresis'; Path = '$.services[0].hysteresis'; Value = '2' }
        @{ Command = 'Sync-LvsConfiguration'; Case = 'a drainTimeout of 0'; Service = '"drainTimeout": 0'; Id = 'InvalidDrainTimeout'; Path = '$.services[0].drainTimeout'; Value = '0' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'a misspelt check member'; Service = '"healthCheck": { "intervall": 2 }'; Id = 'InvalidConfigurationDocument'; Path = '$.services[0].healthCheck.intervall'; Value = 'intervall' }
        @{ Command = 'Import-LvsConfiguration'; Case = 'maintenance in a version 1 document'; Version = 1; Second = '"maintenance": true'; Id = 'ConfigurationVersionTooLow'; Path = '$.services[0].realServers[1].maintenance'; Value = 'true' }
        @{ Command = 'Sync-LvsConfiguration'; Case = 'a health check in a version 1 document'; Version = 1; Service = '"healthCheck": { "type": "tcp" }'; Id = 'ConfigurationVersionTooLow'; Path = '$.services[0].healthCheck'; Value = 'schemaVersion": 2' }
    ) {
        $version = if ($Version) { $Version } else { 2 }
        $file = New-Document -Version $version -Service $Service -Second $Second
        $class = ($Command -replace '-', '') + 'Command'
        # -WhatIf: even if the document were accepted, nothing would be sent.
        $e = { & $Command -Path $file -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId "$Id,LvsTools.Commands.$class" -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Be $Path
        $e.Exception.Message | Should -BeLike "$([WildcardPattern]::Escape($Path))*"
        $e.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Value))*"
    }
}
