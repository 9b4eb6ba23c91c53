using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Whether the kernel matches a configuration document: $true when Compare-LvsConfiguration finds no difference,
/// $false otherwise (each difference a verbose line), for `if` and `exit`.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "LvsConfiguration", DefaultParameterSetName = "Path")]
[OutputType(typeof(bool))]
public sealed class TestLvsConfigurationCommand : DriftCommandBase
{
    protected override void Report(List<LvsConfigurationDifference> drift) => WriteObject(drift.Count == 0);
}
