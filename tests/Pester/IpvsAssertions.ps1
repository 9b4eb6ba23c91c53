# Assertions shared by the IPVS Pester files; dot-sourced in their BeforeAll, so the functions live in that scope.
# (Not a *.Tests.ps1 file: Pester does not run it by itself.)

# ipvsadm -S lines cut into blocks: service key ("-t 10.0.0.1:80", "-f 8 -6") -> the -A line and its -a lines.
function Split-IpvsadmSave([string[]] $Lines) {
    $blocks = [ordered]@{}
    $key = $null
    $text = $null
    foreach ($l in $Lines) {
        if ($l -cmatch '^-A (-f \d+(?: -6)?|(?:-t|-u|--sctp-service) \S+)') {
            if ($key) { $blocks[$key] = $text }
            $key = [string]$Matches[1]
            $text = $l
        }
        elseif ($key -and $l.StartsWith('-a ')) { $text = "$text`n$l" }
        else { throw "unexpected ipvsadm -S line: $l" }
    }
    if ($key) { $blocks[$key] = $text }
    $blocks
}

# Each expected key's block must read exactly as given (lines), or be absent ($null).
function Assert-Block($Blocks, [hashtable] $Expected) {
    foreach ($k in $Expected.Keys) {
        if ($null -eq $Expected[$k]) { $Blocks.Contains($k) | Should -BeFalse -Because "service $k must not exist" }
        else { $Blocks[$k] | Should -Be (@($Expected[$k]) -join "`n") -Because "ipvsadm -S -n block of $k" }
    }
}

# Runs a cmdlet and returns its error records, whether it reports them (non-terminating) or throws.
function Get-CmdletError([string] $Command, [hashtable] $Params) {
    $err = @()
    try { $null = & $Command @Params -ErrorVariable err -ErrorAction SilentlyContinue }
    catch { $err = @($_) }
    , @($err)
}

function Assert-LvsError($err, [string] $Id, [string] $Category, $Target) {
    @($err).Count | Should -BeGreaterOrEqual 1 -Because "$Id expected"
    $err[0].FullyQualifiedErrorId | Should -Be $Id
    $err[0].CategoryInfo.Category | Should -Be $Category
    if ($PSBoundParameters.ContainsKey('Target')) { "$($err[0].TargetObject)" | Should -Be "$Target" -Because 'the offending value is the TargetObject' }
    $err[0].Exception.Message | Should -Not -Match '\bat LvsTools\.'   # a message, not a stack trace
    $err[0].Exception.Message | Should -Not -Match '(?m)^\s+at '
}

# Host output (What-if text) of a script block, read from a transcript (a child pwsh costs about a minute in UML).
function Get-HostText([scriptblock] $Script) {
    $file = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.txt')
    Start-Transcript -Path $file -UseMinimalHeader | Out-Null
    try { $out = & $Script } finally { Stop-Transcript | Out-Null }
    [pscustomobject]@{ Output = @($out); Text = (Get-Content -Raw $file) }
}
