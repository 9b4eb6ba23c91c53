using LvsTools.Core;
using LvsTools.Core.Controller;

namespace LvsTools;

/// <summary>
/// The reaction to a server that crossed its rise or fall: as keepalived changes a weight from the thread that saw the
/// failure, the probe's own thread reconciles that service at once (reads it, writes the one change) when it may: no
/// hand-over to the loop, whose wake-up on a busy one-CPU machine cost tens of milliseconds. It leaves the service to the
/// loop (which takes every pending service in one cycle) while a cycle is under way, another writer holds the namespace's
/// lock, before the loop's first full cycle and after the loop ended, and when <see cref="ReactionRule"/> says no (soon
/// after the last reaction, or after a slow one).
/// </summary>
public sealed partial class LvsController
{
    // Held by every cycle, on the loop's thread or a probe's: one cycle at a time.
    private readonly object _cycleGate = new();
    private readonly ReactionRule _reactionRule = new();
    // Set once the loop's first full cycle is done, cleared (under the gate) when the loop ends.
    private volatile bool _reactNow;
    private CancellationToken _stop;

    // Lets probes react on their own thread from now until EndReactions (the loop is running).
    private void BeginReactions(CancellationToken stop)
    {
        lock (_cycleGate)
        {
            _stop = stop;
            _reactNow = true;
        }
    }

    // No reaction starts after this; one under way is waited for (the kernel clients are not disposed under it).
    private void EndReactions()
    {
        lock (_cycleGate)
            _reactNow = false;
    }

    // The loop's cycles take the gate too.
    private bool CycleInTurn(IReadOnlySet<ServiceKey>? only, CancellationToken stop)
    {
        lock (_cycleGate)
            return Cycle(only, stop);
    }

    /// <summary>Reconciles the pending services on this thread if it may (see the class); false: the loop must.</summary>
    private bool TryReactNow()
    {
        if (!_reactNow || !Monitor.TryEnter(_cycleGate))
            return false;
        try
        {
            var started = _time.GetUtcNow();
            if (!_reactNow || _stop.IsCancellationRequested || !_reactionRule.May(started))
                return false;
            WriterLock? held = null;
            if (!_options.WhatIf)
            {
                try
                {
                    held = WriterLock.ForNamespace(_ns, TimeSpan.Zero);
                }
                catch (LvsException)
                {
                    return false; // another writer (the loop waits for it), or the namespace gone (the loop reports it)
                }
            }
            using (held)
            {
                var keys = TakePending();
                if (keys.Count > 0)
                    Cycle(keys, _stop); // it takes the lock again: re-entrant on this thread
            }
            _reactionRule.Reacted(started, _time.GetUtcNow());
            return true;
        }
        finally
        {
            Monitor.Exit(_cycleGate);
        }
    }
}
