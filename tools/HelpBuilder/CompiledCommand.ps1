# The compiled side of the coverage check: the built module's commands and their parameter metadata, named the
# way the pages write them. Dot-sourced by HelpBuilder.psm1.

function Import-ModuleUnderTest {
    # Imports the built module (into this module's scope: nothing is left in the caller's session) and returns
    # its exported cmdlets and functions by name.
    param([Parameter(Mandatory)] [string] $ModuleManifest)
    $modules = @(Import-Module -Name $ModuleManifest -PassThru -Force -ErrorAction Stop)
    $baseName = [System.IO.Path]::GetFileNameWithoutExtension($ModuleManifest)
    $module = $modules | Where-Object Name -eq $baseName | Select-Object -First 1
    if (-not $module) { $module = $modules[0] }
    $commands = [System.Collections.Generic.SortedDictionary[string, object]]::new([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($c in @($module.ExportedCmdlets.Values) + @($module.ExportedFunctions.Values)) { $commands[$c.Name] = $c }
    [pscustomobject] @{ Module = $module; Commands = $commands }
}

function Get-FriendlyTypeName {
    # String[], IPAddress, Nullable[UInt16], Dictionary[String, Int32]: the short form the pages use.
    param([Parameter(Mandatory)] [type] $Type)
    if ($Type.IsArray) { return (Get-FriendlyTypeName $Type.GetElementType()) + '[]' }
    if ($Type.IsGenericType) {
        $base = $Type.Name -replace '`\d+$', ''
        $typeArgs = ($Type.GetGenericArguments() | ForEach-Object { Get-FriendlyTypeName $_ }) -join ', '
        return "$base[$typeArgs]"
    }
    return $Type.Name
}

function Get-PageTypeName {
    # The Type a page writes: the friendly name, with Nullable[T] shown as T (as Get-Help readers expect).
    param([Parameter(Mandatory)] [type] $Type)
    $underlying = [System.Nullable]::GetUnderlyingType($Type)
    if ($underlying) { return Get-FriendlyTypeName $underlying }
    return Get-FriendlyTypeName $Type
}

function Get-NormalizedTypeName {
    # Lower case, no spaces, no namespaces, no generic arity: 'System.Nullable`1[System.Int32]' -> 'nullable[int32]'.
    param([string] $Name)
    $n = ($Name -replace '\s', '').ToLowerInvariant()
    $n = $n -replace '`\d+', ''
    $n = $n -replace '(?<![\w])(?:[a-z_][\w]*\.)+(?=[a-z_])', ''
    return $n
}

function Test-TypeNameMatch {
    # Does a documented type name denote the compiled parameter type? Accepts the short .NET name, the full
    # name, the PowerShell name (accelerators: string[], ushort, switch) and, for Nullable[T], T.
    param([Parameter(Mandatory)] [string] $Documented, [Parameter(Mandatory)] [type] $Type)
    $candidates = [System.Collections.Generic.HashSet[string]]::new()
    $types = @($Type)
    $underlying = [System.Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $types += $underlying }
    foreach ($t in $types) {
        foreach ($n in @($t.Name, $t.FullName, $t.ToString(), (Get-FriendlyTypeName $t),
                [Microsoft.PowerShell.ToStringCodeMethods]::Type([psobject] $t))) {
            if ($n) { [void] $candidates.Add((Get-NormalizedTypeName $n)) }
        }
    }
    if ($Type -eq [System.Management.Automation.SwitchParameter]) { [void] $candidates.Add('switch') }
    return $candidates.Contains((Get-NormalizedTypeName $Documented))
}

function Format-Position {
    param([int] $Position)
    if ($Position -eq [int]::MinValue) { return 'Named' }
    return [string] $Position
}

function Format-Pipeline {
    param([bool] $ByValue, [bool] $ByPropertyName)
    $kinds = @()
    if ($ByValue) { $kinds += 'ByValue' }
    if ($ByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds.Count) { return 'True ({0})' -f ($kinds -join ', ') }
    return 'False'
}

function Get-CompiledSetMetadata {
    # The compiled ParameterSetMetadata of a parameter in one set (an explicit entry wins over __AllParameterSets).
    param([Parameter(Mandatory)] $ParameterMetadata, [Parameter(Mandatory)] [string] $SetName)
    if ($ParameterMetadata.ParameterSets.ContainsKey($SetName)) { return $ParameterMetadata.ParameterSets[$SetName] }
    if ($ParameterMetadata.ParameterSets.ContainsKey($script:AllSetsName)) { return $ParameterMetadata.ParameterSets[$script:AllSetsName] }
    return $null
}

function Get-CommandSetName {
    # The parameter set names of a command, in the order Get-Command lists them.
    param([Parameter(Mandatory)] $CommandInfo)
    $CommandInfo.ParameterSets | ForEach-Object Name
}

function Get-ValidateSetValue {
    param([Parameter(Mandatory)] $ParameterMetadata)
    $attr = $ParameterMetadata.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($attr) { $attr.ValidValues }
}

function Get-AcceptedValue {
    # ValidateSet values, else the names of an enum type (as platyPS fills 'Accepted values').
    param([Parameter(Mandatory)] $ParameterMetadata)
    $set = @(Get-ValidateSetValue $ParameterMetadata)
    if ($set.Count) { return $set }
    $t = $ParameterMetadata.ParameterType
    if ($t.IsArray) { $t = $t.GetElementType() }
    $u = [System.Nullable]::GetUnderlyingType($t)
    if ($u) { $t = $u }
    if ($t.IsEnum) { [System.Enum]::GetNames($t) }
}
