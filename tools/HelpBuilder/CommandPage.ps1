# The cmdlet page model: one platyPS schema 2.0.0 page (docs/en-US/<Verb>-<Noun>.md) read into its sections,
# parameter sets and per-parameter yaml facts. Used by the MAML writer and by the coverage check alike.
# Dot-sourced by HelpBuilder.psm1.

function ConvertFrom-BooleanText {
    param([AllowNull()] [AllowEmptyString()] [string] $Text)
    if ($null -eq $Text) { return $null }
    switch -Regex ($Text.Trim()) {
        '^(?i:true)$' { return $true }
        '^(?i:false)$' { return $false }
    }
    return $null
}

function Split-ListValue {
    # "a, b, c" -> @('a','b','c'); 'None' / '' -> @()
    param([AllowNull()] [AllowEmptyString()] [string] $Text)
    if ([string]::IsNullOrWhiteSpace($Text) -or $Text.Trim() -match '^(?i:none)$') { return }
    $Text.Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_.Length -gt 0 }
}

function ConvertFrom-ParameterYaml {
    <#
        Parses one ```yaml block of a parameter section (flat "Key: value" lines; keys matched without case or
        spaces). Parameter Sets '(All)' and '__AllParameterSets' both become '(All)'.
    #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Text, [string] $Where)
    $raw = @{}
    foreach ($line in $Text.Split("`n")) {
        if ($line -match '^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$') {
            $raw[($Matches[1] -replace '\s', '').ToLowerInvariant()] = $Matches[2]
        }
    }
    $problems = [System.Collections.Generic.List[string]]::new()
    $get = { param($k) if ($raw.ContainsKey($k)) { $raw[$k] } else { $null } }

    $sets = [string[]] @(Split-ListValue (& $get 'parametersets'))
    $sets = [string[]] @($sets | ForEach-Object { if ($_ -eq $script:AllSetsName) { $script:AllSetsLabel } else { $_ } })
    if ($sets.Count -eq 0) { $sets = [string[]] @($script:AllSetsLabel) }

    $requiredText = & $get 'required'
    $required = ConvertFrom-BooleanText $requiredText
    if ($null -eq $required) { $problems.Add("$Where 'Required: $requiredText' is not True or False"); $required = $false }

    $positionText = & $get 'position'
    $position = 'named'
    if (-not [string]::IsNullOrWhiteSpace($positionText) -and $positionText.Trim() -notmatch '^(?i:named)$') {
        $n = 0
        if ([int]::TryParse($positionText.Trim(), [ref] $n)) { $position = [string] $n }
        else { $problems.Add("$Where 'Position: $positionText' is not a number or Named") }
    }

    $pipelineText = & $get 'acceptpipelineinput'
    $byValue = $false; $byName = $false
    if (-not [string]::IsNullOrWhiteSpace($pipelineText) -and $pipelineText.Trim() -notmatch '^(?i:false)') {
        $byValue = $pipelineText -match '(?i)ByValue'
        $byName = $pipelineText -match '(?i)ByPropertyName'
        if (-not ($byValue -or $byName)) {
            # Bare "True": platyPS's oldest form, meaning ByValue.
            if ($pipelineText.Trim() -match '^(?i:true)$') { $byValue = $true }
            else { $problems.Add("$Where 'Accept pipeline input: $pipelineText' is not understood") }
        }
    }

    $globText = & $get 'acceptwildcardcharacters'
    $globbing = ConvertFrom-BooleanText $globText
    if ($null -eq $globbing) { $globbing = $false }

    $type = & $get 'type'
    $default = & $get 'defaultvalue'
    [pscustomobject] @{
        Type           = $(if ([string]::IsNullOrWhiteSpace($type)) { $null } else { $type.Trim() })
        Sets           = $sets
        Aliases        = [string[]] @(Split-ListValue (& $get 'aliases'))
        AcceptedValues = [string[]] @(Split-ListValue (& $get 'acceptedvalues'))
        Required       = [bool] $required
        Position       = $position
        DefaultValue   = $(if ([string]::IsNullOrWhiteSpace($default)) { 'None' } else { $default.Trim() })
        ByValue        = [bool] $byValue
        ByPropertyName = [bool] $byName
        Globbing       = [bool] $globbing
        Problems       = $problems
    }
}

function Test-AllSetsName {
    param([string] $Name)
    return ($Name -eq $script:AllSetsLabel -or $Name -eq $script:AllSetsName)
}

function Import-CommandHelpPage {
    <#
        Reads one cmdlet page into a model. Structural problems (no '# Name' title) throw; content problems
        (a yaml value that cannot be read) are collected in .Problems so that the converter can warn and
        Test-HelpCoverage can report them.
    #>
    param([Parameter(Mandatory)] [string] $LiteralPath)

    $lines = Read-TextLines -LiteralPath $LiteralPath
    $split = Split-FrontMatter -Lines $lines
    $outline = Get-MarkdownOutline -Lines $split.Body -LineOffset $split.BodyLineOffset
    if ([string]::IsNullOrWhiteSpace($outline.Title)) {
        throw "${LiteralPath}: the page has no '# Verb-Noun' title."
    }
    $name = $outline.Title
    $problems = [System.Collections.Generic.List[string]]::new()

    $page = [pscustomobject] @{
        Path         = $LiteralPath
        Name         = $name
        FrontMatter  = $split.FrontMatter
        Sections     = [string[]] @($outline.Sections | ForEach-Object Name)
        Synopsis     = [object[]] @()
        Description  = [object[]] @()
        SyntaxSets   = [System.Collections.Generic.List[object]]::new()
        Examples     = [System.Collections.Generic.List[object]]::new()
        Parameters   = [System.Collections.Generic.List[object]]::new()
        Inputs       = [System.Collections.Generic.List[object]]::new()
        Outputs      = [System.Collections.Generic.List[object]]::new()
        Notes        = [object[]] @()
        Links        = [System.Collections.Generic.List[object]]::new()
        Placeholders = [System.Collections.Generic.List[object]]::new()
        Problems     = $problems
    }

    # '{{ ... }}' markers anywhere, with their line numbers.
    for ($i = 0; $i -lt $lines.Count; $i++) {
        foreach ($m in [regex]::Matches($lines[$i], $script:PlaceholderPattern)) {
            $page.Placeholders.Add([pscustomobject] @{ Line = $i + 1; Text = $m.Value })
        }
    }

    foreach ($section in $outline.Sections) {
        switch ($section.Name) {
            'SYNOPSIS' { $page.Synopsis = [object[]] @(ConvertTo-MarkdownBlock $section.Lines) }
            'DESCRIPTION' { $page.Description = [object[]] @(ConvertTo-MarkdownBlock $section.Lines) }
            'NOTES' { $page.Notes = [object[]] @(ConvertTo-MarkdownBlock $section.Lines) }
            'SYNTAX' {
                if ($section.Subsections.Count -eq 0) {
                    # A single parameter set written without a heading.
                    $code = @(ConvertTo-MarkdownBlock $section.Lines) | Where-Object Kind -eq 'Code' | Select-Object -First 1
                    $page.SyntaxSets.Add([pscustomobject] @{
                            Name = $script:AllSetsLabel; IsDefault = $true; Line = $section.Line
                            Code = $(if ($code) { $code.Text } else { $null })
                        })
                }
                foreach ($sub in $section.Subsections) {
                    $setName = $sub.Title
                    $isDefault = $false
                    if ($setName -match '^(.*?)\s*\((?i:Default)\)$') { $setName = $Matches[1]; $isDefault = $true }
                    if (Test-AllSetsName $setName) { $setName = $script:AllSetsLabel }
                    $code = @(ConvertTo-MarkdownBlock $sub.Lines) | Where-Object Kind -eq 'Code' | Select-Object -First 1
                    $page.SyntaxSets.Add([pscustomobject] @{
                            Name = $setName; IsDefault = $isDefault; Line = $sub.Line
                            Code = $(if ($code) { $code.Text } else { $null })
                        })
                }
            }
            'EXAMPLES' {
                $exampleSources = @($section.Subsections)
                if ($exampleSources.Count -eq 0 -and $section.Lines.Count -gt 0) {
                    $exampleSources = @([pscustomobject] @{ Title = 'Example 1'; Line = $section.Line; Lines = $section.Lines })
                }
                foreach ($sub in $exampleSources) {
                    $blocks = @(ConvertTo-MarkdownBlock $sub.Lines)
                    # The first code block is the example's code; everything else, in page order, its remarks.
                    $first = $blocks | Where-Object Kind -eq 'Code' | Select-Object -First 1
                    $remarks = [object[]] @($blocks | Where-Object { -not [object]::ReferenceEquals($_, $first) })
                    $page.Examples.Add([pscustomobject] @{
                            Title   = $sub.Title
                            Line    = $sub.Line
                            Code    = $(if ($first) { $first.Text } else { $null })
                            Remarks = $remarks
                        })
                }
            }
            'PARAMETERS' {
                foreach ($sub in $section.Subsections) {
                    $title = $sub.Title
                    if ($title -match '^<?(Workflow)?CommonParameters>?$') { continue }
                    if ($title -notmatch '^-(\S+)$') {
                        $problems.Add("line $($sub.Line): parameter heading '### $title' is not of the form '### -Name'")
                        continue
                    }
                    $paramName = $Matches[1]
                    $blocks = @(ConvertTo-MarkdownBlock $sub.Lines)
                    $metas = [System.Collections.Generic.List[object]]::new()
                    foreach ($b in $blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -match '^(?i:yaml|yml)$' }) {
                        $meta = ConvertFrom-ParameterYaml -Text $b.Text -Where "line $($sub.Line) (-$paramName):"
                        foreach ($p in $meta.Problems) { $problems.Add($p) }
                        $metas.Add($meta)
                    }
                    if ($metas.Count -eq 0) {
                        $problems.Add("line $($sub.Line): parameter -$paramName has no ``````yaml metadata block")
                    }
                    $page.Parameters.Add([pscustomobject] @{
                            Name        = $paramName
                            Line        = $sub.Line
                            Description = [object[]] @($blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Language -match '^(?i:yaml|yml)$') })
                            Metas       = $metas
                        })
                }
            }
            { $_ -in 'INPUTS', 'OUTPUTS' } {
                # (Property access, not an 'if' expression: that would enumerate the empty list into $null.)
                $target = $page.($(if ($section.Name -eq 'INPUTS') { 'Inputs' } else { 'Outputs' }))
                foreach ($sub in $section.Subsections) {
                    $target.Add([pscustomobject] @{ TypeName = $sub.Title; Description = [object[]] @(ConvertTo-MarkdownBlock $sub.Lines) })
                }
                if ($section.Subsections.Count -eq 0) {
                    # Tolerate a bare "None" (or a type name) written without a '###' heading.
                    $text = Get-BlockText @(ConvertTo-MarkdownBlock $section.Lines)
                    if ($text) { $target.Add([pscustomobject] @{ TypeName = $text; Description = [object[]] @() }) }
                }
            }
            'RELATED LINKS' {
                $all = @($section.Lines) + @($section.Subsections | ForEach-Object { $_.Lines })
                foreach ($l in $all) {
                    $found = [regex]::Matches($l, '\[([^\]]+)\]\(([^)\s]*)\)')
                    foreach ($m in $found) {
                        $uri = $m.Groups[2].Value
                        # Only absolute URIs are useful to Get-Help -Online; a page link keeps just its text.
                        if ($uri -notmatch '^[a-z]+://') { $uri = '' }
                        $page.Links.Add([pscustomobject] @{ Text = $m.Groups[1].Value.Trim(); Uri = $uri })
                    }
                    if ($found.Count -eq 0 -and $l.Trim() -match '^(?:[-*+]\s+)?(\S.*)$') {
                        $page.Links.Add([pscustomobject] @{ Text = (ConvertFrom-InlineMarkdown $Matches[1]); Uri = '' })
                    }
                }
            }
        }
    }
    return $page
}

function Get-CommandHelpPageFile {
    # The cmdlet pages of a docs folder: <Verb>-<Noun>.md (about_*.md, the module page and _* files excluded).
    param([Parameter(Mandatory)] [string] $LiteralPath)
    Get-ChildItem -LiteralPath $LiteralPath -Filter '*.md' -File |
        Where-Object { $_.BaseName -match '^[A-Za-z]+-[A-Za-z0-9_]+$' } |
        Sort-Object -Property Name
}

function Get-PageParameterMeta {
    # The yaml block of a page parameter that applies to parameter set $SetName: the first block naming the
    # set, else the first '(All)' block, else $null (the parameter is not in that set).
    param([Parameter(Mandatory)] $Parameter, [Parameter(Mandatory)] [string] $SetName)
    foreach ($meta in $Parameter.Metas) { if ($meta.Sets -contains $SetName) { return $meta } }
    foreach ($meta in $Parameter.Metas) { if ($meta.Sets -contains $script:AllSetsLabel) { return $meta } }
    return $null
}

function Get-PageParameterSetName {
    <#
        The parameter set names of a page, in page order: the SYNTAX headings, then any set named only in a
        parameter's yaml. A page with no set names at all has the single set '(All)'.
    #>
    param([Parameter(Mandatory)] $Page)
    $names = [System.Collections.Generic.List[string]]::new()
    foreach ($s in $Page.SyntaxSets) { if (-not $names.Contains($s.Name)) { $names.Add($s.Name) } }
    foreach ($p in $Page.Parameters) {
        foreach ($m in $p.Metas) {
            foreach ($s in $m.Sets) { if (-not (Test-AllSetsName $s) -and -not $names.Contains($s)) { $names.Add($s) } }
        }
    }
    if ($names.Count -gt 1) { [void] $names.Remove($script:AllSetsLabel) }
    if ($names.Count -eq 0) { $names.Add($script:AllSetsLabel) }
    $names
}
