using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Applies a configuration document: creates what is missing and changes what differs, deletes nothing. Writes go
/// out in bulk (many requests per sendmsg), each failure reported against the exact service or real server.
/// </summary>
[Cmdlet(VerbsData.Import, "LvsConfiguration", SupportsShouldProcess = true, DefaultParameterSetName = "Path")]
[OutputType(typeof(LvsApplyResult))]
public sealed class ImportLvsConfigurationCommand : ConfigurationCommandBase
{
    protected override bool Prune => false;

    protected override string Activity => "Import-LvsConfiguration";
}
