@{
    RootModule           = 'LvsTools.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f3c2a4e-8d1b-4b7e-9a52-3c1e7d0b9f41'
    Author               = 'LvsTools contributors'
    CompanyName          = 'LvsTools'
    Copyright            = '(c) LvsTools contributors. MIT License.'
    Description          = 'Linux Virtual Server (IPVS) load balancers from PowerShell: virtual IPs, sysctls, IP forwarding and IPVS services over netlink, with typed objects, pipelines, -WhatIf and network-namespace targeting.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    TypesToProcess       = @('LvsTools.types.ps1xml')
    FormatsToProcess     = @('LvsTools.format.ps1xml', 'LvsTools.Ipvs.format.ps1xml', 'LvsTools.IpvsConfig.format.ps1xml', 'LvsTools.Health.format.ps1xml', 'LvsTools.Role.format.ps1xml', 'LvsTools.Lab.format.ps1xml')
    CmdletsToExport      = @(
        'Get-NetInterface'
        'Get-NetAlias'
        'Add-LvsVirtualIp'
        'Remove-LvsVirtualIp'
        'Get-Sysctl'
        'Set-Sysctl'
        'Get-IpForwarding'
        'Set-IpForwarding'
        'New-LvsService'
        'Get-LvsService'
        'Set-LvsService'
        'Remove-LvsService'
        'Clear-LvsService'
        'Add-LvsRealServer'
        'Get-LvsRealServer'
        'Set-LvsRealServer'
        'Remove-LvsRealServer'
        'Get-LvsTimeout'
        'Set-LvsTimeout'
        'Start-LvsSyncDaemon'
        'Stop-LvsSyncDaemon'
        'Get-LvsSyncDaemon'
        'Get-LvsInfo'
        'Reset-LvsStatistics'
        'Get-LvsConnection'
        'Export-LvsConfiguration'
        'Export-LvsMetric'
        'Import-LvsConfiguration'
        'Sync-LvsConfiguration'
        'Compare-LvsConfiguration'
        'Test-LvsConfiguration'
        'Invoke-LvsLab'
        'Start-LvsController'
        'ConvertFrom-IpvsadmRule'
        'ConvertTo-IpvsadmRule'
        'ConvertFrom-KeepalivedConfig'
        'ConvertTo-KeepalivedConfig'
        'Test-LvsRealServer'
        'Enable-LvsRealServerRole'
        'Disable-LvsRealServerRole'
        'Get-LvsRealServerRole'
        'New-LvsLab'
        'Get-LvsLab'
        'Remove-LvsLab'
        'Invoke-LvsLabRequest'
        'Set-LvsLabServer'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('LVS', 'IPVS', 'ipvsadm', 'LoadBalancer', 'Netlink', 'Linux', 'sysctl')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'Foundation: netlink core, virtual IPs, sysctls, IP forwarding, network namespaces.'
        }
    }
}
