using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Whether the kernel matches a configuration document: $true when Compare-LvsConfiguration finds no difference,
/// $false otherwise (each difference a verbose line), for `if` and `exit`. With several namespaces, one answer per
/// document: $true when every namespace matches it.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "LvsConfiguration", DefaultParameterSetName = "Path")]
[OutputType(typeof(bool))]
public sealed class TestLvsConfigurationCommand : DriftCommandBase
{
    private bool _matches = true;

    protected override void Report(List<LvsConfigurationDifference> drift) => _matches &= drift.Count == 0;

    protected override void ProcessedInEveryNamespace()
    {
        WriteObject(_matches);
        _matches = true;
    }
}
