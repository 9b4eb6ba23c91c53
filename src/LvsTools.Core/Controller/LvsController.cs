using LvsTools.Core;
using LvsTools.Core.Config;
using LvsTools.Core.Controller;
using LvsTools.Core.Health;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools;

/// <summary>
/// The director's reconcile loop (keepalived's LVS half): the document is the single source of truth. A full cycle re-reads
/// the document when its file changed (a document that fails validation is rejected and the last good one kept), reads the
/// table once, computes the table the document and the health results call for (<see cref="LvsReconciler"/>), and sends
/// only the difference, through Sync's planner, in one batch; services the document does not list are never touched.
/// Health checks run apart, each server on its own interval. A server that changes state is reconciled at once, alone
/// with its service: that service is read (not the table) and its one changed weight written. Every interval the loop
/// looks at the document's file and at the services with drains under way; the whole table is read every interval, or,
/// when reading it takes longer than a tenth of that, every ten times its reading time (<see cref="CycleSchedule"/>): a big
/// table is not read back to back, and a weight changed by hand is set back within that period.
/// A cycle that fails (a kernel error) is an Error event; the loop goes on. Cancellation ends the loop between cycles,
/// never in the middle of an apply. A probe that sees a server cross its rise or fall applies the change itself, on its own
/// thread, when no cycle is running and the writer lock is free at once; otherwise the loop does (<see cref="ActNow"/>).
/// Cycles run one at a time, and events go to a callback from the thread of the cycle that raises them, one at a time: a
/// probe's ServerDown or ServerUp (stamped with the time the probe saw it) right after the write that acts on it, so that
/// the write does not wait for the event.
/// Equivalent to: keepalived's virtual_server blocks, run by keepalived --dont-fork --log-console.
/// </summary>
public sealed partial class LvsController : IDisposable
{
    private readonly LvsControllerOptions _options;
    private readonly NetNamespace _ns;
    private readonly TimeProvider _time;
    private readonly LvsReconciler _reconciler = new();
    private readonly HealthMonitor _monitor;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly object _logGate = new();
    private readonly Action<LvsControllerEvent> _onEvent;
    private IpvsClient? _ipvs;
    private RouteClient? _route;
    private ControlledDocument? _doc;
    private (DateTime Written, long Length)? _stamp;
    private byte[]? _hash;
    private long _cycles;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ServiceKey, bool> _pending = new();
    // Health events seen by the probes, raised by the cycle that acts on them, after its write: the write does not wait
    // for the event log or the pipeline (on a one-CPU machine, the thread that formats an event runs before the write).
    private readonly System.Collections.Concurrent.ConcurrentQueue<LvsControllerEvent> _observed = new();
    // One cycle at a time: the loop waits for its turn, a probe's thread only takes a free one (ActNow).
    private readonly SemaphoreSlim _turn = new(1, 1);
    // Set by the loop after its first full cycle; cleared, holding the turn, when the loop ends.
    private bool _probesAct;
    private CancellationToken _stop;
    // The time the probes' threads spent in cycles of their own in the current second (ActNow's budget).
    private long _actSecond, _actSpent;
    // The clock, as the probes' results ask for it (one delegate, not one per result).
    private readonly Func<DateTimeOffset> _now;

    internal LvsController(LvsControllerOptions options, NetNamespace ns, ProbeFunction probe, TimeProvider time, Action<LvsControllerEvent> onEvent,
        bool tcpLoop = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ns = ns;
        _time = time;
        _now = time.GetUtcNow;
        _onEvent = onEvent;
        _monitor = new HealthMonitor(probe, options.MaxConcurrentProbes, time, OnProbe,
            tcpLoop ? new TcpCheckLoop(ns, options.MaxConcurrentProbes, OnProbe) : null);
    }

    /// <summary>
    /// A controller in <see cref="LvsControllerOptions.NetNamespace"/>, probing with <see cref="HealthProber"/> (sockets opened
    /// in that namespace), its TCP checks on one loop of their own (<see cref="TcpCheckLoop"/>). <paramref name="onEvent"/> receives every event, one at a time, from the thread of the cycle that
    /// raised it (the loop's, or a probe's).
    /// </summary>
    /// <exception cref="LvsException">NetNamespaceNotFound and the other errors of resolving the namespace.</exception>
    public static LvsController Create(LvsControllerOptions options, Action<LvsControllerEvent> onEvent)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onEvent);
        var ns = NetNamespace.Resolve(options.NetNamespace);
        return new LvsController(options, ns, (check, address, port, cancellation) => ProbeAsync(check, address, port, ns, cancellation),
            TimeProvider.System, onEvent, tcpLoop: true);
    }

    private static async Task<ProbeOutcome> ProbeAsync(HealthCheck check, System.Net.IPAddress address, ushort port, NetNamespace ns,
        CancellationToken cancellation)
    {
        var r = await HealthProber.ProbeAsync(check, address, port, ns, cancellation).ConfigureAwait(false);
        string status = r.StatusCode is { } code ? $"status {code}, " : "";
        return new ProbeOutcome(r.Healthy, r.Healthy
            ? $"{status}{r.Latency.TotalMilliseconds:0.#} ms"
            : $"{status}{r.Error ?? "failed"}");
    }

    /// <summary>Receives each step a WhatIf cycle planned (and did not send).</summary>
    public Action<LvsPlanStep>? OnPlanned { get; set; }

    /// <summary>Receives what each cycle did.</summary>
    public Action<LvsControllerCycle>? OnCycle { get; set; }

    /// <summary>The last cycle (null before the first).</summary>
    public LvsControllerCycle? LastCycle { get; private set; }

    /// <summary>Writes sent by every cycle so far.</summary>
    public long WritesSent { get; private set; }

    /// <summary>
    /// Reads the document for the first time. A document that cannot be read or fails validation is an error here
    /// (nothing runs); later, the same is a ConfigRejected event.
    /// </summary>
    /// <exception cref="LvsException">The document's error (its id names it: LvsConfigurationFileNotFound, InvalidConfigurationDocument ...).</exception>
    public void Load()
    {
        if (_doc is null)
            Reload();
    }

    /// <summary>
    /// Runs the loop until <paramref name="stop"/>: a first probe round (every server probed once, each bounded by its
    /// timeout), then a cycle every <see cref="LvsControllerOptions.Interval"/>. With <paramref name="once"/>: the first
    /// probe round and one cycle, then it returns.
    /// </summary>
    public async Task RunAsync(bool once, CancellationToken stop)
    {
        Load();
        StartMetrics();
        _stop = stop;
        try
        {
            await LoopAsync(once, stop).ConfigureAwait(false);
        }
        finally
        {
            _monitor.Stop();
            RaiseObserved(); // seen after the last cycle
            if (stop.IsCancellationRequested)
                Raise(LvsReconciler.Event(_time.GetUtcNow(), LvsControllerEventKind.Stopped, null, null,
                    $"Stopped after {_cycles} cycle(s), {WritesSent} write(s) in all; the table is left as it is."));
        }
    }

    /// <summary>
    /// One cycle: a full one (<paramref name="only"/> null: the document looked at, the whole table read, the probe targets
    /// set, the metrics written), or one of some services only (those read, nothing else). False when <paramref name="stop"/>
    /// ended it before it applied anything.
    /// </summary>
    private bool Cycle(IReadOnlySet<ServiceKey>? only, CancellationToken stop, bool byProbe = false)
    {
        var started = _time.GetUtcNow();
        long number = ++_cycles, requests = 0, writes = 0;
        int planned = 0, failed = 0;
        if (only is null)
            ReloadIfChanged();
        var doc = only is null ? _doc! : _doc!.Only(only);
        IReadOnlyList<LvsControllerEvent>? seen = null;
        // The probes' events, then the reconciler's (a quorum lost follows the server that went down), once per cycle.
        void RaiseSeen()
        {
            RaiseObserved();
            foreach (var e in seen ?? [])
                Raise(e);
            seen = [];
        }
        try
        {
            using var held = _options.WhatIf ? null : WriterLock.ForNamespace(_ns, cancellation: stop);
            var ipvs = _ipvs ??= IpvsClient.Open(_ns);
            var route = doc.Document.VirtualIps is null ? null : _route ??= RouteClient.Open(_ns);
            var sysctl = doc.Document.Sysctls is null ? null : new SysctlStore(_ns);
            var live = only is null ? LvsKernelState.Read(ipvs, route, sysctl) : LvsKernelState.ReadServices(ipvs, doc.Keys);
            if (only is null)
                _monitor.SetTargets(_reconciler.Track(doc, live));
            var result = _reconciler.Reconcile(doc, live, _time.GetUtcNow(), partial: only is not null);
            seen = result.Events;
            var plan = result.Plan(route);
            if (sysctl is not null)
                LvsConfigurationSync.CheckSysctlScope(plan, sysctl);
            planned = plan.Count;
            requests = live.RequestsSent;
            if (_options.WhatIf)
            {
                RaiseSeen();
                foreach (var step in plan)
                    OnPlanned?.Invoke(step);
                _reconciler.Applied(result, complete: false);
            }
            else if (plan.Count > 0)
            {
                // Never cancelled half-way: a stop waits for the end of the batch.
                var applied = LvsConfigurationSync.Apply(plan, ipvs, route, sysctl, null, CancellationToken.None, live.RequestsSent);
                var appliedAt = _time.GetUtcNow(); // the Applied event's time: the write's, not after the events raised before it
                requests = applied.RequestsSent;
                writes = applied.WritesSent;
                failed = applied.Failed;
                RaiseSeen();
                ReportApplied(plan, applied, appliedAt);
                _reconciler.Applied(result, complete: failed == 0);
            }
            else
            {
                RaiseSeen();
                _reconciler.Applied(result, complete: true);
            }
            if (only is null)
                WriteMetrics(live);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            RaiseSeen();
            return false;
        }
        catch (Exception e)
        {
            RaiseSeen();
            CycleFailed(e);
        }
        WritesSent += writes;
        LastCycle = new LvsControllerCycle(number, started, _time.GetUtcNow() - started, planned, failed, requests, writes,
            only is null ? LvsControllerCycleKind.Full : byProbe ? LvsControllerCycleKind.Probe : LvsControllerCycleKind.Partial);
        OnCycle?.Invoke(LastCycle);
        return true;
    }

    private void ReportApplied(List<LvsPlanStep> plan, LvsApplyResult applied, DateTimeOffset at)
    {
        const int Listed = 10;
        var done = plan.Where(s => s.Status == LvsPlanStatus.Applied).ToList();
        if (done.Count > 0)
        {
            string list = string.Join("; ", done.Take(Listed).Select(s => $"{s.Action} {s.Target}" + (s.Changes is null ? "" : $" ({s.Changes})")));
            Raise(LvsReconciler.Event(at, LvsControllerEventKind.Applied, null, null,
                $"{done.Count} change(s) in {applied.WritesSent} write(s): {list}{(done.Count > Listed ? $"; and {done.Count - Listed} more" : "")}"));
        }
        foreach (var f in plan.Where(s => s.Status == LvsPlanStatus.Failed))
            Raise(LvsReconciler.Event(at, LvsControllerEventKind.Error, null, null, f.Error ?? $"{f.Target}: failed"));
    }

    // A failed cycle: an Error event, and the kernel clients opened again next cycle (a namespace that came back, a socket
    // in a bad state).
    private void CycleFailed(Exception e)
    {
        string message = (KernelErrors.ToLvsException(e) ?? e).Message;
        Raise(LvsReconciler.Event(_time.GetUtcNow(), LvsControllerEventKind.Error, null, null, message));
        DropClients();
    }

    private void DropClients()
    {
        _ipvs?.Dispose();
        _ipvs = null;
        _route?.Dispose();
        _route = null;
    }

    private void RaiseObserved()
    {
        while (_observed.TryDequeue(out var e))
            Raise(e);
    }

    public void Dispose()
    {
        _ipvs?.Dispose();
        _route?.Dispose();
        _listener?.Dispose();
        _ns.Dispose();
    }
}
