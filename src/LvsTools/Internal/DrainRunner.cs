using System.Management.Automation;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// Waits for many drains at once (Remove-LvsRealServer -Drain, Sync-LvsConfiguration -Drain): every round reads each
/// service's real servers once, polls its drains (which delete what is done), shows a progress bar per server with its
/// counts and the time left, and sleeps until the next round or the nearest deadline. Stopped (Ctrl+C), it stops
/// waiting, deletes nothing more, and reads once more what the kernel holds of the servers left at weight 0.
/// </summary>
internal sealed class DrainRunner
{
    /// <summary>One drain, where it runs, and how it ended.</summary>
    internal sealed class Entry(RealServerDrain drain, IpvsClient client, DrainKernelSettings settings, object? tag)
    {
        public RealServerDrain Drain { get; } = drain;
        public IpvsClient Client { get; } = client;
        public DrainKernelSettings Settings { get; } = settings;
        /// <summary>The caller's own reference (a plan step).</summary>
        public object? Tag { get; } = tag;
        /// <summary>The last poll (after a stop: the kernel's counts then, state Waiting).</summary>
        public RealServerDrainStatus? Status { get; set; }
        /// <summary>Why a poll failed (the drain is then over: the server is left as it is).</summary>
        public Exception? Error { get; set; }
        public bool Over => Error is not null || Status is { Finished: true };
    }

    private readonly List<Entry> _entries = [];

    public IReadOnlyList<Entry> Entries => _entries;

    public Entry Add(RealServerDrain drain, IpvsClient client, DrainKernelSettings settings, object? tag = null)
    {
        var e = new Entry(drain, client, settings, tag);
        _entries.Add(e);
        return e;
    }

    /// <summary>Waits until every drain is over; false when <paramref name="cancellation"/> stopped the wait first.</summary>
    public bool Run(TimeSpan pollInterval, CancellationToken cancellation, Action<ProgressRecord> progress, string activity)
    {
        while (true)
        {
            var now = DateTimeOffset.UtcNow;
            Round(now, delete: true);
            var waiting = _entries.Where(e => !e.Over).ToList();
            for (int i = 0; i < _entries.Count; i++)
                progress(Progress(_entries[i], i, activity));
            if (waiting.Count == 0)
                return true;
            var next = waiting.Min(e => e.Drain.Deadline) - DateTimeOffset.UtcNow;
            var wait = next < pollInterval ? next : pollInterval;
            if (wait < TimeSpan.FromMilliseconds(20))
                wait = TimeSpan.FromMilliseconds(20);
            if (cancellation.WaitHandle.WaitOne(wait))
            {
                Round(DateTimeOffset.UtcNow, delete: false);
                return false;
            }
        }
    }

    /// <summary>One read per (client, service) of what is still waiting; then a poll (or, after a stop, a read-only evaluation) each.</summary>
    private void Round(DateTimeOffset now, bool delete)
    {
        foreach (var group in _entries.Where(e => !e.Over).GroupBy(e => (e.Client, e.Drain.Server.Service)))
        {
            List<LvsRealServer> table;
            try
            {
                table = ReadTable(group.Key.Client, group.Key.Service);
            }
            catch (Exception ex)
            {
                foreach (var e in group)
                    e.Error = ex;
                continue;
            }
            foreach (var e in group)
            {
                try
                {
                    e.Status = delete ? e.Drain.Poll(e.Client, table, now) : e.Drain.Evaluate(Find(table, e.Drain.Server), now) with { State = RealServerDrainState.Waiting };
                }
                catch (Exception ex)
                {
                    e.Error = ex;
                }
            }
        }
    }

    private static List<LvsRealServer> ReadTable(IpvsClient client, ServiceKey service)
    {
        try
        {
            return client.GetRealServers(service);
        }
        catch (LvsException e) when (e.Kind == LvsErrorKind.NotFound)
        {
            return []; // the service is gone: its drains are Gone
        }
    }

    private static LvsRealServer? Find(List<LvsRealServer> table, LvsRealServer s) =>
        table.FirstOrDefault(r => r.Address.Equals(s.Address) && r.Port == s.Port);

    private static ProgressRecord Progress(Entry e, int index, string activity)
    {
        var s = e.Drain.Server;
        var p = new ProgressRecord(100 + index, $"{activity}: draining {s.Endpoint} of {s.Service}", "waiting");
        if (e.Over)
        {
            p.RecordType = ProgressRecordType.Completed;
            return p;
        }
        if (e.Status is { } st)
        {
            p.StatusDescription = $"{st.ActiveConnections} active, {st.InactiveConnections} inactive connections; " +
                $"{st.Remaining:hh\\:mm\\:ss} left of {e.Drain.Timeout:hh\\:mm\\:ss}";
            p.SecondsRemaining = (int)Math.Ceiling(st.Remaining.TotalSeconds);
            p.PercentComplete = e.Drain.Timeout <= TimeSpan.Zero ? 100
                : (int)Math.Clamp(100 * st.Elapsed.TotalSeconds / e.Drain.Timeout.TotalSeconds, 0, 100);
        }
        return p;
    }
}

/// <summary>What the drain cmdlets say about a drain that ended, the same way for Remove- and Sync-.</summary>
internal static class DrainReports
{
    /// <summary>The warning for a drain (null: nothing to say): timed out, deleted by someone else, or left at weight 0 by a stop.</summary>
    public static string? Warning(DrainRunner.Entry e, bool stopped)
    {
        var s = e.Drain.Server;
        string name = $"Real server {s.Endpoint} of virtual service {s.Service}" + (string.IsNullOrEmpty(s.NetNamespace) ? "" : $" (netns {s.NetNamespace})");
        if (e.Error is not null)
            return null; // reported as an error
        if (stopped && e.Status is { Finished: false } w)
            return $"Stopped waiting: {name} is left at weight 0, not deleted, with {w.ActiveConnections} active and " +
                $"{w.InactiveConnections} inactive connections (as the kernel holds it now). Run the drain again, or remove it without -Drain.";
        if (stopped && e.Status is null)
            return $"Stopped waiting: {name} is left at weight 0, not deleted.";
        return e.Status?.State switch
        {
            RealServerDrainState.TimedOut => RealServerDrainAdvice.AtTimeout(e.Status, e.Settings),
            RealServerDrainState.Gone => $"{name} was deleted by someone else during the drain; nothing was sent to delete it.",
            _ => null,
        };
    }

    /// <summary>
    /// Writes a warning even after Ctrl+C: once the pipeline is stopping, PowerShell refuses pipeline writes, so the
    /// warning goes straight to the host.
    /// </summary>
    public static void Warn(PSCmdlet cmdlet, string text)
    {
        try
        {
            cmdlet.WriteWarning(text);
        }
        catch (PipelineStoppedException)
        {
            cmdlet.Host?.UI?.WriteWarningLine(text);
        }
    }
}

/// <summary>The checks of -Drain's companions, the same for Remove- and Sync-.</summary>
internal static class DrainParameters
{
    /// <summary>Stops the cmdlet on -DrainTimeout/-PollInterval/-WaitForUdp without -Drain, a negative timeout, or a poll interval of 0 or less.</summary>
    public static void Check(PSCmdlet cmdlet, bool drain, TimeSpan timeout, TimeSpan pollInterval)
    {
        string[] drainOnly = ["DrainTimeout", "PollInterval", "WaitForUdp"];
        if (!drain && drainOnly.FirstOrDefault(cmdlet.MyInvocation.BoundParameters.ContainsKey) is { } p)
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-{p} applies only with -Drain."),
                "DrainParameterWithoutDrain", ErrorCategory.InvalidArgument, p));
        if (timeout < TimeSpan.Zero)
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-DrainTimeout must be 0 or more; {timeout} is negative."),
                "InvalidDrainTimeout", ErrorCategory.InvalidArgument, timeout));
        if (pollInterval <= TimeSpan.Zero)
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-PollInterval must be more than 0; {pollInterval} is not."),
                "InvalidPollInterval", ErrorCategory.InvalidArgument, pollInterval));
    }
}
