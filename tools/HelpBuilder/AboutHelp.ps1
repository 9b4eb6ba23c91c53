# about_ topics: docs/en-US/about_*.md -> <module>/en-US/about_*.help.txt (plain text, as Get-Help reads it).
# Dot-sourced by HelpBuilder.psm1.

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
