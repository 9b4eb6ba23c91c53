using LvsTools.Core.Config;

namespace LvsTools.Core.Controller;

/// <summary>A real server as the controller runs it: the document's server (its weight is the document's), its check, maintenance.</summary>
/// <param name="Server">The real server the document describes.</param>
/// <param name="Check">Its health check (the server's own, else the service's); null or type None: never probed, always healthy.</param>
/// <param name="Maintenance">Held at weight 0 by the operator and never probed back in.</param>
internal sealed record ControlledRealServer(LvsRealServer Server, HealthCheck? Check, bool Maintenance)
{
    public RealServerId Id => RealServerId.Of(Server);

    /// <summary>Whether the server is probed at all.</summary>
    public bool Probed => !Maintenance && Check is { Type: not HealthCheckType.None };
}

/// <summary>
/// A service as the controller runs it: the service, its real servers (null: the document does not manage them), and
/// what the document says to do on failures.
/// </summary>
internal sealed record ControlledService
{
    public required LvsService Service { get; init; }

    /// <summary>The document's real servers (null: not managed, left alone like Sync leaves them).</summary>
    public IReadOnlyList<ControlledRealServer>? RealServers { get; init; }

    /// <summary>onFailure inhibit (weight 0, the default) or remove (deleted).</summary>
    public bool RemoveOnFailure { get; init; }

    /// <summary>The least sum of healthy weights (0: no quorum).</summary>
    public int Quorum { get; init; }

    /// <summary>How far above the quorum the sum must climb before the sorry server goes out.</summary>
    public int Hysteresis { get; init; }

    /// <summary>Servers start failed until proven healthy.</summary>
    public bool Alpha { get; init; }

    /// <summary>The server that takes the traffic while the quorum is lost (null: none).</summary>
    public LvsRealServer? SorryServer { get; init; }

    /// <summary>How long a real server the document removed may keep its connections before it is deleted.</summary>
    public TimeSpan DrainTimeout { get; init; }

    public ServiceKey Key => Service.Key;
}

/// <summary>A document as the controller runs it: the document itself (for the sections Sync applies) and its services.</summary>
internal sealed record ControlledDocument(LvsConfigurationDocument Document, IReadOnlyList<ControlledService> Services)
{
    /// <summary>The services the controller owns: the plan never touches another one.</summary>
    public HashSet<ServiceKey> Keys { get; } = Services.Select(s => s.Key).ToHashSet();

    /// <summary>
    /// The part of this document that manages <paramref name="keys"/> only: those services (a key the document does not
    /// list is left out) and no other section, so that a plan made of it touches nothing else (a reconcile of one service).
    /// </summary>
    public ControlledDocument Only(IReadOnlySet<ServiceKey> keys) =>
        new(new LvsConfigurationDocument { SchemaVersion = Document.SchemaVersion }, Services.Where(s => keys.Contains(s.Key)).ToList());

    /// <summary>The state of the kernel restricted to this document's services (the other sections as read).</summary>
    public LvsKernelState Scope(LvsKernelState live) => new()
    {
        Services = live.Services.Where(s => Keys.Contains(s.Key)).ToDictionary(s => s.Key, s => s.Value),
        Timeouts = live.Timeouts,
        SyncDaemons = live.SyncDaemons,
        VirtualIps = live.VirtualIps,
        Sysctls = live.Sysctls,
        RequestsSent = live.RequestsSent,
    };
}

/// <summary>How a document becomes what the controller runs.</summary>
internal static class ControlledDocuments
{
    /// <summary>A drain's length when the service gives no drainTimeout (5 minutes).</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The services of a (validated) document with their checks and policies, through the document's typed accessors:
    /// each real server's check (its own, else the service's), onFailure, quorum and hysteresis in force, alpha, the sorry
    /// server, the drain timeout.
    /// </summary>
    public static ControlledDocument From(LvsConfigurationDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var services = new List<ControlledService>();
        foreach (var e in doc.Services ?? [])
        {
            var service = e.ToService();
            services.Add(new ControlledService
            {
                Service = service,
                RealServers = e.RealServers?
                    .Select(r => new ControlledRealServer(r.ToRealServer(service.Key), e.HealthCheckFor(r), r.Maintenance == true))
                    .ToList(),
                RemoveOnFailure = e.OnFailure == LvsFailureAction.Remove,
                Quorum = e.EffectiveQuorum,
                Hysteresis = e.EffectiveHysteresis,
                Alpha = e.Alpha == true,
                SorryServer = e.SorryServerFor(service.Key),
                DrainTimeout = e.DrainTimeout ?? DefaultDrainTimeout,
            });
        }
        return new ControlledDocument(doc, services);
    }
}
