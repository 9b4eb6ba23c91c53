using System.Net;

namespace LvsTools.Core.Controller;

/// <summary>What one probe said: healthy or not, and why (its error, or its status and latency).</summary>
internal readonly record struct ProbeOutcome(bool Healthy, string? Detail);

/// <summary>Probes one real server once: its check, its address and port (the check may name another port to probe). Must honour the check's timeout.</summary>
internal delegate Task<ProbeOutcome> ProbeFunction(HealthCheck check, IPAddress address, ushort port, CancellationToken cancellation);

/// <summary>
/// Runs the health checks of a set of real servers, each on its own interval (<see cref="HealthCheck.Interval"/>, counted
/// from the time its previous probe was due), concurrently but at most <c>maxConcurrent</c> at a time, never two probes of one
/// server at once. A probe that outlives its timeout (plus a grace second) counts as failed. Results go to a callback as
/// they come: nothing waits for a slow probe. The servers wait in a queue ordered by when they are due, so that a round
/// of many servers costs a look at the few due, not at all of them, each time a probe starts or ends.
/// </summary>
internal sealed class HealthMonitor(ProbeFunction probe, int maxConcurrent, TimeProvider time, Action<RealServerId, ProbeOutcome> report)
{
    /// <summary>How long past its own timeout a probe is given before it counts as failed.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    // The run loop's shortest sleep (probes due within it start together) and longest (it looks at least this often).
    private static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(10), MaxWait = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _slots = new(Math.Max(1, maxConcurrent));
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly object _gate = new();
    private Dictionary<RealServerId, Target> _targets = [];
    // The targets that wait for their turn (not running), by due time; a target dropped from _targets is skipped when it comes up.
    private readonly PriorityQueue<Target, DateTimeOffset> _queue = new();
    // When the run loop means to look at the queue again (MinValue: it is looking now, or not running).
    private DateTimeOffset _plannedWake = DateTimeOffset.MinValue;

    private sealed class Target(ControlledRealServer server, DateTimeOffset due)
    {
        public ControlledRealServer Server { get; set; } = server;
        public DateTimeOffset Due { get; set; } = due;
        public Task? Running { get; set; }
        public bool Dropped { get; set; }
    }

    /// <summary>The servers being probed.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _targets.Count;
        }
    }

    /// <summary>
    /// Sets the servers to probe. A server already probed with the same check keeps its schedule; a new one, or one
    /// whose check changed, is due now; one no longer listed is not probed again.
    /// </summary>
    public void SetTargets(IEnumerable<ControlledRealServer> servers)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var next = new Dictionary<RealServerId, Target>();
            foreach (var s in servers)
            {
                if (_targets.TryGetValue(s.Id, out var t) && t.Server.Check == s.Check)
                {
                    t.Server = s;
                }
                else
                {
                    var previous = t;
                    t = new Target(s, now);
                    if (previous?.Running is { IsCompleted: false } running)
                        running.ContinueWith(_ => Queue(t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    else
                        _queue.Enqueue(t, now);
                }
                next[s.Id] = t;
            }
            foreach (var (id, t) in _targets)
                if (!next.TryGetValue(id, out var kept) || !ReferenceEquals(kept, t))
                    t.Dropped = true;
            _targets = next;
        }
        Wake();
    }

    /// <summary>Starts every probe that is due and not running; returns the probes it started.</summary>
    public List<Task> StartDue(CancellationToken cancellation)
    {
        var now = time.GetUtcNow();
        var started = new List<Task>();
        lock (_gate)
        {
            while (_queue.TryPeek(out var t, out var due) && due <= now)
            {
                _queue.Dequeue();
                if (t.Dropped)
                    continue;
                // At a fixed rate: due an interval after the time it was due, so that a late start (a busy machine, a
                // timer that fires late) does not push every later probe back; after a long stall, an interval from now.
                var interval = t.Server.Check!.Interval;
                t.Due = t.Due + interval > now ? t.Due + interval : now + interval;
                t.Running = ProbeAsync(t, cancellation);
                started.Add(t.Running);
            }
        }
        return started;
    }

    /// <summary>
    /// Probes every server that is due now and waits for those probes (each bounded by its timeout). The caller goes on
    /// on a thread of the pool, never on the thread that finished the last probe (the TCP checks' own, see TcpConnector):
    /// the controller's first cycle follows, and on that thread it would hold every TCP check while it runs.
    /// </summary>
    public async Task RoundAsync(CancellationToken cancellation)
    {
        await Task.WhenAll(StartDue(cancellation)).ConfigureAwait(false);
        // ConfigureAwait(ForceYielding) is not enough: it hops only when the task is complete already; a round still
        // running goes on on the thread that ends its last probe.
        await Task.Yield();
    }

    /// <summary>Starts probes as they fall due until <paramref name="cancellation"/>.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            StartDue(cancellation);
            try
            {
                await _wake.WaitAsync(PlanWake(), cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// How long the run loop sleeps: until the next due time in the queue (at least <see cref="MinWait"/>, at most a second),
    /// and when it means to look again. A probe running meanwhile is not in the queue: when it ends with an earlier due
    /// time than that, <see cref="Queue"/> wakes the loop, so that its next probe starts when due, not up to a loop's
    /// computing time later in every round.
    /// </summary>
    internal TimeSpan PlanWake()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var wait = (_queue.TryPeek(out _, out var due) ? due : now + MaxWait) - now;
            wait = wait < MinWait ? MinWait : wait > MaxWait ? MaxWait : wait;
            _plannedWake = now + wait;
            return wait;
        }
    }

    // A target whose probe ended takes its place in the queue again (at its due time); one due already, or before the run
    // loop means to look again, wakes it.
    private void Queue(Target t)
    {
        bool early;
        lock (_gate)
        {
            if (t.Dropped)
                return;
            _queue.Enqueue(t, t.Due);
            early = t.Due < _plannedWake || t.Due <= time.GetUtcNow();
        }
        if (early)
            Wake();
    }

    /// <summary>For tests: whether a wake of the run loop is pending, and taking it.</summary>
    internal bool WakePending => _wake.CurrentCount > 0;

    internal Task WaitForWakeAsync() => _wake.WaitAsync();

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // a wake is pending already
        }
    }

    private async Task ProbeAsync(Target target, CancellationToken cancellation)
    {
        var server = target.Server;
        var check = server.Check!;
        try
        {
            await _slots.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            limit.CancelAfter(check.Timeout + Grace);
            ProbeOutcome outcome;
            try
            {
                outcome = await probe(check, server.Server.Address, server.Server.Port, limit.Token).WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                outcome = new ProbeOutcome(false, $"no answer within the timeout ({check.Timeout.TotalSeconds:0.###} s)");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                outcome = new ProbeOutcome(false, e.Message);
            }
            report(server.Id, outcome);
        }
        catch (OperationCanceledException)
        {
            // stopping: a probe cut short says nothing about the server
        }
        finally
        {
            _slots.Release();
        }
        Queue(target);
    }
}
