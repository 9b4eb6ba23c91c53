# MAML writing: cmdlet pages -> <module>/en-US/<assembly>-Help.xml, the file Get-Help reads for a binary
# module's cmdlets. Dot-sourced by HelpBuilder.psm1.

Set-Variable -Scope Script -Option ReadOnly -Name MamlNs -Value 'http://schemas.microsoft.com/maml/2004/10'
Set-Variable -Scope Script -Option ReadOnly -Name CommandNs -Value 'http://schemas.microsoft.com/maml/dev/command/2004/10'
Set-Variable -Scope Script -Option ReadOnly -Name DevNs -Value 'http://schemas.microsoft.com/maml/dev/2004/10'
Set-Variable -Scope Script -Option ReadOnly -Name MshNs -Value 'http://msh'
Set-Variable -Scope Script -Option ReadOnly -Name XmlnsNs -Value 'http://www.w3.org/2000/xmlns/'

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
