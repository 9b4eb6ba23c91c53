using System.Globalization;
using System.Net;

namespace LvsTools.Core.Controller;

/// <summary>
/// What one probe said: healthy or not, and why (its error, or its status and latency). A TCP check's latency is put in
/// words only when asked for (<see cref="Detail"/>): a server's state changes rarely, and its checks come by the thousand.
/// </summary>
internal readonly record struct ProbeOutcome
{
    private readonly string? _detail;
    private readonly TimeSpan? _latency;

    public ProbeOutcome(bool healthy, string? detail) => (Healthy, _detail) = (healthy, detail);

    private ProbeOutcome(TimeSpan latency) => (Healthy, _latency) = (true, latency);

    /// <summary>A connection accepted after <paramref name="latency"/>.</summary>
    public static ProbeOutcome Accepted(TimeSpan latency) => new(latency);

    public bool Healthy { get; }

    /// <summary>The error, or the status and latency ("1.2 ms").</summary>
    public string? Detail => _detail ?? (_latency is { } l ? l.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture) + " ms" : null);
}

/// <summary>Probes one real server once: its check, its address and port (the check may name another port to probe). Must honour the check's timeout.</summary>
internal delegate Task<ProbeOutcome> ProbeFunction(HealthCheck check, IPAddress address, ushort port, CancellationToken cancellation);

/// <summary>
/// Runs the health checks of a set of real servers, each on its own interval (<see cref="HealthCheck.Interval"/>, counted
/// from the time its previous probe was due), concurrently but at most <c>maxConcurrent</c> at a time, never two probes of one
/// server at once. A probe that outlives its timeout (plus a grace second) counts as failed. Results go to a callback as
/// they come: nothing waits for a slow probe. The servers wait in a queue ordered by when they are due, so that a round
/// of many servers costs a look at the few due, not at all of them, each time a probe starts or ends.
/// With a <paramref name="tcp"/> loop, the servers with TCP checks go to it (one thread that schedules, connects and reports
/// them itself, at most <c>maxConcurrent</c> connects at a time besides the other probes), and the rest are probed here.
/// </summary>
internal sealed class HealthMonitor(ProbeFunction probe, int maxConcurrent, TimeProvider time, Action<RealServerId, ProbeOutcome> report,
    TcpCheckLoop? tcp = null)
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
                return _targets.Count + (tcp?.Count ?? 0);
        }
    }

    /// <summary>
    /// Sets the servers to probe. A server already probed with the same check keeps its schedule; a new one, or one
    /// whose check changed, is due now; one no longer listed is not probed again.
    /// </summary>
    public void SetTargets(IEnumerable<ControlledRealServer> servers)
    {
        if (tcp is not null)
        {
            var all = servers.ToList();
            tcp.SetTargets(all.Where(s => s.Check?.Type == HealthCheckType.Tcp));
            servers = all.Where(s => s.Check?.Type != HealthCheckType.Tcp);
        }
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
    /// on a thread of the pool, never on the thread that finished the last probe (a TCP check's: TcpConnector's, or the
    /// TcpCheckLoop's): the controller's first cycle follows, and on that thread it would hold every TCP check while it runs.
    /// </summary>
    public async Task RoundAsync(CancellationToken cancellation)
    {
        var probes = StartDue(cancellation);
        if (tcp is not null)
        {
            try
            {
                await tcp.RoundAsync().WaitAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopping: the loop's checks in flight are closed by Stop
            }
        }
        await Task.WhenAll(probes).ConfigureAwait(false);
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

    /// <summary>Ends the TCP check loop's thread, if there is one (the other probes end with the run loop's cancellation).</summary>
    public void Stop() => tcp?.Stop();

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
