using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools;

/// <summary>What a plan step does.</summary>
public enum LvsPlanAction
{
    Create,
    Update,
    Delete,
}

/// <summary>What a plan step acts on.</summary>
public enum LvsPlanObject
{
    Service,
    RealServer,
    Timeouts,
    SyncDaemon,
    VirtualIp,
    Sysctl,
}

/// <summary>Where a plan step stands.</summary>
public enum LvsPlanStatus
{
    /// <summary>Not sent (yet): a dry run, or the user declined it.</summary>
    Planned,
    Applied,
    Failed,
    /// <summary>Not sent because cancellation stopped the run first.</summary>
    NotRun,
}

/// <summary>
/// One change that converges the kernel to a document, with the exact operation that does it ("ipvsadm -a -t ...",
/// "ip addr add ...", "sysctl -w ..."), and after a run its outcome. Sync-LvsConfiguration and Import-LvsConfiguration
/// write these, so scripts and Pester tests can assert on the plan.
/// </summary>
public sealed class LvsPlanStep
{
    // A 50,000-step import keeps every step in its result: a step holds what every step has (action, object, status,
    // namespace, request) and puts what few steps have (changes, errors, addresses, sysctls, the formatted texts) in a
    // side object made only when one of them is set.
    private LvsPlanStatus _status = LvsPlanStatus.Planned;
    private Rare? _rare;
    private object? _request;

    private Rare More => _rare ??= new Rare();

    public required LvsPlanAction Action { get; init; }
    public required LvsPlanObject Object { get; init; }

    /// <summary>What it concerns: "TCP  10.0.0.1:80", "TCP  10.0.0.1:80 -> 10.0.1.11:8080", "net.ipv4.ip_forward".</summary>
    public string Target
    {
        get => _rare?.Target ?? (More.Target = Ipvs?.Target ?? "");
        init => More.Target = value;
    }

    /// <summary>The command-line twin of the request (for IPVS steps written when first asked for: a 50,000-step import
    /// that nobody prints never formats them).</summary>
    public string Operation
    {
        get => _rare?.Operation ?? (More.Operation = Ipvs?.Describe() ?? "");
        init => More.Operation = value;
    }
    /// <summary>For updates: what changes, "weight 1 -> 3; scheduler wlc -> wrr".</summary>
    public string? Changes
    {
        get => _rare?.Changes;
        init => SetRare(value, static (r, v) => r.Changes = v);
    }

    /// <summary>For updates: the settings that differ, each with the kernel's and the document's value (what <see cref="Changes"/> says).</summary>
    public IReadOnlyList<LvsPropertyDifference>? Differences
    {
        get => _rare?.Differences;
        init => SetRare(value, static (r, v) => r.Differences = v);
    }

    /// <summary>A sync daemon's stop that is the first half of its restart with other settings (the update that follows), not a removal.</summary>
    public bool Restart { get; init; }

    public LvsPlanStatus Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>Why the step failed.</summary>
    public string? Error
    {
        get => _rare?.Error;
        set => SetRare(value, static (r, v) => r.Error = v);
    }

    /// <summary>The failure itself, for error mapping.</summary>
    public LvsException? Exception
    {
        get => _rare?.Exception;
        set => SetRare(value, static (r, v) => r.Exception = v);
    }

    public string? NetNamespace { get; set; }

    /// <summary>The IPVS request the step sends (null for addresses and sysctls).</summary>
    /// <remarks>A create keeps only the service or real server it adds, and makes its operation (equal every time) when asked
    /// for: a 50,000-step import result then holds the objects it creates and no operation object beside each.</remarks>
    internal IpvsOperation? Ipvs
    {
        get => _request switch
        {
            LvsRealServer server => new IpvsOperation.RealServerAdd(server) { Validation = ValidationLevel.Kernel },
            LvsService service => new IpvsOperation.ServiceAdd(service) { Validation = ValidationLevel.Kernel },
            var other => (IpvsOperation?)other,
        };
        init => _request = value switch
        {
            IpvsOperation.RealServerAdd { Validation: ValidationLevel.Kernel } add => add.RealServer,
            IpvsOperation.ServiceAdd { Validation: ValidationLevel.Kernel } add => add.Service,
            _ => value,
        };
    }

    /// <summary>Whether the step sends an IPVS request (without making its operation).</summary>
    internal bool SendsIpvs => _request is not null;

    /// <summary>The step's operation was checked when its document was (the planner does not check it again).</summary>
    internal bool Checked { get; init; }

    /// <summary>The IPVS request the step sends (null for addresses and sysctls), e.g. for Sync -Drain to find the deletes of real servers.</summary>
    public IpvsOperation? IpvsRequest => Ipvs;

    internal AddressRequest? Address
    {
        get => _rare?.Address;
        init => SetRare(value, static (r, v) => r.Address = v);
    }

    internal (SysctlName Name, string Value)? Sysctl
    {
        get => _rare?.Sysctl;
        init => SetRare(value, static (r, v) => r.Sysctl = v);
    }

    public override string ToString() => $"{Action} {Object} {Target}: {Operation}";

    // A null (the default) needs no side object.
    private void SetRare<T>(T value, Action<Rare, T> set)
    {
        if (value is not null || _rare is not null)
            set(More, value);
    }

    private sealed class Rare
    {
        public string? Target, Operation, Changes, Error;
        public IReadOnlyList<LvsPropertyDifference>? Differences;
        public LvsException? Exception;
        public AddressRequest? Address;
        public (SysctlName Name, string Value)? Sysctl;
    }
}

/// <summary>The outcome of applying a plan.</summary>
public sealed class LvsApplyResult
{
    public required IReadOnlyList<LvsPlanStep> Steps { get; init; }
    public int Applied => Steps.Count(s => s.Status == LvsPlanStatus.Applied);
    public int Failed => Steps.Count(s => s.Status == LvsPlanStatus.Failed);
    public int NotRun => Steps.Count(s => s.Status is LvsPlanStatus.NotRun or LvsPlanStatus.Planned);
    public bool Cancelled { get; init; }
    /// <summary>Netlink requests sent, the reads of the current state included.</summary>
    public long RequestsSent { get; init; }
    /// <summary>Netlink requests that change something (0 when the kernel already matched the document).</summary>
    public long WritesSent { get; init; }
    public TimeSpan Elapsed { get; init; }
    public string? NetNamespace { get; init; }

    /// <summary>The document's sections that were applied (present, even if empty): services, timeouts, syncDaemons, virtualIps, sysctls.</summary>
    public IReadOnlyList<string> ManagedSections { get; init; } = [];

    /// <summary>What the document left out and so was left alone: top-level sections by name, "$.services[i].realServers" for a
    /// service listed without real servers.</summary>
    public IReadOnlyList<string> UnmanagedSections { get; init; } = [];

    public override string ToString() => $"{Applied} applied, {Failed} failed, {NotRun} not run" + (Cancelled ? " (cancelled)" : "");
}
