# The coverage check: pages against the compiled module. The build fails when this returns anything.
# Dot-sourced by HelpBuilder.psm1.

function Test-HelpCoverage {
    <#
    .SYNOPSIS
        Compares the help pages with the compiled module and returns one object per problem.
    .DESCRIPTION
        Imports -ModuleManifest (Import-Module -PassThru -Force) and checks, for every exported cmdlet (and
        function), that its page exists and agrees with Get-Command's metadata:
          - SYNOPSIS and DESCRIPTION have text, at least one example has code, no '{{ ... }}' marker is left;
          - every parameter (common ones and WhatIf/Confirm excepted) has a '### -Name' section with a
            description, and the page documents no parameter the cmdlet lacks;
          - Type, Parameter Sets, Required, Position, pipeline input (ByValue/ByPropertyName), Aliases and
            Accepted values (ValidateSet) agree, set by set;
          - every parameter set has a '### SetName' in SYNTAX (__AllParameterSets may be written '(All)' or
            omitted), the '(Default)' one is the default set, and its syntax block names the set's parameters;
        plus pages for commands that are not exported, and a missing about_<Module>.md.
        Returns nothing when everything agrees.
    .EXAMPLE
        $problems = Test-HelpCoverage -ModuleManifest ./out/LvsTools/LvsTools.psd1 -Path ./docs/en-US
        if ($problems) { $problems | Format-Table -Wrap; throw "help is incomplete" }
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $ModuleManifest,
        [Parameter(Mandatory)] [string] $Path
    )
    $folder = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    $manifest = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($ModuleManifest)
    $imported = Import-ModuleUnderTest -ModuleManifest $manifest

    $problem = { param($Command, $Text) [pscustomobject] @{ Command = $Command; Problem = $Text } }

    $files = @{}
    if (Test-Path -LiteralPath $folder -PathType Container) {
        foreach ($f in Get-CommandHelpPageFile -LiteralPath $folder) { $files[$f.BaseName] = $f }
    }
    else {
        & $problem '' "Docs folder '$folder' does not exist"
    }

    foreach ($name in $imported.Commands.Keys) {
        $cmd = $imported.Commands[$name]
        if (-not $files.ContainsKey($name)) { & $problem $name "No help page ($name.md)"; continue }
        $file = $files[$name]
        try { $page = Import-CommandHelpPage -LiteralPath $file.FullName }
        catch { & $problem $name "Page cannot be read: $($_.Exception.Message)"; continue }

        if ($page.Name -cne $name) { & $problem $name "Page title '# $($page.Name)' does not match the command name" }
        foreach ($p in $page.Problems) { & $problem $name $p }
        foreach ($ph in $page.Placeholders) { & $problem $name "Placeholder left on line $($ph.Line): $($ph.Text)" }

        # Prose sections. Text that is only a '{{ ... }}' marker counts as text here: the marker is reported above.
        if (-not ($page.Sections -contains 'SYNOPSIS')) { & $problem $name 'No SYNOPSIS section' }
        elseif (-not (Get-BlockText $page.Synopsis)) { & $problem $name 'SYNOPSIS has no text' }
        if (-not ($page.Sections -contains 'DESCRIPTION')) { & $problem $name 'No DESCRIPTION section' }
        elseif (-not (Get-BlockText $page.Description)) { & $problem $name 'DESCRIPTION has no text' }
        if (-not @($page.Examples | Where-Object { $_.Code -and ($_.Code -replace $script:PlaceholderPattern, '').Trim() })) {
            & $problem $name 'No example with code'
        }

        # Parameter sets and SYNTAX.
        $setNames = [string[]] @(Get-CommandSetName $cmd)
        $implicitOnly = ($setNames.Count -eq 1 -and $setNames[0] -eq $script:AllSetsName)
        $headings = @($page.SyntaxSets)
        if (-not ($page.Sections -contains 'SYNTAX')) { & $problem $name 'No SYNTAX section' }
        else {
            foreach ($set in $cmd.ParameterSets) {
                $heading = if ($set.Name -eq $script:AllSetsName) {
                    $headings | Where-Object { Test-AllSetsName $_.Name } | Select-Object -First 1
                }
                else { $headings | Where-Object Name -eq $set.Name | Select-Object -First 1 }
                if (-not $heading) {
                    $label = if ($set.Name -eq $script:AllSetsName) { "$($script:AllSetsName) (or (All))" } else { $set.Name }
                    & $problem $name "Parameter set '$label' has no '### $($set.Name)' in SYNTAX"
                    continue
                }
                if ($setNames.Count -gt 1 -and $set.IsDefault -and -not $heading.IsDefault) {
                    & $problem $name "SYNTAX: '### $($set.Name)' is the default parameter set but is not marked '(Default)'"
                }
                if ($setNames.Count -gt 1 -and -not $set.IsDefault -and $heading.IsDefault) {
                    & $problem $name "SYNTAX: '### $($set.Name) (Default)' is not the default parameter set (that is '$($cmd.DefaultParameterSet)')"
                }
                if (-not $heading.Code) { & $problem $name "SYNTAX: '### $($set.Name)' has no syntax block"; continue }
                # The block's -Names must be the set's parameters (WhatIf/Confirm and common ones may be left out).
                $ignore = $script:CommonParameterNames + $script:ShouldProcessParameterNames
                $shown = @([regex]::Matches($heading.Code, '(?<![\w-])-([A-Za-z_]\w*)') | ForEach-Object { $_.Groups[1].Value } |
                        Where-Object { $_ -notin $ignore } | Sort-Object -Unique)
                $actual = @($set.Parameters | ForEach-Object Name | Where-Object { $_ -notin $ignore } | Sort-Object -Unique)
                $missing = @($actual | Where-Object { $_ -notin $shown })
                $extra = @($shown | Where-Object { $_ -notin $actual })
                if ($missing) { & $problem $name "SYNTAX '$($set.Name)': block lacks $(($missing | ForEach-Object { "-$_" }) -join ', ')" }
                if ($extra) { & $problem $name "SYNTAX '$($set.Name)': block shows $(($extra | ForEach-Object { "-$_" }) -join ', '), not in this set" }
            }
            foreach ($h in $headings) {
                $known = if (Test-AllSetsName $h.Name) { $implicitOnly } else { $h.Name -in $setNames }
                if (-not $known) { & $problem $name "SYNTAX: '### $($h.Name)' is not a parameter set of the command" }
            }
        }

        # Parameters.
        $documented = @{}
        foreach ($dp in $page.Parameters) { $documented[$dp.Name] = $dp }
        foreach ($dp in $page.Parameters) {
            if (-not $cmd.Parameters.ContainsKey($dp.Name)) {
                & $problem $name "Page documents -$($dp.Name), which the command does not have"
            }
            elseif ($dp.Name -in $script:CommonParameterNames) {
                & $problem $name "Page documents common parameter -$($dp.Name); it belongs under CommonParameters"
            }
            elseif ($cmd.Parameters[$dp.Name].Name -cne $dp.Name) {
                & $problem $name "Parameter -$($dp.Name) is spelled -$($cmd.Parameters[$dp.Name].Name) by the command"
            }
        }
        foreach ($pm in $cmd.Parameters.Values) {
            if ($pm.Name -in $script:CommonParameterNames) { continue }
            $optional = $pm.Name -in $script:ShouldProcessParameterNames
            $dp = $documented[$pm.Name]
            if (-not $dp) {
                if (-not $optional) { & $problem $name "Parameter -$($pm.Name) has no '### -$($pm.Name)' section" }
                continue
            }
            $label = "Parameter -$($pm.Name)"
            if (-not (Get-BlockText $dp.Description)) {
                & $problem $name "$label has no description"
            }
            if ($dp.Metas.Count -eq 0) { continue }

            foreach ($docType in @($dp.Metas | ForEach-Object Type | Sort-Object -Unique)) {
                if (-not $docType) { & $problem $name "$label has no Type"; continue }
                if (-not (Test-TypeNameMatch -Documented $docType -Type $pm.ParameterType)) {
                    & $problem $name "$label is documented as Type '$docType' but is $(Get-PageTypeName $pm.ParameterType) ($($pm.ParameterType.FullName))"
                }
            }

            # Set membership, compared after expanding (All) / __AllParameterSets to the command's sets.
            $compiledSets = if ($pm.ParameterSets.ContainsKey($script:AllSetsName)) { $setNames }
            else { [string[]] @($pm.ParameterSets.Keys) }
            $docAll = [bool] @($dp.Metas | Where-Object { $_.Sets -contains $script:AllSetsLabel })
            $docSets = if ($docAll) { $setNames } else { [string[]] @($dp.Metas | ForEach-Object Sets | Select-Object -Unique) }
            $compiledLabel = if ($pm.ParameterSets.ContainsKey($script:AllSetsName) -and $pm.ParameterSets.Count -eq 1) { $script:AllSetsLabel } else { (@($pm.ParameterSets.Keys | ForEach-Object { if ($_ -eq $script:AllSetsName) { $script:AllSetsLabel } else { $_ } }) -join ', ') }
            $docLabel = (@($dp.Metas | ForEach-Object Sets | Select-Object -Unique) -join ', ')
            $sameSets = -not (Compare-Object -ReferenceObject @($compiledSets | Sort-Object -Unique) -DifferenceObject @($docSets | Sort-Object -Unique) -SyncWindow 0)
            if (-not $sameSets) {
                & $problem $name "$label is documented in Parameter Sets '$docLabel' but is in '$compiledLabel'"
            }

            # Per set facts; the same disagreement in several sets is reported once, naming the sets.
            $diffs = [ordered]@{}
            foreach ($setName in $setNames) {
                if ($setName -notin $compiledSets -or $setName -notin $docSets) { continue }
                $c = Get-CompiledSetMetadata -ParameterMetadata $pm -SetName $setName
                $d = if ($docAll -and $setNames.Count -eq 1) { $dp.Metas[0] } else { Get-PageParameterMeta -Parameter $dp -SetName $setName }
                if (-not $c -or -not $d) { continue }
                $facts = @(
                    @('Required', [string] $d.Required, [string] $c.IsMandatory),
                    @('Position', $(if ($d.Position -eq 'named') { 'Named' } else { $d.Position }), (Format-Position $c.Position)),
                    @('Accept pipeline input', (Format-Pipeline $d.ByValue $d.ByPropertyName), (Format-Pipeline $c.ValueFromPipeline $c.ValueFromPipelineByPropertyName))
                )
                foreach ($f in $facts) {
                    if ($f[1] -ne $f[2]) {
                        $key = "$($f[0])|$($f[1])|$($f[2])"
                        if (-not $diffs.Contains($key)) { $diffs[$key] = [System.Collections.Generic.List[string]]::new() }
                        $diffs[$key].Add($(if ($setName -eq $script:AllSetsName) { $script:AllSetsLabel } else { $setName }))
                    }
                }
            }
            foreach ($key in $diffs.Keys) {
                $field, $doc, $actualValue = $key -split '\|', 3
                $where = if ($setNames.Count -gt 1) { " in set(s) $($diffs[$key] -join ', ')" } else { '' }
                & $problem $name "$label is documented with ${field}: $doc but the command has ${field}: $actualValue$where"
            }

            $docAliases = @($dp.Metas | ForEach-Object Aliases | Sort-Object -Unique)
            $realAliases = @($pm.Aliases | Sort-Object -Unique)
            if (Compare-Object -ReferenceObject $realAliases -DifferenceObject $docAliases) {
                & $problem $name "$label is documented with Aliases '$(if ($docAliases) { $docAliases -join ', ' } else { 'None' })' but has '$(if ($realAliases) { $realAliases -join ', ' } else { 'None' })'"
            }

            $docValues = @($dp.Metas | ForEach-Object AcceptedValues | Sort-Object -Unique)
            $realValues = @(Get-AcceptedValue $pm | Sort-Object -Unique)
            $validateSet = @(Get-ValidateSetValue $pm)
            if ($docValues.Count -or $validateSet.Count) {
                if (Compare-Object -ReferenceObject $realValues -DifferenceObject $docValues) {
                    & $problem $name "$label is documented with Accepted values '$($docValues -join ', ')' but accepts '$($realValues -join ', ')'"
                }
            }
        }
    }

    foreach ($pageName in ($files.Keys | Sort-Object)) {
        if (-not $imported.Commands.ContainsKey($pageName)) {
            & $problem $pageName "Page $pageName.md documents a command the module does not export"
        }
    }

    $aboutName = "about_$($imported.Module.Name)"
    if (-not (Test-Path -LiteralPath (Join-Path $folder "$aboutName.md") -PathType Leaf)) {
        & $problem $aboutName "No $aboutName.md"
    }
}
