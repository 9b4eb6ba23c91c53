using LvsTools.Core.Config;

namespace LvsTools.Core.Controller;

/// <summary>What one reconcile computed: the table to plan towards, the state to plan against, and what it saw.</summary>
/// <param name="Desired">The document as Sync would apply it, with the health results, drains and sorry servers folded in.</param>
/// <param name="Current">The live state restricted to the document's services (the plan never touches another).</param>
/// <param name="Events">Quorum changes, drains started and completed, weights set back.</param>
/// <param name="Weights">The weight each managed real server gets (what a later cycle compares the kernel with).</param>
/// <param name="Scope">The services this reconcile covered: every service of the document, or the few a partial reconcile was given.</param>
/// <param name="Partial">A reconcile of some services only (<see cref="ControlledDocument.Only"/>): what it records about the others stays.</param>
internal sealed record ReconcileResult(LvsConfigurationDocument Desired, LvsKernelState Current, IReadOnlyList<LvsControllerEvent> Events,
    IReadOnlyDictionary<RealServerId, int> Weights, IReadOnlySet<ServiceKey> Scope, bool Partial)
{
    /// <summary>The steps that make the kernel into <see cref="Desired"/>: Sync's planner, pruning only inside the document's services.</summary>
    public List<LvsPlanStep> Plan(Route.RouteClient? route = null) => LvsConfigurationSync.Plan(Current, Desired, prune: true, route);
}

/// <summary>
/// The controller's state machine, without any I/O: health per real server (rise and fall counted from probe results
/// given to <see cref="Observe"/>), quorum per service, drains, and the weights it last applied. <see cref="Reconcile"/>
/// is a function of the document, that state, the live table and the time: the table the controller wants.
/// Thread-safe: probe results arrive from other threads than the cycle.
/// </summary>
internal sealed class LvsReconciler
{
    private readonly object _gate = new();
    private readonly Dictionary<RealServerId, (ServerHealth Health, HealthCheck Check)> _health = [];
    private readonly Dictionary<ServiceKey, bool> _quorumLost = [];
    private readonly Dictionary<RealServerId, Drain> _drains = [];
    private IReadOnlyDictionary<RealServerId, int> _known = new Dictionary<RealServerId, int>();
    private bool _tracked, _reconciled;

    private sealed record Drain(RealServerDrain Engine)
    {
        public bool Completed { get; set; }
    }

    /// <summary>The health state of a tracked real server (null: not probed).</summary>
    public bool? IsHealthy(RealServerId id)
    {
        lock (_gate)
            return _health.TryGetValue(id, out var h) ? h.Health.Healthy : null;
    }

    /// <summary>The health of every probed real server (true: healthy), as the metrics' lvs_backend_health reports it.</summary>
    public Dictionary<(ServiceKey Service, System.Net.IPAddress Address, ushort Port), bool> HealthMap()
    {
        lock (_gate)
            return _health.ToDictionary(h => (h.Key.Service, h.Key.Address, h.Key.Port), h => h.Value.Health.Healthy);
    }

    /// <summary>
    /// Takes the document's probed real servers into account and returns them (the probe targets). A server seen for the
    /// first time adopts what the kernel shows: at a weight above 0 it is healthy; at weight 0 while the document gives
    /// it more, it is failed (it was taken out) and must pass Rise checks; absent from a service the kernel already holds,
    /// with onFailure remove, at the first cycle, failed too; otherwise healthy, or failed with alpha. Servers no longer
    /// probed are forgotten. A service's quorum starts lost when its sorry server is in the kernel.
    /// </summary>
    public List<ControlledRealServer> Track(ControlledDocument doc, LvsKernelState live)
    {
        lock (_gate)
        {
            var targets = new List<ControlledRealServer>();
            foreach (var s in doc.Services)
            {
                live.Services.TryGetValue(s.Key, out var liveSvc);
                foreach (var r in (s.RealServers ?? []).Where(r => r.Probed))
                {
                    targets.Add(r);
                    if (_health.TryGetValue(r.Id, out var h))
                    {
                        _health[r.Id] = (h.Health, r.Check!);
                        continue;
                    }
                    var have = liveSvc?.RealServers.GetValueOrDefault((r.Server.Address, r.Server.Port));
                    bool healthy = have switch
                    {
                        { Weight: > 0 } => true,
                        { Weight: 0 } when r.Server.Weight > 0 => false,
                        null when !_tracked && liveSvc is not null && s.RemoveOnFailure => false,
                        _ => !s.Alpha,
                    };
                    _health[r.Id] = (new ServerHealth(healthy), r.Check!);
                }
                if (!_quorumLost.ContainsKey(s.Key))
                    _quorumLost[s.Key] = s.SorryServer is { } sorry && liveSvc?.RealServers.ContainsKey((sorry.Address, sorry.Port)) == true;
            }
            var probed = targets.Select(t => t.Id).ToHashSet();
            foreach (var id in _health.Keys.Where(k => !probed.Contains(k)).ToList())
                _health.Remove(id);
            foreach (var key in _quorumLost.Keys.Where(k => !doc.Keys.Contains(k)).ToList())
                _quorumLost.Remove(key);
            _tracked = true;
            return targets;
        }
    }

    /// <summary>
    /// Counts one probe result; returns the ServerDown or ServerUp event when the server's state changed, stamped with
    /// <paramref name="now"/>, which is asked only then (a clock read per check is a system call in User-mode Linux).
    /// </summary>
    public LvsControllerEvent? Observe(RealServerId id, ProbeOutcome outcome, Func<DateTimeOffset> now)
    {
        lock (_gate)
        {
            if (!_health.TryGetValue(id, out var h))
                return null;
            var check = h.Check;
            return h.Health.Observe(outcome.Healthy, check.Rise, check.Fall) switch
            {
                HealthTransition.WentDown => Event(now(), LvsControllerEventKind.ServerDown, id.Service, id.Endpoint,
                    $"{check.Fall} failed {check.Type} check(s) in a row: {outcome.Detail}"),
                HealthTransition.WentUp => Event(now(), LvsControllerEventKind.ServerUp, id.Service, id.Endpoint,
                    $"{check.Rise} passed {check.Type} check(s) in a row" + (string.IsNullOrEmpty(outcome.Detail) ? "" : $": {outcome.Detail}")),
                _ => null,
            };
        }
    }

    /// <summary>
    /// The table the document and the health state call for, against <paramref name="live"/>: a healthy server at its
    /// document weight; a failed one at weight 0 (onFailure inhibit) or absent (remove); a server in maintenance at weight
    /// 0; the sorry server in while the quorum is lost (the sum of healthy weights below the quorum) until the sum reaches
    /// quorum + hysteresis, and meanwhile every other server at weight 0 (the sorry server takes the traffic, as in keepalived); a server the document no longer lists at weight 0 until it has no connections or its drain
    /// timeout passed, then absent (the planner deletes it). A weight the kernel shows that differs from the one this
    /// reconciler last had applied was changed by hand: it is set back, with a WeightRestored event.
    /// </summary>
    /// <remarks>
    /// With <paramref name="partial"/> <paramref name="doc"/> is a part of the document (<see cref="ControlledDocument.Only"/>) and
    /// <paramref name="live"/> holds at least its services: the drains and weights of the other services are kept as they are.
    /// </remarks>
    public ReconcileResult Reconcile(ControlledDocument doc, LvsKernelState live, DateTimeOffset now, bool partial = false)
    {
        lock (_gate)
        {
            var events = new List<LvsControllerEvent>();
            var weights = new Dictionary<RealServerId, int>();
            var services = new List<LvsServiceEntry>();
            var draining = new HashSet<RealServerId>();
            foreach (var s in doc.Services)
            {
                live.Services.TryGetValue(s.Key, out var liveSvc);
                if (s.RealServers is not { } listed)
                {
                    services.Add(Entry(s.Service, null));
                    continue;
                }
                var want = new List<LvsRealServer>();
                int healthySum = 0;
                foreach (var r in listed)
                {
                    bool healthy = !r.Maintenance && (!r.Probed || !_health.TryGetValue(r.Id, out var h) || h.Health.Healthy);
                    if (healthy)
                    {
                        healthySum += r.Server.Weight;
                        want.Add(r.Server);
                    }
                    else if (r.Maintenance || !s.RemoveOnFailure)
                    {
                        want.Add(r.Server with { Weight = 0 });
                    }
                }
                if (Quorum(s, healthySum, now, events) && s.SorryServer is { } sorry)
                {
                    // As keepalived: while the quorum is lost the sorry server takes the traffic, the servers still
                    // healthy are held at weight 0 (their established connections go on) until the quorum is back.
                    for (int i = 0; i < want.Count; i++)
                        want[i] = want[i] with { Weight = 0 };
                    want.Add(sorry);
                }
                var inDocument = listed.Select(r => (r.Server.Address, r.Server.Port)).ToHashSet();
                if (s.SorryServer is { } sorryServer)
                    inDocument.Add((sorryServer.Address, sorryServer.Port));
                foreach (var have in (liveSvc?.RealServers.Values ?? []).Where(h => !inDocument.Contains((h.Address, h.Port))))
                {
                    draining.Add(RealServerId.Of(have));
                    if (DrainStep(s, have, now, events) is { } held)
                        want.Add(held);
                }
                foreach (var w in want)
                {
                    var id = RealServerId.Of(w);
                    weights[id] = w.Weight;
                    if (_known.TryGetValue(id, out int set) && liveSvc?.RealServers.GetValueOrDefault((w.Address, w.Port)) is { } have
                        && have.Weight != set && have.Weight != w.Weight)
                        events.Add(Event(now, LvsControllerEventKind.WeightRestored, s.Key, id.Endpoint,
                            $"weight {have.Weight} was set by hand (the controller had set {set}); set back to {w.Weight}"));
                }
                services.Add(Entry(s.Service, want));
            }
            foreach (var id in _drains.Keys.Where(k => !draining.Contains(k) && (!partial || doc.Keys.Contains(k.Service))).ToList())
                _drains.Remove(id);
            _reconciled = true;
            var d = doc.Document;
            var desired = new LvsConfigurationDocument
            {
                Services = services, Timeouts = d.Timeouts, SyncDaemons = d.SyncDaemons, VirtualIps = d.VirtualIps, Sysctls = d.Sysctls,
            };
            return new ReconcileResult(desired, doc.Scope(live), events, weights, doc.Keys, partial);
        }
    }

    /// <summary>
    /// Records the weights a cycle applied: a later difference in the kernel is a hand change. After a cycle that did not
    /// apply everything (a failure, a dry run) nothing is recorded for its services, so nothing is taken for a hand change.
    /// A partial reconcile replaces what is recorded for its own services only.
    /// </summary>
    public void Applied(ReconcileResult result, bool complete)
    {
        var empty = new Dictionary<RealServerId, int>();
        lock (_gate)
        {
            if (!result.Partial)
            {
                _known = complete ? result.Weights : empty;
                return;
            }
            var merged = _known.Where(k => !result.Scope.Contains(k.Key.Service)).ToDictionary();
            foreach (var (id, weight) in complete ? result.Weights : empty)
                merged[id] = weight;
            _known = merged;
        }
    }

    /// <summary>The services with a real server being drained (the controller looks at their connections every tick).</summary>
    public HashSet<ServiceKey> DrainingServices()
    {
        lock (_gate)
            return _drains.Where(d => !d.Value.Completed).Select(d => d.Key.Service).ToHashSet();
    }

    // Updates the service's quorum state; returns whether it is lost.
    private bool Quorum(ControlledService s, int healthySum, DateTimeOffset now, List<LvsControllerEvent> events)
    {
        bool lost = _quorumLost.GetValueOrDefault(s.Key);
        string sorry = s.SorryServer is { } r ? $"; sorry server {r.Endpoint}" : "";
        if (s.Quorum <= 0)
        {
            lost = false;
        }
        else if (!lost && healthySum < s.Quorum)
        {
            lost = true;
            events.Add(Event(now, LvsControllerEventKind.QuorumLost, s.Key, null,
                $"healthy weight {healthySum} is below the quorum {s.Quorum}{(sorry.Length > 0 ? sorry + " in" : "")}"));
        }
        else if (lost && healthySum >= s.Quorum + s.Hysteresis)
        {
            lost = false;
            events.Add(Event(now, LvsControllerEventKind.QuorumRegained, s.Key, null,
                $"healthy weight {healthySum} reached quorum {s.Quorum} + hysteresis {s.Hysteresis}{(sorry.Length > 0 ? sorry + " out" : "")}"));
        }
        _quorumLost[s.Key] = lost;
        return lost;
    }

    // A real server the document no longer lists: held at weight 0 while it drains (returned), absent once drained.
    // The verdict is the drain engine's (RealServerDrain.Evaluate); the weight 0 and the delete go through the planner's batch.
    private LvsRealServer? DrainStep(ControlledService s, LvsRealServer have, DateTimeOffset now, List<LvsControllerEvent> events)
    {
        var id = RealServerId.Of(have);
        if (!_drains.TryGetValue(id, out var drain))
        {
            _drains[id] = drain = new Drain(RealServerDrain.Resume(have, s.DrainTimeout, waitForUdp: false, now));
            string how = !_reconciled && have.Weight == 0 ? "found at weight 0: its drain goes on" : $"weight {have.Weight} -> 0";
            events.Add(Event(now, LvsControllerEventKind.DrainStarted, s.Key, id.Endpoint,
                $"no longer in the document: {how}; deleted when its connections end or after {s.DrainTimeout}"));
        }
        var status = drain.Engine.Evaluate(have, now);
        if (!status.Finished)
            return have with { Weight = 0 };
        if (!drain.Completed)
        {
            drain.Completed = true;
            string why = status.TimedOut
                ? $"drain timeout {s.DrainTimeout} passed with {status.ActiveConnections} active and {status.InactiveConnections} inactive connections"
                : drain.Engine.WaitsForConnections ? "no connections left" : "UDP: no connection to wait for";
            events.Add(Event(now, LvsControllerEventKind.DrainCompleted, s.Key, id.Endpoint, $"{why}: deleted"));
        }
        return null;
    }

    private static LvsServiceEntry Entry(LvsService service, List<LvsRealServer>? realServers)
    {
        var entry = LvsServiceEntry.From(service, realServers ?? []);
        if (realServers is null)
            entry.RealServers = null;
        return entry;
    }

    internal static LvsControllerEvent Event(DateTimeOffset now, LvsControllerEventKind kind, ServiceKey? service, string? realServer, string detail) =>
        new(now, kind, service?.ToString(), realServer, detail);
}
