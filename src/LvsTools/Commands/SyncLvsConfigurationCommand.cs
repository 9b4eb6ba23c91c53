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

    /// <summary>With -Drain: the longest wait for a server's connections when its service has no drainTimeout (a number is seconds).</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>With -Drain: how often the connection counts are read (a number is seconds).</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>With -Drain: wait for the connections of UDP services' servers too.</summary>
    [Parameter]
    public SwitchParameter WaitForUdp { get; set; }

    protected override bool Prune => true;

    protected override string Activity => "Sync-LvsConfiguration";

    protected override DrainOptions? DrainRemovals => Drain ? new DrainOptions(DrainTimeout, PollInterval, WaitForUdp) : null;

    protected override void Begin() => DrainParameters.Check(this, Drain, DrainTimeout, PollInterval);
}
