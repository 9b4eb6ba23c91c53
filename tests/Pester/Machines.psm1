# "Machines" for remoting tests: each a network namespace running its own sshd with pwsh as the `powershell`
# subsystem, reachable by key on its own address from an "admin" namespace, as a fleet is reachable from an
# administrator's workstation. Point-to-point veth links (admin 10.71.N.1/24 <-> machine eth9 10.71.N.2/24) need
# no bridge, so the harness works on the host kernel as in the UML guest. Everything lives in the namespaces and
# one temporary folder; the host's own sshd, keys and network are never touched.
# iproute2 and OpenSSH build the sandbox; the module under test never calls them.
Set-StrictMode -Version Latest

function Test-MachinesAvailable {
    (Test-Path /usr/sbin/sshd) -and (Get-Command ssh -ErrorAction SilentlyContinue) -and
        (Get-Command ssh-keygen -ErrorAction SilentlyContinue) -and ((id -u) -eq '0')
}

function Invoke-MachineNative([string] $File, [string[]] $Arguments) {
    $out = & $File @Arguments 2>&1
    if ($LASTEXITCODE) { throw "$File $($Arguments -join ' ') failed ($LASTEXITCODE): $out" }
}

# New-TestMachines -Name dir1, rs1: returns @{ Admin; Folder; Key; Machines = @(@{ Name; Namespace; Address; Process }) }.
# -Namespace dir1=<ns>, ...: makes machines of namespaces that exist (a lab's director and real servers); they get
# the admin link and an sshd, and are left in place by Remove-TestMachines.
function New-TestMachines {
    param([string[]] $Name = @(), [System.Collections.IDictionary] $Namespace = @{}, [string] $Pwsh = (Join-Path $PSHOME 'pwsh'))
    $id = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $folder = Join-Path ([IO.Path]::GetTempPath()) "lvsm-$id"
    New-Item -ItemType Directory -Path $folder | Out-Null
    $fleet = [pscustomobject]@{ Id = $id; Admin = "lvsm-$id-admin"; Folder = $folder; Key = Join-Path $folder 'id_ed25519'; Machines = @() }
    try {
        Invoke-MachineNative ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', $fleet.Key)
        Invoke-MachineNative ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', (Join-Path $folder 'host_key'))
        Copy-Item "$($fleet.Key).pub" (Join-Path $folder 'authorized_keys')
        # sshd clears the environment: the subsystem is a script that starts the pinned pwsh with what it needs.
        $dotnetRoot = if ($env:DOTNET_ROOT) { $env:DOTNET_ROOT } else { Split-Path (readlink -f (Get-Command dotnet).Source) -Parent }
        $wrapper = Join-Path $folder 'pwsh-subsystem'
        Set-Content $wrapper -Value "#!/bin/sh`nexec 2>>'$folder/subsystem.log'`nexport DOTNET_ROOT='$dotnetRoot' HOME='$folder' LVSTOOLS_MODULE='$env:LVSTOOLS_MODULE'`nexec '$Pwsh' -sshs -NoLogo -NoProfile`n"
        chmod 755 $wrapper
        if (-not (Test-Path /run/sshd)) { New-Item -ItemType Directory -Path /run/sshd | Out-Null }   # sshd's privilege separation directory
        Invoke-MachineNative ip @('netns', 'add', $fleet.Admin)
        Invoke-MachineNative ip @('-n', $fleet.Admin, 'link', 'set', 'lo', 'up')
        $n = 0
        $all = @($Name | ForEach-Object { [pscustomobject]@{ Name = $_; Namespace = "lvsm-$id-$_"; Owned = $true } }) +
            @($Namespace.Keys | ForEach-Object { [pscustomobject]@{ Name = $_; Namespace = $Namespace[$_]; Owned = $false } })
        foreach ($x in $all) {
            $n++
            $m = $x.Name
            $ns = $x.Namespace
            $address = "10.71.$n.2"
            if ($x.Owned) {
                Invoke-MachineNative ip @('netns', 'add', $ns)
                Invoke-MachineNative ip @('-n', $ns, 'link', 'set', 'lo', 'up')
            }
            Invoke-MachineNative ip @('-n', $fleet.Admin, 'link', 'add', "to$n", 'type', 'veth', 'peer', 'name', 'eth9', 'netns', $ns)
            Invoke-MachineNative ip @('-n', $fleet.Admin, 'addr', 'add', "10.71.$n.1/24", 'dev', "to$n")
            Invoke-MachineNative ip @('-n', $fleet.Admin, 'link', 'set', "to$n", 'up')
            Invoke-MachineNative ip @('-n', $ns, 'addr', 'add', "$address/24", 'dev', 'eth9')
            Invoke-MachineNative ip @('-n', $ns, 'link', 'set', 'eth9', 'up')
            $config = Join-Path $folder "sshd_config.$m"
            Set-Content $config -Value @(
                "ListenAddress $address", 'Port 22', "HostKey $folder/host_key", "PidFile $folder/sshd.$m.pid",
                "AuthorizedKeysFile $folder/authorized_keys", 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
                'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PrintMotd no', 'UseDNS no',
                "Subsystem powershell $wrapper")
            $log = Join-Path $folder "sshd.$m.log"
            $p = Start-Process -FilePath ip -ArgumentList @('netns', 'exec', $ns, '/usr/sbin/sshd', '-D', '-e', '-f', $config) `
                -RedirectStandardError $log -RedirectStandardOutput "$log.out" -PassThru
            $fleet.Machines += [pscustomobject]@{ Name = $m; Namespace = $ns; Address = $address; Process = $p; Owned = $x.Owned }
        }
        foreach ($m in $fleet.Machines) { Wait-MachineListening $fleet $m }
        $fleet
    }
    catch {
        Remove-TestMachines $fleet
        throw
    }
}

function Wait-MachineListening($Fleet, $Machine) {
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($Machine.Process.HasExited) { throw "sshd of $($Machine.Name) ended: $(Get-Content (Join-Path $Fleet.Folder "sshd.$($Machine.Name).log") -Raw)" }
        if ((ip netns exec $Machine.Namespace ss -Hltn "sport = :22") -match $Machine.Address) { return }
        Start-Sleep -Milliseconds 100
    }
    throw "sshd of $($Machine.Name) does not listen on $($Machine.Address):22"
}

# Runs a script in a child pwsh in the admin namespace (the "workstation"); returns its output lines and exit code.
# The script gets $Key (the private key file) and $Machines (name -> address) and the module path in $Module.
function Invoke-FromAdmin($Fleet, [string] $Script, [int] $TimeoutSec = 300) {
    $file = Join-Path $Fleet.Folder ("admin-" + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.ps1')
    $table = ($Fleet.Machines | ForEach-Object { "'$($_.Name)' = '$($_.Address)'" }) -join '; '
    Set-Content $file -Value @(
        "`$ErrorActionPreference = 'Stop'", "`$Key = '$($Fleet.Key)'", "`$Machines = [ordered]@{ $table }",
        "`$Module = '$env:LVSTOOLS_MODULE'",
        "`$PSDefaultParameterValues['Invoke-Command:UserName'] = 'root'",
        "`$PSDefaultParameterValues['Invoke-Command:KeyFilePath'] = `$Key",
        "`$PSDefaultParameterValues['Invoke-Command:Options'] = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' }",
        "`$PSDefaultParameterValues['New-PSSession:UserName'] = 'root'",
        "`$PSDefaultParameterValues['New-PSSession:KeyFilePath'] = `$Key",
        "`$PSDefaultParameterValues['New-PSSession:Options'] = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' }",
        "Import-Module `$Module",
        $Script)
    $output = & timeout $TimeoutSec ip netns exec $Fleet.Admin (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $file 2>&1
    [pscustomobject]@{ Output = @($output | ForEach-Object { "$_" }); ExitCode = $LASTEXITCODE }
}

function Remove-TestMachines($Fleet) {
    if (-not $Fleet) { return }
    foreach ($m in @($Fleet.Machines)) {
        if ($m.Process -and -not $m.Process.HasExited) { $m.Process.Kill($true); $m.Process.WaitForExit(5000) | Out-Null }
        if ($m.Owned) { ip netns del $m.Namespace 2>$null }
        else { ip -n $m.Namespace link del eth9 2>$null }
    }
    ip netns del $Fleet.Admin 2>$null
    if ($Fleet.Folder -and (Test-Path $Fleet.Folder)) { Remove-Item $Fleet.Folder -Recurse -Force }
}

Export-ModuleMember -Function Test-MachinesAvailable, New-TestMachines, Invoke-FromAdmin, Remove-TestMachines
