#requires -Version 7.2
<#
    HelpBuilder.psm1 - build-time help tooling for LvsTools, without PlatyPS.

    The cmdlet pages in docs/en-US are written in platyPS schema 2.0.0 markdown (see
    docs/en-US/_TEMPLATE.md.txt). At run time PowerShell reads only MAML XML, so the build converts them:

        ConvertTo-MamlHelp      docs/en-US/*-*.md         -> <module>/en-US/LvsTools.dll-Help.xml
        ConvertTo-AboutHelp     docs/en-US/about_*.md     -> <module>/en-US/about_LvsTools.help.txt
        Test-HelpCoverage       pages vs. compiled cmdlet metadata (missing pages, parameters, wrong facts)
        New-MarkdownHelpStub    page skeleton from compiled metadata, for writers (not used by the build)

    Only the markdown subset that platyPS itself writes is understood: ATX headings, paragraphs, bullet and
    numbered lists, fenced code blocks, inline links. Anything else passes through as text.

    The module keeps no state between calls; the few script-scope variables below are read-only constants.
#>
Set-StrictMode -Version Latest

#region Constants

Set-Variable -Scope Script -Option ReadOnly -Name MamlNs -Value 'http://schemas.microsoft.com/maml/2004/10'
Set-Variable -Scope Script -Option ReadOnly -Name CommandNs -Value 'http://schemas.microsoft.com/maml/dev/command/2004/10'
Set-Variable -Scope Script -Option ReadOnly -Name DevNs -Value 'http://schemas.microsoft.com/maml/dev/2004/10'
Set-Variable -Scope Script -Option ReadOnly -Name MshNs -Value 'http://msh'
Set-Variable -Scope Script -Option ReadOnly -Name XmlnsNs -Value 'http://www.w3.org/2000/xmlns/'

# The name PowerShell gives the implicit parameter set, and the name platyPS pages use for "every set".
Set-Variable -Scope Script -Option ReadOnly -Name AllSetsName -Value '__AllParameterSets'
Set-Variable -Scope Script -Option ReadOnly -Name AllSetsLabel -Value '(All)'

# Parameters every page may leave out: the common parameters, and the ShouldProcess pair, which a page may
# document (platyPS does, so that they show in Get-Help's syntax) but need not.
Set-Variable -Scope Script -Option ReadOnly -Name CommonParameterNames -Value (
    [string[]] [System.Management.Automation.Cmdlet]::CommonParameters +
    [string[]] @('UseTransaction'))
Set-Variable -Scope Script -Option ReadOnly -Name ShouldProcessParameterNames -Value ([string[]] @('WhatIf', 'Confirm'))

# A "{{ ... }}" marker: what New-MarkdownHelpStub leaves for the writer and Test-HelpCoverage reports.
Set-Variable -Scope Script -Option ReadOnly -Name PlaceholderPattern -Value '\{\{.*?\}\}'

#endregion

#region Markdown reading (private)

function Read-TextLines {
    # A file as lines, BOM dropped, CRLF/CR normalised to LF.
    param([Parameter(Mandatory)] [string] $LiteralPath)
    $text = [System.IO.File]::ReadAllText($LiteralPath, [System.Text.Encoding]::UTF8)
    $text = $text -replace "`r`n?", "`n"
    return , [string[]] $text.Split("`n")
}

function Split-FrontMatter {
    # Splits '---' ... '---' front matter off. Returns the keys (ordered, case-insensitive) and the body lines.
    param([Parameter(Mandatory)] [AllowEmptyString()] [string[]] $Lines)
    $front = [ordered]@{}
    $start = 0
    if ($Lines.Count -gt 0 -and $Lines[0].Trim() -eq '---') {
        for ($i = 1; $i -lt $Lines.Count; $i++) {
            if ($Lines[$i].Trim() -eq '---') { $start = $i + 1; break }
            if ($Lines[$i] -match '^\s*([^:#][^:]*?)\s*:\s*(.*?)\s*$') { $front[$Matches[1]] = $Matches[2] }
        }
    }
    $body = if ($start -lt $Lines.Count) { [string[]] $Lines[$start..($Lines.Count - 1)] } else { [string[]] @() }
    [pscustomobject] @{ FrontMatter = $front; Body = $body; BodyLineOffset = $start }
}

function Test-FenceLine {
    # Returns the fence marker (``` or ~~~ run) when the line opens or closes a fenced code block, else $null.
    param([string] $Line)
    if ($Line -match '^\s{0,3}(`{3,}|~{3,})') { return $Matches[1] }
    return $null
}

function Get-MarkdownOutline {
    <#
        Splits body lines into: Title (first H1), sections (H2) and their subsections (H3). Headings inside
        fenced code blocks are content. H4 and deeper stay content of the enclosing (sub)section.
        Each section/subsection carries its content lines and the 1-based file line of its heading.
    #>
    param(
        [Parameter(Mandatory)] [AllowEmptyString()] [string[]] $Lines,
        [int] $LineOffset = 0
    )
    $outline = [pscustomobject] @{
        Title     = $null
        TitleLine = 0
        Sections  = [System.Collections.Generic.List[object]]::new()
    }
    $section = $null
    $sub = $null
    $fence = $null
    for ($i = 0; $i -lt $Lines.Count; $i++) {
        $line = $Lines[$i]
        $lineNo = $i + 1 + $LineOffset
        $marker = Test-FenceLine $line
        if ($null -ne $fence) {
            if ($null -ne $marker -and $marker[0] -eq $fence[0] -and $marker.Length -ge $fence.Length -and
                $line.Trim() -eq $marker) { $fence = $null }
        }
        elseif ($null -ne $marker) {
            $fence = $marker
        }
        elseif ($line -match '^\s{0,3}(#{1,3})\s+(.*?)(?:\s+#+)?\s*$') {
            $level = $Matches[1].Length
            $text = $Matches[2].Trim()
            if ($level -eq 1 -and $null -eq $outline.Title) {
                $outline.Title = $text; $outline.TitleLine = $lineNo; $section = $null; $sub = $null
                continue
            }
            if ($level -le 2) {
                $section = [pscustomobject] @{
                    Name = $text.ToUpperInvariant(); Line = $lineNo
                    Lines = [System.Collections.Generic.List[string]]::new()
                    Subsections = [System.Collections.Generic.List[object]]::new()
                }
                $outline.Sections.Add($section)
                $sub = $null
                continue
            }
            if ($null -ne $section) {
                $sub = [pscustomobject] @{
                    Title = $text; Line = $lineNo; Lines = [System.Collections.Generic.List[string]]::new()
                }
                $section.Subsections.Add($sub)
                continue
            }
        }
        if ($null -ne $sub) { $sub.Lines.Add($line) }
        elseif ($null -ne $section) { $section.Lines.Add($line) }
    }
    return $outline
}

function ConvertTo-MarkdownBlock {
    <#
        Turns content lines into blocks:
          Para  - a paragraph; soft line breaks become spaces, a hard break (two trailing spaces or '\')
                  stays a newline
          List  - consecutive bullet/numbered items (Items: text per item, Markers: '-' or '1.' ...)
          Code  - a fenced code block (Language, Text with original line breaks)
        HTML comments on their own lines are dropped.
    #>
    param([AllowEmptyCollection()] [AllowEmptyString()] [string[]] $Lines = @())
    $blocks = [System.Collections.Generic.List[object]]::new()
    $para = $null      # List[string] of the current paragraph's lines
    $list = $null      # current List block
    $inComment = $false

    $flush = {
        if ($null -ne $para) {
            $sb = [System.Text.StringBuilder]::new()
            foreach ($l in $para) {
                $hard = $l -match '(  |\\)$'
                $t = $l.Trim()
                if ($t.EndsWith('\')) { $t = $t.Substring(0, $t.Length - 1).TrimEnd() }
                [void] $sb.Append($t)
                [void] $sb.Append($(if ($hard) { "`n" } else { ' ' }))
            }
            $blocks.Add([pscustomobject] @{ Kind = 'Para'; Text = $sb.ToString().Trim(); Language = $null; Items = $null; Markers = $null })
            $para = $null
        }
        if ($null -ne $list) {
            $blocks.Add($list)
            $list = $null
        }
    }

    for ($i = 0; $i -lt $Lines.Count; $i++) {
        $line = $Lines[$i]
        if ($inComment) { if ($line -match '-->') { $inComment = $false }; continue }
        if ($line -match '^\s*<!--') {
            if ($line -notmatch '-->') { $inComment = $true }
            continue
        }
        $marker = Test-FenceLine $line
        if ($null -ne $marker) {
            . $flush
            $lang = $line.Trim().Substring($marker.Length).Trim()
            $indent = $line.Length - $line.TrimStart().Length
            $code = [System.Collections.Generic.List[string]]::new()
            for ($i++; $i -lt $Lines.Count; $i++) {
                $m = Test-FenceLine $Lines[$i]
                if ($null -ne $m -and $m[0] -eq $marker[0] -and $m.Length -ge $marker.Length -and $Lines[$i].Trim() -eq $m) { break }
                # Drop the fence's own indentation from the content, as CommonMark does.
                $c = $Lines[$i]
                $lead = $c.Length - $c.TrimStart().Length
                $code.Add($c.Substring([Math]::Min($indent, $lead)))
            }
            $blocks.Add([pscustomobject] @{ Kind = 'Code'; Text = ($code -join "`n"); Language = $lang; Items = $null; Markers = $null })
            continue
        }
        if ($line.Trim().Length -eq 0) { . $flush; continue }
        if ($line -match '^\s{0,3}([-*+]|\d{1,3}[.)])\s+(.*)$') {
            $itemMarker = $Matches[1]; $itemText = $Matches[2].Trim()
            if ($null -ne $para) { . $flush }
            if ($null -eq $list) {
                $list = [pscustomobject] @{
                    Kind = 'List'; Text = $null; Language = $null
                    Items = [System.Collections.Generic.List[string]]::new()
                    Markers = [System.Collections.Generic.List[string]]::new()
                }
            }
            $list.Items.Add($itemText)
            $list.Markers.Add($(if ($itemMarker -match '^\d') { $itemMarker } else { '-' }))
            continue
        }
        if ($null -ne $list) {
            # A continuation line of the last list item.
            $last = $list.Items.Count - 1
            $list.Items[$last] = ($list.Items[$last] + ' ' + $line.Trim())
            continue
        }
        if ($null -eq $para) { $para = [System.Collections.Generic.List[string]]::new() }
        $para.Add($line)
    }
    . $flush
    $blocks   # enumerated: callers collect with @()
}

function ConvertFrom-InlineMarkdown {
    <#
        Makes inline markdown read well as plain text: [text](http://x) -> "text (http://x)", relative links
        -> "text", **bold**/__bold__ -> bold, backslash escapes dropped. `code` spans are kept as they are.
    #>
    param([AllowEmptyString()] [AllowNull()] [string] $Text)
    if ([string]::IsNullOrEmpty($Text)) { return '' }
    $t = [regex]::Replace($Text, '!?\[([^\]]*)\]\(([^)\s]*)(?:\s+"[^"]*")?\)', {
            param($m)
            $label = $m.Groups[1].Value; $uri = $m.Groups[2].Value
            if ($uri -match '^[a-z]+://' -and $uri -ne $label) { "$label ($uri)" } else { $label }
        })
    $t = [regex]::Replace($t, '<(https?://[^>\s]+)>', '$1')
    $t = [regex]::Replace($t, '(\*\*|__)(?=\S)(.+?)(?<=\S)\1', '$2')
    $t = [regex]::Replace($t, '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1')
    return $t
}

function Get-BlockText {
    # Plain text of blocks (for emptiness checks and for single-line values such as a type name).
    param([AllowEmptyCollection()] [object[]] $Blocks = @())
    $parts = foreach ($b in $Blocks) {
        switch ($b.Kind) {
            'Para' { $b.Text }
            'List' { $b.Items -join "`n" }
            'Code' { $b.Text }
        }
    }
    return (@($parts) -join "`n`n").Trim()
}

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

#endregion

#region MAML writing (private)

function Write-MamlElement {
    # <prefix:name>text</prefix:name>; XmlWriter does the escaping.
    param($Writer, [string] $Prefix, [string] $LocalName, [string] $Ns, [AllowEmptyString()] [AllowNull()] [string] $Text)
    $Writer.WriteStartElement($Prefix, $LocalName, $Ns)
    if (-not [string]::IsNullOrEmpty($Text)) { $Writer.WriteString($Text) }
    $Writer.WriteEndElement()
}

function Write-MamlPara {
    # Blocks as <maml:para> elements. A paragraph is one para (Get-Help wraps it). A list is one para with one
    # line per item, each starting with its marker ("- x", "1. x"): Get-Help keeps line breaks inside a para,
    # and separate paras would put a blank line between items. A code block is one para keeping its line breaks.
    # (<maml:list> also renders, as "* x", but Get-Help leaves no blank line after it.)
    param($Writer, [AllowEmptyCollection()] [object[]] $Blocks = @())
    foreach ($b in $Blocks) {
        switch ($b.Kind) {
            'Para' { Write-MamlElement $Writer 'maml' 'para' $script:MamlNs (ConvertFrom-InlineMarkdown $b.Text) }
            'List' {
                $itemLines = for ($i = 0; $i -lt $b.Items.Count; $i++) { '{0} {1}' -f $b.Markers[$i], (ConvertFrom-InlineMarkdown $b.Items[$i]) }
                Write-MamlElement $Writer 'maml' 'para' $script:MamlNs ($itemLines -join "`n")
            }
            'Code' { Write-MamlElement $Writer 'maml' 'para' $script:MamlNs $b.Text }
        }
    }
}

function Write-MamlDescription {
    # <maml:description> with paragraphs (an empty element when there is no text).
    param($Writer, [AllowEmptyCollection()] [object[]] $Blocks = @())
    $Writer.WriteStartElement('maml', 'description', $script:MamlNs)
    Write-MamlPara $Writer $Blocks
    $Writer.WriteEndElement()
}

function Test-SwitchTypeName {
    param([AllowNull()] [string] $TypeName)
    return ($TypeName -in 'switch', 'SwitchParameter', 'System.Management.Automation.SwitchParameter')
}

function Write-MamlParameter {
    <#
        One <command:parameter>. In a syntax item a switch has no <command:parameterValue> (so Get-Help shows
        "[-Force]", not "[-Force <SwitchParameter>]") and accepted values are given as a parameterValueGroup
        (shown as "{a | b}").
    #>
    param($Writer, $Parameter, $Meta, [switch] $InSyntax)
    $typeName = if ($Meta.Type) { $Meta.Type } else { 'Object' }
    if (Test-SwitchTypeName $typeName) { $typeName = 'SwitchParameter' }
    $isSwitch = $typeName -eq 'SwitchParameter'
    $pipeline = @()
    if ($Meta.ByValue) { $pipeline += 'ByValue' }
    if ($Meta.ByPropertyName) { $pipeline += 'ByPropertyName' }
    $pipelineText = if ($pipeline.Count) { 'True ({0})' -f ($pipeline -join ', ') } else { 'False' }

    $Writer.WriteStartElement('command', 'parameter', $script:CommandNs)
    $Writer.WriteAttributeString('required', $Meta.Required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', $typeName.EndsWith('[]').ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', $Meta.Globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $pipelineText)
    $Writer.WriteAttributeString('position', $Meta.Position)
    $Writer.WriteAttributeString('aliases', $(if ($Meta.Aliases.Count) { $Meta.Aliases -join ', ' } else { 'none' }))

    Write-MamlElement $Writer 'maml' 'name' $script:MamlNs $Parameter.Name
    Write-MamlDescription $Writer $Parameter.Description
    if ($InSyntax -and $Meta.AcceptedValues.Count -gt 0) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $script:CommandNs)
        foreach ($v in $Meta.AcceptedValues) {
            $Writer.WriteStartElement('command', 'parameterValue', $script:CommandNs)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('variableLength', 'false')
            $Writer.WriteString($v)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    if (-not ($InSyntax -and $isSwitch)) {
        $Writer.WriteStartElement('command', 'parameterValue', $script:CommandNs)
        $Writer.WriteAttributeString('required', $(if ($isSwitch) { 'false' } else { 'true' }))
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($typeName)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $script:DevNs)
    Write-MamlElement $Writer 'maml' 'name' $script:MamlNs $typeName
    Write-MamlElement $Writer 'maml' 'uri' $script:MamlNs ''
    $Writer.WriteEndElement()
    Write-MamlElement $Writer 'dev' 'defaultValue' $script:DevNs $Meta.DefaultValue
    $Writer.WriteEndElement()
}

function Get-SyntaxOrder {
    # Display order inside one syntax item, as Get-Command -Syntax does it: positional parameters by position,
    # then mandatory named ones, then optional named ones, WhatIf/Confirm last. Within a group, the order of the
    # set's SYNTAX block (pasted from Get-Command, so declaration order), else page order.
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Entries,
        [AllowNull()] [AllowEmptyString()] [string] $SyntaxText
    )
    $index = 0
    $Entries | ForEach-Object {
        $order = $index++ + 100000
        if ($SyntaxText) {
            $m = [regex]::Match($SyntaxText, '(?<![\w-])-' + [regex]::Escape($_.Parameter.Name) + '\b')
            if ($m.Success) { $order = $m.Index }
        }
        $_ | Add-Member -NotePropertyName Order -NotePropertyValue $order -PassThru
    } |
        Sort-Object -Property @(
            @{ Expression = { if ($_.Parameter.Name -eq 'WhatIf') { 3 } elseif ($_.Parameter.Name -eq 'Confirm') { 4 } elseif ($_.Meta.Position -ne 'named') { 0 } elseif ($_.Meta.Required) { 1 } else { 2 } } },
            @{ Expression = { if ($_.Meta.Position -ne 'named') { [int] $_.Meta.Position } else { 0 } } },
            @{ Expression = { $_.Order } })
}

function Write-MamlCommand {
    param($Writer, $Page)
    $w = $Writer
    $w.WriteStartElement('command', 'command', $script:CommandNs)
    $w.WriteAttributeString('xmlns', 'maml', $script:XmlnsNs, $script:MamlNs)
    $w.WriteAttributeString('xmlns', 'command', $script:XmlnsNs, $script:CommandNs)
    $w.WriteAttributeString('xmlns', 'dev', $script:XmlnsNs, $script:DevNs)

    # details: name, verb, noun, synopsis
    $verb, $noun = $Page.Name -split '-', 2
    $w.WriteStartElement('command', 'details', $script:CommandNs)
    Write-MamlElement $w 'command' 'name' $script:CommandNs $Page.Name
    Write-MamlElement $w 'command' 'verb' $script:CommandNs $verb
    Write-MamlElement $w 'command' 'noun' $script:CommandNs $noun
    Write-MamlDescription $w $Page.Synopsis
    $w.WriteEndElement()

    Write-MamlDescription $w $Page.Description

    # syntax: one item per parameter set; a parameter belongs to a set when one of its yaml blocks names the
    # set or (All).
    $w.WriteStartElement('command', 'syntax', $script:CommandNs)
    foreach ($setName in @(Get-PageParameterSetName $Page)) {
        $entries = @(foreach ($p in $Page.Parameters) {
                $meta = if (Test-AllSetsName $setName) {
                    # The page's only set: every parameter is in it; take its first block.
                    if ($p.Metas.Count) { $p.Metas[0] }
                }
                else { Get-PageParameterMeta -Parameter $p -SetName $setName }
                if ($null -ne $meta) { [pscustomobject] @{ Parameter = $p; Meta = $meta } }
            })
        $w.WriteStartElement('command', 'syntaxItem', $script:CommandNs)
        Write-MamlElement $w 'maml' 'name' $script:MamlNs $Page.Name
        if ($entries.Count) {
            $block = $Page.SyntaxSets | Where-Object Name -eq $setName | Select-Object -First 1
            $syntaxText = if ($block) { $block.Code } else { $null }
            foreach ($e in Get-SyntaxOrder -Entries $entries -SyntaxText $syntaxText) { Write-MamlParameter $w $e.Parameter $e.Meta -InSyntax }
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    # parameters: each once, with the facts of its first yaml block (Required only if required in every
    # block, so that a parameter mandatory in one set only does not read as always mandatory).
    $w.WriteStartElement('command', 'parameters', $script:CommandNs)
    foreach ($p in $Page.Parameters) {
        if ($p.Metas.Count -eq 0) { continue }
        $meta = $p.Metas[0]
        if ($p.Metas.Count -gt 1) {
            $meta = $meta.PSObject.Copy()
            $meta.Required = -not ($p.Metas | Where-Object { -not $_.Required })
        }
        Write-MamlParameter $w $p $meta
    }
    $w.WriteEndElement()

    foreach ($kind in 'input', 'output') {
        $items = if ($kind -eq 'input') { $Page.Inputs } else { $Page.Outputs }
        $w.WriteStartElement('command', $(if ($kind -eq 'input') { 'inputTypes' } else { 'returnValues' }), $script:CommandNs)
        foreach ($item in $items) {
            $w.WriteStartElement('command', $(if ($kind -eq 'input') { 'inputType' } else { 'returnValue' }), $script:CommandNs)
            $w.WriteStartElement('dev', 'type', $script:DevNs)
            Write-MamlElement $w 'maml' 'name' $script:MamlNs (ConvertFrom-InlineMarkdown $item.TypeName)
            $w.WriteEndElement()
            Write-MamlDescription $w $item.Description
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    # NOTES; left out when empty, so that Get-Help shows no empty NOTES heading.
    if (Get-BlockText $Page.Notes) {
        $w.WriteStartElement('maml', 'alertSet', $script:MamlNs)
        $w.WriteStartElement('maml', 'alert', $script:MamlNs)
        Write-MamlPara $w $Page.Notes
        $w.WriteEndElement()
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $script:CommandNs)
    foreach ($ex in $Page.Examples) {
        $w.WriteStartElement('command', 'example', $script:CommandNs)
        # Get-Help prints the title as it is; the dashes are what PowerShell's own help looks like.
        Write-MamlElement $w 'maml' 'title' $script:MamlNs ('-------------------------- {0} --------------------------' -f $ex.Title)
        Write-MamlElement $w 'dev' 'code' $script:DevNs $ex.Code
        $w.WriteStartElement('dev', 'remarks', $script:DevNs)
        Write-MamlPara $w $ex.Remarks
        # An empty last para: Get-Help then leaves a blank line before the next example's title.
        Write-MamlElement $w 'maml' 'para' $script:MamlNs ''
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $script:CommandNs)
    $links = @($Page.Links)
    $online = if ($Page.FrontMatter.Contains('online version')) { [string] $Page.FrontMatter['online version'] } else { '' }
    if ($online -match '^[a-z]+://') {
        # Get-Help -Online opens the first link with a URI; platyPS puts the page's online version first.
        $links = @([pscustomobject] @{ Text = 'Online Version:'; Uri = $online }) + $links
    }
    foreach ($link in $links) {
        $w.WriteStartElement('maml', 'navigationLink', $script:MamlNs)
        Write-MamlElement $w 'maml' 'linkText' $script:MamlNs $link.Text
        Write-MamlElement $w 'maml' 'uri' $script:MamlNs $link.Uri
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteEndElement()   # command:command
}

#endregion

#region Compiled metadata (private)

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

function Get-DocumentableParameter {
    # The parameters a page must document: all but the common ones and WhatIf/Confirm, in declaration order.
    param([Parameter(Mandatory)] $CommandInfo)
    foreach ($p in $CommandInfo.Parameters.Values) {
        if ($p.Name -in $script:CommonParameterNames -or $p.Name -in $script:ShouldProcessParameterNames) { continue }
        $p
    }
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

function Get-StubTypeName {
    # The Type a stub writes: the friendly name, with Nullable[T] shown as T (as Get-Help readers expect).
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

#endregion

#region Public functions

function ConvertTo-MamlHelp {
    <#
    .SYNOPSIS
        Converts the platyPS schema 2.0.0 cmdlet pages of a folder into one MAML help file.
    .DESCRIPTION
        Reads every <Verb>-<Noun>.md page in -Path and writes -OutputPath (for LvsTools:
        <module folder>/en-US/LvsTools.dll-Help.xml), the file Get-Help reads for a binary module's cmdlets.
        Syntax items are derived from the PARAMETERS section: a parameter belongs to a set when its yaml
        'Parameter Sets' names that set or (All), as platyPS does. The SYNTAX section gives the sets' order and
        names; its code blocks are used only to order parameters as Get-Command does.
        Content problems of a page (an unreadable yaml value, a set named only in yaml) are warnings; a page
        without a '# Name' title is an error.
    .EXAMPLE
        ConvertTo-MamlHelp -Path ./docs/en-US -OutputPath ./out/LvsTools/en-US/LvsTools.dll-Help.xml
    .OUTPUTS
        System.IO.FileInfo of the written file.
    #>
    [CmdletBinding()]
    [OutputType([System.IO.FileInfo])]
    param(
        # The docs folder (docs/en-US).
        [Parameter(Mandatory)] [string] $Path,
        # The MAML file to write (.../en-US/LvsTools.dll-Help.xml); its folder is created when missing.
        [Parameter(Mandatory)] [string] $OutputPath
    )
    $folder = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
        throw "ConvertTo-MamlHelp: '$Path' is not a folder."
    }
    $target = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputPath)

    $pages = foreach ($file in Get-CommandHelpPageFile -LiteralPath $folder) {
        $page = Import-CommandHelpPage -LiteralPath $file.FullName
        if ($page.Name -ne $file.BaseName) {
            Write-Warning "$($file.Name): title '# $($page.Name)' differs from the file name."
        }
        foreach ($p in $page.Problems) { Write-Warning "$($file.Name): $p" }
        $headed = @($page.SyntaxSets | ForEach-Object Name)
        foreach ($s in @(Get-PageParameterSetName $page)) {
            if ($headed.Count -and $s -notin $headed) {
                Write-Warning "$($file.Name): parameter set '$s' is named in PARAMETERS but has no '### $s' in SYNTAX."
            }
        }
        $page
    }
    $pages = @($pages)
    if ($pages.Count -eq 0) { Write-Warning "ConvertTo-MamlHelp: no <Verb>-<Noun>.md pages in '$folder'." }

    $dir = [System.IO.Path]::GetDirectoryName($target)
    if ($dir -and -not (Test-Path -LiteralPath $dir)) { [void] (New-Item -ItemType Directory -Path $dir -Force) }

    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.NewLineChars = "`n"
    $settings.NewLineHandling = [System.Xml.NewLineHandling]::Replace
    $writer = [System.Xml.XmlWriter]::Create($target, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', $script:MshNs)
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($page in $pages) { Write-MamlCommand -Writer $writer -Page $page }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally {
        $writer.Dispose()
    }
    Get-Item -LiteralPath $target
}

function ConvertTo-AboutHelp {
    <#
    .SYNOPSIS
        Converts an about_*.md page into the plain-text about_*.help.txt that Get-Help reads.
    .DESCRIPTION
        Strips the front matter; the first '# about_X' becomes "TOPIC" followed by the indented topic name (a
        '## about_X' repeating it right after is dropped); other headings become upper-case lines at the left
        margin (level 3 and deeper indented by 4); text is indented by 4 and code by 8. Nothing is wrapped;
        inline links keep their text. Written as UTF-8 without BOM.
    .EXAMPLE
        ConvertTo-AboutHelp -Path ./docs/en-US/about_LvsTools.md -OutputPath ./out/LvsTools/en-US/about_LvsTools.help.txt
    #>
    [CmdletBinding()]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $OutputPath
    )
    $source = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    $target = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputPath)
    $body = (Split-FrontMatter -Lines (Read-TextLines -LiteralPath $source)).Body

    $out = [System.Collections.Generic.List[string]]::new()
    $addBlank = { if ($out.Count -gt 0 -and $out[$out.Count - 1] -ne '') { $out.Add('') } }
    $topic = $null
    $fence = $null
    $lastWasTopic = $false
    $inComment = $false
    foreach ($line in $body) {
        if ($inComment) { if ($line -match '-->') { $inComment = $false }; continue }
        $marker = Test-FenceLine $line
        if ($null -ne $fence) {
            if ($null -ne $marker -and $marker[0] -eq $fence[0] -and $line.Trim() -eq $marker) { $fence = $null; continue }
            $out.Add(('        ' + $line).TrimEnd())
            continue
        }
        if ($null -ne $marker) { $fence = $marker; continue }
        if ($line -match '^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$') {
            $level = $Matches[1].Length; $text = ConvertFrom-InlineMarkdown $Matches[2]
            if ($null -eq $topic -and $level -eq 1) {
                $topic = $text
                & $addBlank
                $out.Add('TOPIC'); $out.Add('    ' + $text)
                $lastWasTopic = $true
                continue
            }
            if ($lastWasTopic -and $text -eq $topic) { $lastWasTopic = $false; continue }
            $lastWasTopic = $false
            & $addBlank
            if ($level -le 2) { $out.Add($text.ToUpperInvariant()) } else { $out.Add('    ' + $text.ToUpperInvariant()) }
            continue
        }
        if ($line.Trim().Length -eq 0) { & $addBlank; continue }
        if ($line -match '^\s*<!--') { $inComment = $line -notmatch '-->'; continue }
        if ($lastWasTopic) { & $addBlank; $lastWasTopic = $false }
        $out.Add('    ' + (ConvertFrom-InlineMarkdown $line.TrimEnd()))
    }
    while ($out.Count -gt 0 -and $out[0] -eq '') { $out.RemoveAt(0) }
    while ($out.Count -gt 0 -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }

    $dir = [System.IO.Path]::GetDirectoryName($target)
    if ($dir -and -not (Test-Path -LiteralPath $dir)) { [void] (New-Item -ItemType Directory -Path $dir -Force) }
    [System.IO.File]::WriteAllText($target, (($out -join "`n") + "`n"), [System.Text.UTF8Encoding]::new($false))
    Get-Item -LiteralPath $target
}

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
                    & $problem $name "$label is documented as Type '$docType' but is $(Get-StubTypeName $pm.ParameterType) ($($pm.ParameterType.FullName))"
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

function New-MarkdownHelpStub {
    <#
    .SYNOPSIS
        Writes a platyPS schema 2.0.0 page skeleton for one command from its compiled metadata.
    .DESCRIPTION
        SYNTAX is rendered per parameter set as Get-Command -Syntax shows it; each PARAMETERS yaml block is
        filled from the metadata (a parameter whose facts differ between sets gets one block per group of
        sets). Prose is left as '{{ Fill ... }}' markers, which Test-HelpCoverage reports until a writer
        replaces them. An existing page is not overwritten unless -Force is given.
    .EXAMPLE
        New-MarkdownHelpStub -ModuleManifest ./out/LvsTools/LvsTools.psd1 -Path ./docs/en-US -Command Get-LvsService
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $ModuleManifest,
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Command,
        [switch] $Force
    )
    $folder = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    $manifest = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($ModuleManifest)
    $imported = Import-ModuleUnderTest -ModuleManifest $manifest
    if (-not $imported.Commands.ContainsKey($Command)) {
        throw "New-MarkdownHelpStub: '$Command' is not exported by $($imported.Module.Name)."
    }
    $cmd = $imported.Commands[$Command]
    $target = Join-Path $folder "$($cmd.Name).md"
    if ((Test-Path -LiteralPath $target) -and -not $Force) {
        throw "New-MarkdownHelpStub: '$target' exists; use -Force to overwrite it."
    }

    $helpFile = if ($cmd -is [System.Management.Automation.CmdletInfo]) { [System.IO.Path]::GetFileName($cmd.ImplementingType.Assembly.Location) + '-Help.xml' }
    else { "$($imported.Module.Name)-help.xml" }
    $fence = '```'
    $sb = [System.Text.StringBuilder]::new()
    $add = { param([string] $Line = '') [void] $sb.Append($Line).Append("`n") }

    & $add '---'
    & $add "external help file: $helpFile"
    & $add "Module Name: $($imported.Module.Name)"
    & $add 'online version:'
    & $add 'schema: 2.0.0'
    & $add '---'
    & $add
    & $add "# $($cmd.Name)"
    & $add
    & $add '## SYNOPSIS'
    & $add '{{ Fill in the Synopsis }}'
    & $add
    & $add '## SYNTAX'
    foreach ($set in $cmd.ParameterSets) {
        & $add
        & $add ('### {0}{1}' -f $set.Name, $(if ($set.IsDefault -and $cmd.ParameterSets.Count -gt 1) { ' (Default)' } else { '' }))
        & $add $fence
        & $add "$($cmd.Name) $($set.ToString())"
        & $add $fence
    }
    & $add
    & $add '## DESCRIPTION'
    & $add '{{ Fill in the Description }}'
    & $add
    & $add '## EXAMPLES'
    & $add
    & $add '### Example 1: {{ Add example title }}'
    & $add "${fence}powershell"
    & $add '{{ Add example code here }}'
    & $add $fence
    & $add
    & $add '{{ Add example description here }}'
    & $add
    & $add '## PARAMETERS'

    $params = @(Get-DocumentableParameter $cmd | Sort-Object Name)
    if ($cmd.Parameters.ContainsKey('WhatIf')) { $params += $cmd.Parameters['Confirm'], $cmd.Parameters['WhatIf'] }
    foreach ($pm in $params) {
        & $add
        & $add "### -$($pm.Name)"
        switch ($pm.Name) {
            'WhatIf' { & $add 'Shows what would happen if the cmdlet runs. The cmdlet is not run.' }
            'Confirm' { & $add 'Prompts you for confirmation before running the cmdlet.' }
            default { & $add "{{ Fill $($pm.Name) Description }}" }
        }
        # Group the sets by identical facts: one yaml block per group.
        $groups = [ordered]@{}
        foreach ($key in $pm.ParameterSets.Keys) {
            $m = $pm.ParameterSets[$key]
            $sig = '{0}|{1}|{2}|{3}' -f $m.IsMandatory, $m.Position, $m.ValueFromPipeline, $m.ValueFromPipelineByPropertyName
            if (-not $groups.Contains($sig)) { $groups[$sig] = [pscustomobject] @{ Meta = $m; Sets = [System.Collections.Generic.List[string]]::new() } }
            $groups[$sig].Sets.Add($key)
        }
        $accepted = @(Get-AcceptedValue $pm)
        $globbing = [bool] @($pm.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
        $isSwitch = $pm.ParameterType -eq [System.Management.Automation.SwitchParameter]
        $ordered = @($groups.Values | Sort-Object { if ($_.Sets -contains $script:AllSetsName) { 1 } else { 0 } })
        foreach ($g in $ordered) {
            $m = $g.Meta
            $sets = if ($g.Sets -contains $script:AllSetsName -and $g.Sets.Count -eq 1 -and $groups.Count -eq 1) { $script:AllSetsLabel }
            else { ($g.Sets | ForEach-Object { if ($_ -eq $script:AllSetsName) { $script:AllSetsLabel } else { $_ } }) -join ', ' }
            & $add
            & $add "${fence}yaml"
            & $add "Type: $(Get-StubTypeName $pm.ParameterType)"
            & $add "Parameter Sets: $sets"
            & $add ('Aliases:' + $(if ($pm.Aliases.Count) { ' ' + ($pm.Aliases -join ', ') } else { '' }))
            if ($accepted.Count) { & $add "Accepted values: $($accepted -join ', ')" }
            & $add
            & $add "Required: $($m.IsMandatory)"
            & $add "Position: $(Format-Position $m.Position)"
            & $add "Default value: $(if ($isSwitch) { 'False' } else { 'None' })"
            & $add "Accept pipeline input: $(Format-Pipeline $m.ValueFromPipeline $m.ValueFromPipelineByPropertyName)"
            & $add "Accept wildcard characters: $globbing"
            & $add $fence
        }
    }
    & $add
    & $add '### CommonParameters'
    & $add ('This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, ' +
        '-InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction, ' +
        'and -WarningVariable. For more information, see ' +
        '[about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).')
    & $add
    & $add '## INPUTS'
    $inputTypes = @($cmd.Parameters.Values | Where-Object { $_.Name -notin $script:CommonParameterNames } |
            Where-Object { @($_.ParameterSets.Values | Where-Object ValueFromPipeline).Count } |
            ForEach-Object { Get-StubTypeName $_.ParameterType } | Select-Object -Unique)
    if (-not $inputTypes) { $inputTypes = @('None') }
    foreach ($t in $inputTypes) {
        & $add
        & $add "### $t"
        if ($t -ne 'None') { & $add "{{ Fill what $t input is used for }}" }
    }
    & $add
    & $add '## OUTPUTS'
    $outputTypes = @($cmd.OutputType | ForEach-Object { if ($_.Type) { Get-StubTypeName $_.Type } else { $_.Name } } | Select-Object -Unique)
    if (-not $outputTypes) { $outputTypes = @('{{ Fill output type }}') }
    foreach ($t in $outputTypes) {
        & $add
        & $add "### $t"
        & $add "{{ Fill what is output }}"
    }
    & $add
    & $add '## NOTES'
    & $add
    & $add '## RELATED LINKS'
    & $add
    & $add "[about_$($imported.Module.Name)](about_$($imported.Module.Name).md)"

    if ($PSCmdlet.ShouldProcess($target, 'Write help page stub')) {
        if (-not (Test-Path -LiteralPath $folder)) { [void] (New-Item -ItemType Directory -Path $folder -Force) }
        [System.IO.File]::WriteAllText($target, $sb.ToString(), [System.Text.UTF8Encoding]::new($false))
        Get-Item -LiteralPath $target
    }
}

#endregion

Export-ModuleMember -Function ConvertTo-MamlHelp, ConvertTo-AboutHelp, Test-HelpCoverage, New-MarkdownHelpStub
