# Markdown reading: the subset platyPS writes (ATX headings, paragraphs, bullet and numbered lists, fenced code,
# inline links), as an outline of sections and a list of blocks. Knows nothing of cmdlet pages; anything else
# passes through as text. Dot-sourced by HelpBuilder.psm1.

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
