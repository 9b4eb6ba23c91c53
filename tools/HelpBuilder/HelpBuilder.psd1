@{
    RootModule        = 'HelpBuilder.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = 'f3b0c4d2-6a1e-4c59-9d3b-2e7a8c5d1f60'
    Author            = 'LvsTools contributors'
    Description       = 'Build-time help tooling for LvsTools: platyPS markdown to MAML and about_ text, and the check of the pages against the compiled cmdlets.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('ConvertTo-MamlHelp', 'ConvertTo-AboutHelp', 'Test-HelpCoverage')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
