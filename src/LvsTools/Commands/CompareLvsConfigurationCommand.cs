using System.Management.Automation;
using LvsTools.Core.Config;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Compares a configuration document with the kernel, like Compare-Object: one object per difference (Missing: in the
/// document only; Extra: in the kernel only; Different: a setting with the document's and the kernel's value), nothing
/// when they match. The drift is Sync-LvsConfiguration's plan read as differences, so the two never disagree.
/// </summary>
[Cmdlet(VerbsData.Compare, "LvsConfiguration", DefaultParameterSetName = "Path")]
[OutputType(typeof(LvsConfigurationDifference))]
public sealed class CompareLvsConfigurationCommand : DriftCommandBase
{
    protected override void Report(List<LvsConfigurationDifference> drift) => WriteObject(drift, enumerateCollection: true);
}
