using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Converges the kernel to a configuration document: one dump, a diff, and only the creates, edits and deletes
/// needed. A second run against the same document sends no writes. -WhatIf prints the plan.
/// </summary>
[Cmdlet(VerbsData.Sync, "LvsConfiguration", SupportsShouldProcess = true, DefaultParameterSetName = "Path", ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LvsApplyResult))]
public sealed class SyncLvsConfigurationCommand : ConfigurationCommandBase
{
    protected override bool Prune => true;

    protected override string Activity => "Sync-LvsConfiguration";
}
