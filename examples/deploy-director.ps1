#Requires -Modules LvsTools
<#
.SYNOPSIS
The example project's director script: makes a namespace (or this machine) an LVS-DR director for the services of
lb.json, the way a deployment would. It is the script under test in tests/Director.Tests.ps1.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # Where the director runs: a network namespace name, or none for this machine.
    [string] $NetNamespace,
    # The committed configuration.
    [string] $Path = (Join-Path $PSScriptRoot 'lb.json')
)
$ErrorActionPreference = 'Stop'
$where = if ($NetNamespace) { @{ NetNamespace = $NetNamespace } } else { @{} }
# The VIP and the IPVS table, both from the document: one call, nothing written when they already match.
Sync-LvsConfiguration @where -Path $Path -Confirm:$false -WhatIf:$WhatIfPreference
