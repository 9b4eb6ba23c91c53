using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Converges the kernel to a configuration document: one dump, a diff, and only the creates, edits and deletes
/// needed. A second run against the same document sends no writes. -WhatIf prints the plan. With -Drain, the real
/// servers the document removes are drained (weight 0, wait for their connections, delete) after the rest is applied.
/// </summary>
[Cmdlet(VerbsData.Sync, "LvsConfiguration", SupportsShouldProcess = true, DefaultParameterSetName = "Path", ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LvsApplyResult))]
public sealed class SyncLvsConfigurationCommand : ConfigurationCommandBase
{
    /// <summary>Drain the real servers the document removes instead of deleting them at once.</summary>
    [Parameter]
    public SwitchParameter Drain { get; set; }

    /// <summary>
    /// With -Drain: how long a removed server may keep its connections when its service in the document has no
    /// drainTimeout (a number is seconds). Servers of UDP services are deleted right after their weight 0.
    /// </summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(5);

    protected override bool Prune => true;

    protected override string Activity => "Sync-LvsConfiguration";

    protected override DrainOptions? DrainRemovals => Drain ? new DrainOptions(DrainTimeout, TimeSpan.FromSeconds(1), WaitForUdp: false) : null;

    protected override void Begin() => DrainParameters.Check(this, Drain, DrainTimeout, TimeSpan.FromSeconds(1));
}
