# tools/HelpBuilder against a fixture: one compiled cmdlet (Fixtures/Help/HelpFixture.cs) and its page. The correct
# page converts to MAML that Get-Help reads and passes the check; each broken copy of it fails the check, naming
# the parameter, as the build does. No kernel needed.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'tools/HelpBuilder/HelpBuilder.psd1') -Force
    $script:fixtures = Join-Path $PSScriptRoot 'Fixtures/Help'

    # The fixture module as the build lays out LvsTools: <dll>, <psd1>, en-US/<dll>-Help.xml.
    $script:moduleDir = Join-Path $TestDrive 'HelpFixture'
    New-Item -ItemType Directory -Path (Join-Path $moduleDir 'en-US') -Force | Out-Null
    Add-Type -Path (Join-Path $fixtures 'HelpFixture.cs') -OutputAssembly (Join-Path $moduleDir 'HelpFixture.dll') -OutputType Library
    $script:manifest = Join-Path $moduleDir 'HelpFixture.psd1'
    New-ModuleManifest -Path $manifest -RootModule 'HelpFixture.dll' -ModuleVersion '1.0.0' -CmdletsToExport 'Get-HelpFixture' `
        -FunctionsToExport @() -VariablesToExport @() -AliasesToExport @()

    $script:maml = Join-Path $moduleDir 'en-US/HelpFixture.dll-Help.xml'
    ConvertTo-MamlHelp -Path $fixtures -OutputPath $maml | Out-Null

    # A copy of the fixture pages with the cmdlet page edited; fails when the edit changes nothing, so that a
    # case cannot pass by testing the correct page.
    function script:New-BrokenDocs([string] $Case, [string] $Pattern, [string] $Replacement) {
        $dir = Join-Path $TestDrive "docs-$Case"
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        Copy-Item (Join-Path $fixtures '*.md') $dir
        $page = Join-Path $dir 'Get-HelpFixture.md'
        $text = Get-Content -LiteralPath $page -Raw
        $broken = [regex]::Replace($text, $Pattern, $Replacement)
        if ($broken -eq $text) { throw "The edit '$Pattern' does not match Get-HelpFixture.md." }
        Set-Content -LiteralPath $page -Value $broken -NoNewline
        $dir
    }
}

Describe 'ConvertTo-MamlHelp' {
    It 'writes one command with both parameter sets and the page''s facts' {
        [xml] $xml = Get-Content -LiteralPath $maml -Raw
        $ns = [System.Xml.XmlNamespaceManager]::new($xml.NameTable)
        $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $commands = $xml.SelectNodes('//command:command', $ns)
        $commands.Count | Should -Be 1
        $commands[0].SelectSingleNode('command:details/command:name', $ns).InnerText | Should -Be 'Get-HelpFixture'
        $commands[0].SelectNodes('command:syntax/command:syntaxItem', $ns).Count | Should -Be 2
        $id = $commands[0].SelectSingleNode("command:parameters/command:parameter[maml:name='Id']", $ns)
        $id.required | Should -Be 'true'
        $id.pipelineInput | Should -Be 'True (ByValue)'
        $name = $commands[0].SelectSingleNode("command:parameters/command:parameter[maml:name='Name']", $ns)
        $name.position | Should -Be '0'
        $name.variableLength | Should -Be 'true'
    }

    It 'is read by Get-Help for the compiled cmdlet' {
        Import-Module $manifest -Force
        try {
            $help = Get-Help Get-HelpFixture -Full
            $help.Synopsis | Should -Be 'Gets fixture items by name or by id.'
            ($help.parameters.parameter | Where-Object name -eq 'Mode').description.Text | Should -Be 'How to get the items.'
            @($help.syntax.syntaxItem).Count | Should -Be 2
            $help.examples.example[0].code | Should -Be '7 | Get-HelpFixture'
        }
        finally { Remove-Module HelpFixture -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'ConvertTo-AboutHelp' {
    It 'writes the topic as Get-Help prints it' {
        $target = Join-Path $moduleDir 'en-US/about_HelpFixture.help.txt'
        ConvertTo-AboutHelp -Path (Join-Path $fixtures 'about_HelpFixture.md') -OutputPath $target | Out-Null
        $lines = Get-Content -LiteralPath $target
        $lines[0..1] | Should -Be @('TOPIC', '    about_HelpFixture')
        $lines | Should -Contain 'SHORT DESCRIPTION'
        $lines | Should -Contain '        Get-HelpFixture -Id 7'
    }
}

Describe 'Test-HelpCoverage' {
    It 'finds nothing wrong with the correct page' {
        @(Test-HelpCoverage -ModuleManifest $manifest -Path $fixtures) | Should -HaveCount 0
    }

    It 'fails a page that <Case>' -ForEach @(
        @{ Case = 'has no section for a parameter'; Pattern = '(?s)### -Mode\n.*?(?=### -Name)'; Replacement = ''
            Expected = "Parameter -Mode has no '### -Mode' section" }
        @{ Case = 'gives a parameter the wrong type'; Pattern = 'Type: Int32'; Replacement = 'Type: String'
            Expected = "Parameter -Id is documented as Type 'String' but is Int32 (System.Int32)" }
        @{ Case = 'puts a parameter in the wrong set'; Pattern = 'Parameter Sets: ById'; Replacement = 'Parameter Sets: ByName'
            Expected = "Parameter -Id is documented in Parameter Sets 'ByName' but is in 'ById'" }
        @{ Case = 'gets the pipeline binding wrong'; Pattern = 'Accept pipeline input: True \(ByValue\)'; Replacement = 'Accept pipeline input: True (ByPropertyName)'
            Expected = 'Parameter -Id is documented with Accept pipeline input: True (ByPropertyName) but the command has Accept pipeline input: True (ByValue) in set(s) ById' }
        @{ Case = 'gets a position wrong'; Pattern = 'Position: 0'; Replacement = 'Position: 1'
            Expected = 'Parameter -Name is documented with Position: 1 but the command has Position: 0 in set(s) ByName' }
        @{ Case = 'documents a parameter the cmdlet lacks'; Pattern = '### -Force'; Replacement = '### -Forced'
            Expected = 'Page documents -Forced, which the command does not have' }
    ) {
        $docs = New-BrokenDocs -Case ($Case -replace '\W', '-') -Pattern $Pattern -Replacement $Replacement
        $problems = @(Test-HelpCoverage -ModuleManifest $manifest -Path $docs)
        $problems.Problem | Should -Contain $Expected
        $problems.Command | Select-Object -Unique | Should -Be 'Get-HelpFixture'
    }

    It 'reports a cmdlet without a page' {
        $docs = Join-Path $TestDrive 'docs-no-page'
        New-Item -ItemType Directory -Path $docs -Force | Out-Null
        Copy-Item (Join-Path $fixtures 'about_HelpFixture.md') $docs
        @(Test-HelpCoverage -ModuleManifest $manifest -Path $docs).Problem | Should -Be 'No help page (Get-HelpFixture.md)'
    }
}
