# Test-LvsRealServer: one-shot health probes from a namespace of the test's own (no IPVS needed, so these run on the
# host kernel). Every target listens INSIDE the namespace, on an address only that namespace has: a probe that
# reaches it proves its socket was opened there. tests/Pester/Fixtures/probe-servers.py serves HTTP, HTTPS and DNS.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:skip = -not ((Test-KernelTestsAvailable) -and (Get-Command python3 -ErrorAction SilentlyContinue))
    $script:noOpenssl = -not (Get-Command openssl -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    . (Join-Path $PSScriptRoot 'IpvsAssertions.ps1')   # Get-CmdletError, Assert-LvsError
    $script:cmdId = 'LvsTools.Commands.TestLvsRealServerCommand'
}

Describe 'Test-LvsRealServer' -Skip:$skip {
    BeforeAll {
        $ns = 'lvst-probe-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        ip netns add $ns
        ip -n $ns link set lo up
        # An interface and an address that exist only in the namespace (the command check looks for the name).
        $mark = 'lvsprobe' + (Get-Random -Maximum 9999)
        ip -n $ns link add $mark type veth peer name "${mark}p"
        ip -n $ns link set $mark up
        ip -n $ns link set "${mark}p" up
        $addr = '10.251.' + (Get-Random -Minimum 1 -Maximum 250) + '.1'
        ip -n $ns addr add "$addr/24" dev $mark
        $dir = Join-Path $TestDrive 'probe'
        New-Item -ItemType Directory $dir | Out-Null
        $serverArgs = @('netns', 'exec', $ns, 'python3', (Join-Path $PSScriptRoot 'Fixtures/probe-servers.py'), $addr, "$dir/ready")
        if (Get-Command openssl -ErrorAction SilentlyContinue) {
            openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=probe.test' -addext 'subjectAltName=DNS:probe.test' `
                -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>$null
            $serverArgs += @("$dir/cert.pem", "$dir/key.pem")
        }
        $server = Start-Process ip -ArgumentList $serverArgs -PassThru
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (Test-Path "$dir/ready") -and -not $server.HasExited -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        if (-not (Test-Path "$dir/ready")) { throw 'the probe targets did not start' }

        function Probe([hashtable] $p) { Test-LvsRealServer -Address $addr -NetNamespace $ns @p }
    }
    AfterAll {
        if ($server) { Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue }
        Remove-TestNamespace $ns
    }

    Context 'tcp' {
        It 'is healthy when the port accepts, with the latency measured' {
            $r = Probe @{ Port = 8080 }
            $r.Healthy | Should -BeTrue
            $r.Check | Should -Be 'Tcp'
            $r.Address | Should -Be ([ipaddress]$addr)
            $r.Port | Should -Be 8080
            $r.NetNamespace | Should -Be $ns
            $r.Error | Should -BeNullOrEmpty
            $r.Latency | Should -BeGreaterThan ([timespan]::Zero)
            $r.Latency | Should -BeLessThan ([timespan]::FromSeconds(3))
        }
        It 'says "connection refused" for a closed port' {
            $r = Probe @{ Port = 8081 }
            $r.Healthy | Should -BeFalse
            $r.Error | Should -Be 'connection refused'
        }
        It 'takes the port from the address' {
            (Test-LvsRealServer "${addr}:8080" -NetNamespace $ns).Healthy | Should -BeTrue
        }
    }

    Context 'http' {
        It 'is healthy when the status is expected' {
            $r = Probe @{ Port = 8080; Check = 'Http'; Path = '/health' }
            $r.Healthy | Should -BeTrue
            $r.StatusCode | Should -Be 200
        }
        It 'is unhealthy on another status, and says which' {
            $r = Probe @{ Port = 8080; Check = 'Http'; Path = '/bad' }
            $r.Healthy | Should -BeFalse
            $r.StatusCode | Should -Be 503
            $r.Error | Should -Be 'status 503 not in 200'
        }
        It 'takes the statuses of -ExpectStatus' {
            (Probe @{ Port = 8080; Check = 'Http'; Path = '/bad'; ExpectStatus = 200, 503 }).Healthy | Should -BeTrue
        }
        It 'matches the body against -ExpectBody' {
            (Probe @{ Port = 8080; Check = 'Http'; Path = '/health'; ExpectBody = '^ok$' }).Healthy | Should -BeTrue
            $r = Probe @{ Port = 8080; Check = 'Http'; Path = '/health'; ExpectBody = 'fine' }
            $r.Healthy | Should -BeFalse
            $r.StatusCode | Should -Be 200
            $r.Error | Should -Be "body does not match 'fine'"
        }
        It 'gives up at the timeout' {
            $r = Probe @{ Port = 8080; Check = 'Http'; Path = '/slow'; Timeout = 0.5 }
            $r.Healthy | Should -BeFalse
            $r.Error | Should -Be 'timed out after 0.5 s'
            $r.Latency.TotalSeconds | Should -BeLessThan 1.5
        }
    }

    Context 'https' -Skip:$noOpenssl {
        It 'refuses a self-signed certificate unless -SkipCertificateCheck' {
            $r = Probe @{ Port = 8443; Check = 'Https'; Path = '/health'; HostName = 'probe.test' }
            $r.Healthy | Should -BeFalse
            $r.Error | Should -BeLike 'TLS handshake failed*'
            $r = Probe @{ Port = 8443; Check = 'Https'; Path = '/health'; HostName = 'probe.test'; SkipCertificateCheck = $true }
            $r.Healthy | Should -BeTrue
            $r.StatusCode | Should -Be 200
        }
    }

    Context 'dns' {
        It 'is healthy on a NOERROR answer' {
            $r = Probe @{ Port = 5353; Check = 'Dns'; Query = 'ok.test'; QueryType = 'A' }
            $r.Healthy | Should -BeTrue
            $r.StatusCode | Should -Be 0
        }
        It 'is unhealthy on NXDOMAIN, on no answer (timeout) and on a closed port' {
            $r = Probe @{ Port = 5353; Check = 'Dns'; Query = 'nx.test' }
            $r.Healthy | Should -BeFalse
            $r.StatusCode | Should -Be 3
            $r.Error | Should -BeLike '*NXDOMAIN*'
            $r = Probe @{ Port = 5353; Check = 'Dns'; Query = 'silent.test'; Timeout = 0.5 }
            $r.Error | Should -Be 'timed out after 0.5 s'
            $r = Probe @{ Port = 5354; Check = 'Dns'; Query = 'ok.test' }
            $r.Error | Should -Be 'connection refused'
        }
    }

    Context 'command' {
        It 'runs inside the namespace, with the address and port appended and in the environment' {
            $script = 'grep -q "$LVS_MARK" /proc/net/dev && [ "$0" = "$LVS_REAL_SERVER_ADDRESS" ] && [ "$1" = 8080 ] && [ "$LVS_REAL_SERVER_PORT" = 8080 ]'
            $env:LVS_MARK = $mark
            try {
                (Probe @{ Port = 8080; Check = 'Command'; Command = 'sh', '-c', $script }).Healthy | Should -BeTrue
                # The same program in the caller's namespace does not see the interface: the check can fail.
                $r = Test-LvsRealServer -Address $addr -Port 8080 -Check Command -Command sh, -c, $script
                $r.Healthy | Should -BeFalse
                $r.Error | Should -Be 'exit code 1'
            }
            finally { Remove-Item Env:LVS_MARK }
        }
        It 'reports the exit code and the first line of standard error' {
            $r = Probe @{ Port = 8080; Check = 'Command'; Command = 'sh', '-c', 'echo broken >&2; echo more >&2; exit 2' }
            $r.Healthy | Should -BeFalse
            $r.Error | Should -Be 'exit code 2: broken'
        }
        It 'kills the program at the timeout' {
            $r = Probe @{ Port = 8080; Check = 'Command'; Command = 'sh', '-c', 'sleep 7.123'; Timeout = 0.5 }
            $r.Healthy | Should -BeFalse
            $r.Error | Should -Be 'timed out after 0.5 s'
            $r.Latency.TotalSeconds | Should -BeLessThan 2
            Start-Sleep -Milliseconds 200
            @(pgrep -f 'sleep 7.123').Count | Should -Be 0 -Because 'the program and its children are killed'
        }
    }

    Context 'concurrency and order' {
        It 'runs at most -ThrottleLimit probes at once and writes results in input order' {
            $targets = 1..8 | ForEach-Object { [pscustomobject]@{ Address = $addr; Port = 9000 + $_; NetNamespace = $ns } }
            $slow = @{ Check = 'Command'; Command = 'sh', '-c', 'sleep 0.5' }
            $t = Measure-Command { $two = @($targets | Test-LvsRealServer @slow -ThrottleLimit 2) }
            $t.TotalSeconds | Should -BeGreaterOrEqual 2.0 -Because '8 probes of 0.5 s, 2 at a time'
            $two.Port | Should -Be (9001..9008)
            $two.Healthy | Should -Not -Contain $false
            $t = Measure-Command { $eight = @($targets | Test-LvsRealServer @slow -ThrottleLimit 8) }
            $t.TotalSeconds | Should -BeLessThan 2.0 -Because '8 at a time take about one delay, not four'
            $eight.Port | Should -Be (9001..9008)
        }
        It 'stops promptly on Ctrl+C and kills the running programs' {
            $ps = [powershell]::Create()
            $null = $ps.AddScript("Import-Module '$(Get-LvsModulePath)'; Test-LvsRealServer -Address $addr -Port 8080 -NetNamespace $ns -Check Command -Command sh, -c, 'sleep 9.321' -Timeout 30")
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not (pgrep -f 'sleep 9.321') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $t = Measure-Command { $ps.Stop() }
            $t.TotalSeconds | Should -BeLessThan 3
            $handle.IsCompleted | Should -BeTrue
            Start-Sleep -Milliseconds 200
            @(pgrep -f 'sleep 9.321').Count | Should -Be 0
            $ps.Dispose()
        }
    }

    Context 'pipeline input' {
        It 'probes objects shaped like real servers, each in its own namespace' {
            $in = [pscustomobject]@{ Address = $addr; Port = 8080; NetNamespace = $ns },
                  [pscustomobject]@{ Address = $addr; Port = 8081; NetNamespace = $ns }
            $r = @($in | Test-LvsRealServer -Check Http -Path /health -Timeout 1)
            $r.Count | Should -Be 2
            $r[0].Healthy | Should -BeTrue
            $r[1].Error | Should -Be 'connection refused'
            $r.NetNamespace | Should -Be @($ns, $ns)
        }
        It 'probes LvsRealServer objects where they were read, and -Port overrides the port probed' {
            $key = [LvsTools.ServiceKey]::ForAddress('Tcp', [ipaddress]'10.0.0.1', 80)
            $rs = [LvsTools.LvsRealServer]@{ Service = $key; Address = [ipaddress]$addr; Port = 8081; NetNamespace = $ns }
            ($rs | Test-LvsRealServer).Error | Should -Be 'connection refused'
            $r = $rs | Test-LvsRealServer -Port 8080 -Check Http -Path /health
            $r.Healthy | Should -BeTrue
            $r.Port | Should -Be 8081
            $r.ProbePort | Should -Be 8080
        }
        It 'shows the default table view' {
            $text = Probe @{ Port = 8081 } | Out-String -Width 200
            $text | Should -Match 'Server\s+Check\s+Healthy\s+Latency\(ms\)\s+Status\s+Error'
            $text | Should -Match ([regex]::Escape("${addr}:8081") + '\s+Tcp\s+False\s+[0-9.]+\s+connection refused')
        }
        It 'reports an object from another namespace than -NetNamespace, and a missing namespace, and goes on' {
            $key = [LvsTools.ServiceKey]::ForAddress('Tcp', [ipaddress]'10.0.0.1', 80)
            $rs = [LvsTools.LvsRealServer]@{ Service = $key; Address = [ipaddress]$addr; Port = 8080; NetNamespace = $ns }
            $out = @($rs | Test-LvsRealServer -NetNamespace 'lvst-probe-absent' -ErrorVariable err -ErrorAction SilentlyContinue)
            Assert-LvsError $err "NetNamespaceMismatch,$cmdId" 'InvalidArgument'
            $out.Count | Should -Be 0
            $in = [pscustomobject]@{ Address = $addr; Port = 8080; NetNamespace = 'lvst-probe-absent' },
                  [pscustomobject]@{ Address = $addr; Port = 8080; NetNamespace = $ns }
            $out = @($in | Test-LvsRealServer -ErrorVariable e -ErrorAction SilentlyContinue)
            Assert-LvsError $e "NetNamespaceNotFound,$cmdId" 'ObjectNotFound'
            $out.Count | Should -Be 1
            $out[0].Healthy | Should -BeTrue
        }
    }

    Context 'errors in input order' {
        BeforeAll {
            # Each probe takes 0.4 s, so the first is still running when the inputs after it are refused.
            $slow = @{ Check = 'Command'; Command = 'sh', '-c', 'sleep 0.4' }
            # A result as its port, an error as its id: the order of the merged streams in one line.
            function Show($merged) {
                @($merged | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.FullyQualifiedErrorId -replace ',.*' } else { $_.Port } }) -join ' '
            }
        }
        It 'writes the error of a real server that cannot be probed after the results of the servers before it' {
            $key = [LvsTools.ServiceKey]::ForAddress('Tcp', [ipaddress]'10.0.0.1', 80)
            function Real([int] $port, [string] $where) { [LvsTools.LvsRealServer]@{ Service = $key; Address = [ipaddress]$addr; Port = $port; NetNamespace = $where } }
            $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Real 9302 $ns)))
            $in = (Real 9301 $ns), $copy, (Real 9303 'lvst-probe-absent'), (Real 9304 $ns)
            # -ErrorAction Continue: the suite runs with $ErrorActionPreference = 'Stop', which would end the pipeline at the first error.
            Show ($in | Test-LvsRealServer @slow -ErrorAction Continue 2>&1) | Should -Be '9301 DeserializedObject NetNamespaceNotFound 9304'
            # An object from another namespace than -NetNamespace, between two that are probed.
            $in = (Real 9311 $ns), (Real 9312 'lvst-probe-absent'), (Real 9313 $ns)
            Show ($in | Test-LvsRealServer @slow -NetNamespace $ns -ErrorAction Continue 2>&1) | Should -Be '9311 NetNamespaceMismatch 9313'
        }
        It 'writes the error of an address that cannot be probed after the results of the addresses before it' {
            $in = [pscustomobject]@{ Address = $addr; Port = 9321; NetNamespace = $ns },
                  [pscustomobject]@{ Address = $addr; NetNamespace = $ns },
                  [pscustomobject]@{ Address = $addr; Port = 9323; NetNamespace = 'lvst-probe-absent' },
                  [pscustomobject]@{ Address = $addr; Port = 9324; NetNamespace = $ns }
            Show ($in | Test-LvsRealServer @slow -ErrorAction Continue 2>&1) | Should -Be '9321 MissingPort NetNamespaceNotFound 9324'
            # Several addresses of one command line.
            Show (Test-LvsRealServer "${addr}:9331", $addr, "${addr}:9333" @slow -NetNamespace $ns -ErrorAction Continue 2>&1) |
                Should -Be '9331 MissingPort 9333'
        }
    }

    Context 'bad input: an error with its id and category, nothing probed' {
        BeforeAll {
            $touched = Join-Path $TestDrive 'touched'
            # A probe that runs leaves the file behind.
            $touch = @{ Check = 'Command'; Command = 'touch', $touched }
            function Assert-Refused([hashtable] $p, [string] $id, [string] $category, $target) {
                $all = @{ Address = $addr; Port = 8080; NetNamespace = $ns }
                foreach ($k in $p.Keys) { $all[$k] = $p[$k] }
                $p = $all
                $out = $null
                $err = @()
                try { $out = Test-LvsRealServer @p -ErrorVariable err -ErrorAction SilentlyContinue } catch { $err = @($_) }
                if ($PSBoundParameters.ContainsKey('target')) { Assert-LvsError $err "$id,$cmdId" $category $target }
                else { Assert-LvsError $err "$id,$cmdId" $category }
                $out | Should -BeNullOrEmpty
                Test-Path $touched | Should -BeFalse -Because 'nothing is probed'
            }
        }
        It 'a port out of range' { Assert-Refused ($touch + @{ Port = 70000 }) 'InvalidPort' 'InvalidArgument' 70000 }
        It 'a port of 0' { Assert-Refused ($touch + @{ Port = 0 }) 'InvalidPort' 'InvalidArgument' 0 }
        It 'a zero or negative timeout' {
            Assert-Refused ($touch + @{ Timeout = 0 }) 'InvalidHealthCheckTimeout' 'InvalidArgument'
            Assert-Refused ($touch + @{ Timeout = -1 }) 'InvalidHealthCheckTimeout' 'InvalidArgument'
        }
        It 'a command that does not exist' {
            Assert-Refused @{ Check = 'Command'; Command = 'lvst-no-such-program' } 'HealthCheckCommandNotFound' 'ObjectNotFound' 'lvst-no-such-program'
        }
        It 'a command check without a command' { Assert-Refused @{ Check = 'Command' } 'HealthCheckCommandMissing' 'InvalidArgument' }
        It '-ExpectBody that is not a regex' {
            Assert-Refused @{ Check = 'Http'; ExpectBody = '(unclosed' } 'InvalidExpectBody' 'InvalidArgument' '(unclosed'
        }
        It 'a status that is not an HTTP status' { Assert-Refused @{ Check = 'Http'; ExpectStatus = 42 } 'InvalidExpectStatus' 'InvalidArgument' 42 }
        It 'a path that is not a path' { Assert-Refused @{ Check = 'Http'; Path = 'health' } 'InvalidHealthCheckPath' 'InvalidArgument' 'health' }
        It 'an option of another check' {
            Assert-Refused ($touch + @{ SkipCertificateCheck = $true }) 'HealthCheckOptionMismatch' 'InvalidArgument' 'SkipCertificateCheck'
            Assert-Refused @{ Check = 'Http'; SkipCertificateCheck = $true } 'HealthCheckOptionMismatch' 'InvalidArgument'
            Assert-Refused ($touch + @{ Query = 'ok.test' }) 'HealthCheckOptionMismatch' 'InvalidArgument' 'Query'
            Assert-Refused ($touch + @{ Path = '/health' }) 'HealthCheckOptionMismatch' 'InvalidArgument' 'Path'
            Assert-Refused @{ Command = 'true' } 'HealthCheckOptionMismatch' 'InvalidArgument' 'Command'
        }
        It 'a DNS name or type that cannot be asked' {
            Assert-Refused @{ Check = 'Dns'; Query = 'a..b' } 'InvalidDnsQuery' 'InvalidArgument' 'a..b'
            Assert-Refused @{ Check = 'Dns'; QueryType = 'BOGUS' } 'InvalidDnsQueryType' 'InvalidArgument' 'BOGUS'
        }
        It 'an address without a port' {
            $err = Get-CmdletError Test-LvsRealServer @{ Address = $addr; NetNamespace = $ns }
            Assert-LvsError $err "MissingPort,$cmdId" 'InvalidArgument' $addr
        }
    }
}
