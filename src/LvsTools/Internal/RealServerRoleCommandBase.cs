using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Role;

namespace LvsTools.Internal;

/// <summary>
/// Base of Enable-, Disable- and Get-LvsRealServerRole: the role's kernel host and state store of the current namespace,
/// and ShouldProcess with the reason (so that -WhatIf, which changes nothing, writes no result either).
/// </summary>
public abstract class RealServerRoleCommandBase : LvsCommandBase
{
    protected override string ErrorSubject => "RealServerRole";

    protected RealServerRoleHost RoleHost() => new(Route, Sysctl);

    protected static RealServerRoleStateStore States => new(RealServerRoleStateStore.DefaultDirectory);

    private bool _whatIfAnswered;

    /// <summary>True under -WhatIf (or $WhatIfPreference): nothing is changed, recorded or written out.</summary>
    protected bool WhatIfSeen => _whatIfAnswered
        || (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && LanguagePrimitives.IsTrue(w))
        || LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    /// <summary>ShouldProcess(target, action), worded as PowerShell words it, remembering whether -WhatIf answered.</summary>
    protected bool ShouldTake(string target, string action)
    {
        string text = $"Performing the operation \"{action}\" on target \"{target}\".";
        bool go = ShouldProcess(text, text, "Confirm", out var reason);
        if (reason == ShouldProcessReason.WhatIf)
            _whatIfAnswered = true;
        return go;
    }

    /// <summary>
    /// Takes the steps in order: those already so are skipped, each other one goes through ShouldProcess with its
    /// command-line twin, then <paramref name="take"/> runs it and <paramref name="done"/> records it (at once, so that a
    /// failure later leaves the record true).
    /// </summary>
    protected StepOutcome TakeSteps(IEnumerable<RealServerRoleStep> steps, Func<RealServerRoleStep, RealServerRoleStep> take, Action<RealServerRoleStep> done)
    {
        var outcome = new StepOutcome();
        foreach (var step in steps)
        {
            if (step.AlreadySet)
                outcome.Unchanged.Add(step);
            else if (ShouldTake(step.Target + Where, step.Command))
            {
                var taken = take(step);
                (taken.AlreadySet ? outcome.Unchanged : outcome.Changed).Add(taken);
                if (!taken.AlreadySet)
                    done(taken);
            }
            else
                outcome.Declined.Add(step);
        }
        return outcome;
    }

    /// <summary>Writes what was done in the current namespace; nothing under -WhatIf, which did nothing.</summary>
    protected void WriteOutcome(string action, RealServerMode mode, IReadOnlyList<System.Net.IPAddress> vips, string? clientInterface,
        StepOutcome outcome, string? persistPath)
    {
        if (WhatIfSeen)
            return;
        WriteObject(new RealServerRoleResult
        {
            Action = action, Mode = mode, VirtualAddress = vips, Interface = clientInterface,
            Changed = outcome.Changed, Unchanged = outcome.Unchanged, PersistPath = persistPath, NetNamespace = ItemNamespace,
        });
    }

    /// <summary>What <see cref="TakeSteps"/> did: steps taken, steps already so (or left alone), steps the user declined.</summary>
    protected sealed class StepOutcome
    {
        public List<RealServerRoleStep> Changed { get; } = [];
        public List<RealServerRoleStep> Unchanged { get; } = [];
        public List<RealServerRoleStep> Declined { get; } = [];
    }
}
