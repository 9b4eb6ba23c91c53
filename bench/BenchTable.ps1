# The benchmarks' table, dot-sourced by Invoke-Benchmarks.ps1 and Measure-Phases.ps1: N TCP services (wrr) x M
# masquerading real servers, as an ipvsadm rules file (ipvsadm -R, the raw writer) and as a configuration document
# (Import-/Sync-LvsConfiguration) of the same rules.
function New-BenchTable {
    # -RulesOnly: the rules file alone (for the raw writer; the document needs the module loaded and takes a while in UML).
    param([Parameter(Mandatory)] [string] $Directory, [int] $Services = 10000, [int] $RealServersPerService = 4, [switch] $RulesOnly)
    $rulesFile = Join-Path $Directory 'rules.txt'
    $sb = [System.Text.StringBuilder]::new()
    for ($i = 0; $i -lt $Services; $i++) {
        $vip = '10.{0}.{1}.{2}' -f (100 + [math]::Floor($i / 65536)), ([math]::Floor($i / 256) % 256), ($i % 256)
        [void]$sb.Append("-A -t ${vip}:80 -s wrr`n")
        for ($r = 1; $r -le $RealServersPerService; $r++) {
            [void]$sb.Append("-a -t ${vip}:80 -r 192.168.$r.$(($i % 250) + 1):8080 -m -w $r`n")
        }
    }
    [IO.File]::WriteAllText($rulesFile, $sb.ToString())
    if ($RulesOnly) { return [pscustomobject]@{ RulesFile = $rulesFile; DocumentFile = $null; Lines = $Services * (1 + $RealServersPerService) } }
    $docFile = Join-Path $Directory 'config.json'
    $doc = Get-Content $rulesFile | ConvertFrom-IpvsadmRule
    [IO.File]::WriteAllText($docFile, $doc.ToJson())
    [pscustomobject]@{ RulesFile = $rulesFile; DocumentFile = $docFile; Lines = $Services * (1 + $RealServersPerService) }
}

function New-BenchNamespace {
    $name = 'lvsb-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    ip netns add $name
    ip -n $name link set lo up
    ip -n $name link add eth0 type dummy 2>$null
    if ($LASTEXITCODE) { ip -n $name link add eth0 type veth peer name eth1 }
    ip -n $name link set eth0 up
    $name
}

# The yardstick (bench/RawIpvs): built on the host by `./build.sh Bench`; built here when missing.
function Get-RawIpvs {
    $project = Join-Path $PSScriptRoot 'RawIpvs'
    $exe = Join-Path $project 'bin/Release/net10.0/RawIpvs'
    if (-not (Test-Path $exe)) {
        dotnet build $project -c Release -nologo -v quiet -clp:ErrorsOnly | Out-Host
        if ($LASTEXITCODE) { throw "dotnet build $project failed ($LASTEXITCODE)" }
    }
    $exe
}
