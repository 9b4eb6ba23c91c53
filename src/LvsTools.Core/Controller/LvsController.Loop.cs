using LvsTools.Core;
using LvsTools.Core.Config;
using LvsTools.Core.Controller;
using LvsTools.Core.Ipvs;

namespace LvsTools;

public sealed partial class LvsController
{
    private async Task LoopAsync(bool once, CancellationToken stop)
    {
        await WarmUpAsync(stop).ConfigureAwait(false);
        if (stop.IsCancellationRequested)
            return;
        if (once)
        {
            Cycle(null, stop);
            return;
        }
        var probing = Task.Run(() => _monitor.RunAsync(stop), CancellationToken.None);
        try
        {
            await CyclesAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            // No probe's thread starts a cycle from here on, and none is still running one.
            await _turn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            _probesAct = false;
            _turn.Release();
        }
        await probing.ConfigureAwait(false);
    }

    private async Task CyclesAsync(CancellationToken stop)
    {
        var schedule = new CycleSchedule(_options.Interval);
        while (!stop.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var kind = schedule.Next(now);
            if (kind == CycleKind.Tick && DocumentChanged())
                kind = CycleKind.Full;
            bool completed;
            await _turn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (kind == CycleKind.Full)
                {
                    _pending.Clear(); // the full cycle reconciles them too
                    completed = Cycle(null, stop);
                    schedule.FullCycleDone(now, _time.GetUtcNow() - now);
                    Volatile.Write(ref _probesAct, true); // from the first full cycle on (the servers are tracked)
                }
                else
                {
                    // A server that crossed its rise or fall is applied now, with its service alone, not at the next read
                    // (when its probe could not apply it itself).
                    var keys = TakePending();
                    if (kind == CycleKind.Tick)
                        keys.UnionWith(_reconciler.DrainingServices());
                    completed = keys.Count == 0 || Cycle(keys, stop);
                }
            }
            finally
            {
                _turn.Release();
            }
            if (!completed)
                break;
            var wait = schedule.Wait(_time.GetUtcNow());
            if (wait <= TimeSpan.Zero || !_pending.IsEmpty)
                continue;
            try
            {
                await _wake.WaitAsync(wait, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void OnProbe(RealServerId id, ProbeOutcome outcome)
    {
        if (_reconciler.Observe(id, outcome, _now) is not { } e)
            return;
        _observed.Enqueue(e);
        _pending[id.Service] = true;
        if (ActNow())
            return;
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // a cycle is called for already
        }
    }

    /// <summary>
    /// The pending services reconciled on the probe's thread, at once, as keepalived's checker writes from the loop that saw
    /// the refusal: waking the loop's thread to do it was one more thread to wait for the CPU on a busy director, and in
    /// User-mode Linux the write of a failed server came a median 9-17 ms after the deciding refusal, against 5-8 ms when the
    /// probe's thread wrote it (keepalived: 1-1.5 ms). Only when no cycle is running and the namespace's writer lock is free
    /// without waiting; never before the loop's first full cycle or once it has ended; and for at most
    /// <see cref="ActBudget"/> of each second (the TCP checks share one thread: a burst of failures does not hold the
    /// others' results, it goes to the loop in one batch).
    /// False: the loop is to do it (it takes everything pending, so a burst becomes one batch).
    /// </summary>
    private bool ActNow()
    {
        if (!Volatile.Read(ref _probesAct) || !_turn.Wait(0))
            return false;
        try
        {
            if (!_probesAct || _stop.IsCancellationRequested)
                return false;
            long now = Environment.TickCount64, second = now / 1000;
            if (second != _actSecond)
                (_actSecond, _actSpent) = (second, 0);
            if (_actSpent >= (long)ActBudget.TotalMilliseconds)
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
                    return false; // another writer holds it (or it cannot be taken): the loop waits for it and reports
                }
            }
            try
            {
                // The cycle takes the lock again: the same thread's nested hold.
                var keys = TakePending();
                return keys.Count == 0 || Cycle(keys, _stop, byProbe: true);
            }
            finally
            {
                held?.Dispose();
                _actSpent += Environment.TickCount64 - now;
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>How much of each second the probes' threads may spend in cycles of their own.</summary>
    private static readonly TimeSpan ActBudget = TimeSpan.FromMilliseconds(100);

    private HashSet<ServiceKey> TakePending()
    {
        var keys = new HashSet<ServiceKey>();
        foreach (var key in _pending.Keys)
            if (_pending.TryRemove(key, out _))
                keys.Add(key);
        return keys;
    }

    // The first probe round: the table read once (without the lock: nothing is written) so that new servers adopt what
    // the kernel shows, then every server probed once.
    private async Task WarmUpAsync(CancellationToken stop)
    {
        try
        {
            var live = LvsKernelState.Read(_ipvs ??= IpvsClient.Open(_ns));
            _monitor.SetTargets(_reconciler.Track(_doc!, live));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The cycle that follows reads again and reports the failure (once, not twice); the servers are then
            // adopted there and probed from then on.
            DropClients();
            return;
        }
        await _monitor.RoundAsync(stop).ConfigureAwait(false);
    }
}
