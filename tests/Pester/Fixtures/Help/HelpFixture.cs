// The fixture cmdlet whose page is Get-HelpFixture.md: two parameter sets, a positional array bound by property
// name, a mandatory int bound by value, a ValidateSet and a switch. HelpBuilder.Tests.ps1 compiles it.
using System.Management.Automation;

namespace HelpFixture
{
    [Cmdlet(VerbsCommon.Get, "HelpFixture", DefaultParameterSetName = "ByName")]
    [OutputType(typeof(string))]
    public sealed class GetHelpFixtureCommand : PSCmdlet
    {
        [Parameter(ParameterSetName = "ByName", Position = 0, ValueFromPipelineByPropertyName = true)]
        public string[] Name { get; set; }

        [Parameter(ParameterSetName = "ById", Mandatory = true, ValueFromPipeline = true)]
        public int Id { get; set; }

        [Parameter]
        [ValidateSet("Fast", "Slow")]
        public string Mode { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord() => WriteObject(ParameterSetName == "ById" ? Id.ToString() : string.Join(",", Name ?? new string[0]));
    }
}
