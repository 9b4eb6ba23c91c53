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
}
