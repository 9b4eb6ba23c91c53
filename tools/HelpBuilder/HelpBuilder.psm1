#requires -Version 7.2
<#
    HelpBuilder - build-time help tooling for LvsTools, without PlatyPS.

    The cmdlet pages in docs/en-US are written in platyPS schema 2.0.0 markdown (see
    docs/en-US/_TEMPLATE.md.txt). At run time PowerShell reads only MAML XML, so the build converts them:

        ConvertTo-MamlHelp      docs/en-US/*-*.md         -> <module>/en-US/LvsTools.dll-Help.xml
        ConvertTo-AboutHelp     docs/en-US/about_*.md     -> <module>/en-US/about_LvsTools.help.txt
        Test-HelpCoverage       pages vs. compiled cmdlet metadata (missing pages, parameters, wrong facts)

    One file per job, dot-sourced below:
        Markdown.ps1          the markdown subset platyPS writes -> outline and blocks
        CommandPage.ps1       one cmdlet page -> its model (sections, parameter sets, yaml facts)
        Maml.ps1              page models -> MAML (ConvertTo-MamlHelp)
        AboutHelp.ps1         about_*.md -> about_*.help.txt (ConvertTo-AboutHelp)
        CompiledCommand.ps1   the built module's commands and parameter metadata, named as pages name them
        HelpCoverage.ps1      pages against the compiled commands (Test-HelpCoverage)

    The module keeps no state between calls; the few script-scope variables are read-only constants.
    Tested by tests/Pester/HelpBuilder.Tests.ps1 with the fixture pages in tests/Pester/Fixtures/Help.
#>
Set-StrictMode -Version Latest

# The name PowerShell gives the implicit parameter set, and the name platyPS pages use for "every set".
Set-Variable -Scope Script -Option ReadOnly -Name AllSetsName -Value '__AllParameterSets'
Set-Variable -Scope Script -Option ReadOnly -Name AllSetsLabel -Value '(All)'

# Parameters every page may leave out: the common parameters, and the ShouldProcess pair, which a page may
# document (platyPS does, so that they show in Get-Help's syntax) but need not.
Set-Variable -Scope Script -Option ReadOnly -Name CommonParameterNames -Value (
    [string[]] [System.Management.Automation.Cmdlet]::CommonParameters +
    [string[]] @('UseTransaction'))
Set-Variable -Scope Script -Option ReadOnly -Name ShouldProcessParameterNames -Value ([string[]] @('WhatIf', 'Confirm'))

# A "{{ ... }}" marker: what platyPS's New-MarkdownHelp leaves for the writer, and Test-HelpCoverage reports.
Set-Variable -Scope Script -Option ReadOnly -Name PlaceholderPattern -Value '\{\{.*?\}\}'

foreach ($part in 'Markdown', 'CommandPage', 'Maml', 'AboutHelp', 'CompiledCommand', 'HelpCoverage') {
    . (Join-Path $PSScriptRoot "$part.ps1")
}

Export-ModuleMember -Function ConvertTo-MamlHelp, ConvertTo-AboutHelp, Test-HelpCoverage
