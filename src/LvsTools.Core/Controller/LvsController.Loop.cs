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
        var schedule = new CycleSchedule(_options.Interval);
        while (!stop.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var kind = schedule.Next(now);
            if (kind == CycleKind.Tick && DocumentChanged())
                kind = CycleKind.Full;
            bool completed;
            if (kind == CycleKind.Full)
            {
                _pending.Clear(); // the full cycle reconciles them too
                completed = Cycle(null, stop);
                schedule.FullCycleDone(now, _time.GetUtcNow() - now);
            }
            else
            {
                // A server that crossed its rise or fall is applied now, with its service alone, not at the next read.
                var keys = TakePending();
                if (kind == CycleKind.Tick)
                    keys.UnionWith(_reconciler.DrainingServices());
                completed = keys.Count == 0 || Cycle(keys, stop);
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
        await probing.ConfigureAwait(false);
    }

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
