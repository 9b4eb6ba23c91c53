using System.Management.Automation;
using LvsTools.Core;

namespace LvsTools.Internal;

/// <summary>
/// How the cmdlets use <see cref="WriterLock"/>: a read-modify-write takes the namespace's lock unless -WhatIf is in
/// force (-WhatIf sends nothing, so it neither takes the lock nor waits for it).
/// </summary>
internal static class WriterLocks
{
    /// <summary>True when -WhatIf (or $WhatIfPreference, not overridden by -WhatIf:$false) is in force.</summary>
    public static bool IsWhatIf(this PSCmdlet cmdlet) =>
        cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
            ? w is SwitchParameter { IsPresent: true } or true
            : cmdlet.SessionState.PSVariable.GetValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true;

    /// <summary>The namespace's lock, or nothing to release under -WhatIf. Disposing twice is harmless.</summary>
    public static IDisposable HoldUnlessWhatIf(this PSCmdlet cmdlet, NetNamespace ns, CancellationToken cancellation) =>
        (IDisposable?)cmdlet.LockUnlessWhatIf(ns, cancellation) ?? NotHeld.Instance;

    private sealed class NotHeld : IDisposable
    {
        public static readonly NotHeld Instance = new();
        public void Dispose() { }
    }

    /// <summary>The namespace's lock, or null under -WhatIf.</summary>
    public static WriterLock? LockUnlessWhatIf(this PSCmdlet cmdlet, NetNamespace ns, CancellationToken cancellation) =>
        cmdlet.IsWhatIf() ? null : WriterLock.ForNamespace(ns, cancellation: cancellation);
}
