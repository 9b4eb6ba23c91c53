using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>
/// A virtual service: the `TCP  10.0.0.1:80 wlc` lines of `ipvsadm -Ln`. A plain immutable record: built in code with
/// object initialisers, changed with <c>with</c>, read from and written to the kernel by the IPVS codec
/// (LvsTools.Core.Ipvs.IpvsCodec), which alone knows the wire form.
/// </summary>
public sealed record LvsService
{
    /// <summary>ipvsadm's persistence timeout when -p is given without a value.</summary>
    public static readonly TimeSpan DefaultPersistenceTimeout = TimeSpan.FromSeconds(300);

    /// <summary>ipvsadm's default scheduler.</summary>
    public const string DefaultScheduler = "wlc";

    private IPFamily? _family;
    private uint? _netmask;
    private int? _prefix;
    private ServiceFlags _flags;
    private IpvsProtocol? _protocol;
    private IPAddress? _address;
    private ushort _port;
    private uint? _mark;
    // The key, made on first use and forgotten when a member it is made of is set (a `with` sets them after the copy).
    private Remembered<ServiceKey> _key;

    /// <summary>IPv4 or IPv6. For address-based services it follows from <see cref="Address"/> unless set.</summary>
    public IPFamily AddressFamily
    {
        get => _family ?? (Address is { } a ? IPFamilies.Of(a) : IPFamily.IPv4);
        init => (_family, _key) = (value, default);
    }

    /// <summary>TCP, UDP or SCTP; null for a firewall-mark service.</summary>
    public IpvsProtocol? Protocol
    {
        get => _protocol;
        init => (_protocol, _key) = (value, default);
    }

    /// <summary>The virtual address; null for a firewall-mark service.</summary>
    public IPAddress? Address
    {
        get => _address;
        init => (_address, _key) = (value, default);
    }

    /// <summary>The virtual port (0 = any port; only for persistent services).</summary>
    public ushort Port
    {
        get => _port;
        init => (_port, _key) = (value, default);
    }

    /// <summary>The firewall mark of an fwmark service (ipvsadm -f); null for address-based services.</summary>
    public uint? FirewallMark
    {
        get => _mark;
        init => (_mark, _key) = (value, default);
    }

    /// <summary>The scheduler's name (rr, wlc, sh, ...); the kernel reports "none" for a service without one.</summary>
    public string Scheduler { get; init; } = DefaultScheduler;

    /// <summary>All flags as the kernel reports them (HASHED included); what is written back leaves HASHED out.</summary>
    public ServiceFlags Flags
    {
        get => _flags;
        init => _flags = value;
    }

    /// <summary>Persistent service (ipvsadm -p): a client keeps its real server for <see cref="PersistenceTimeout"/>.</summary>
    public bool Persistent
    {
        get => (_flags & ServiceFlags.Persistent) != 0;
        init => _flags = Set(_flags, ServiceFlags.Persistent, value);
    }

    /// <summary>How long a client sticks to its real server (whole seconds; ipvsadm -p N).</summary>
    public TimeSpan PersistenceTimeout { get; init; }

    /// <summary>
    /// The persistence granularity (ipvsadm -M). IPv4: the mask as a number, most significant byte first
    /// (255.255.255.0 = 0xFFFFFF00; default 0xFFFFFFFF = per client). IPv6: a prefix length, 1 to 128 (default 128).
    /// On the wire the IPv4 mask is network order and the IPv6 prefix length host order.
    /// </summary>
    public uint PersistenceNetmask
    {
        get => _netmask ?? (_prefix is { } p ? IpvsadmSyntax.NetmaskFromPrefix(AddressFamily, p) : IpvsadmSyntax.DefaultNetmask(AddressFamily));
        init => _netmask = value;
    }

    /// <summary>The persistence granularity as a prefix length; -1 for an IPv4 mask with holes (255.0.255.0).</summary>
    public int PersistencePrefixLength
    {
        get => IpvsadmSyntax.PrefixLengthOf(AddressFamily, PersistenceNetmask);
        init => _prefix = value;
    }

    /// <summary>The IPv4 persistence mask as an address (255.255.255.0); null for IPv6.</summary>
    public IPAddress? PersistenceMask => AddressFamily == IPFamily.IPv4 ? IpvsadmSyntax.MaskAddress(PersistenceNetmask) : null;

    /// <summary>The persistence engine (ipvsadm --pe; "sip" is the only one in the kernel); null for none.</summary>
    public string? PersistenceEngine { get; init; }

    /// <summary>One-packet scheduling (ipvsadm -o): every UDP datagram is scheduled on its own.</summary>
    public bool OnePacket
    {
        get => (_flags & ServiceFlags.OnePacket) != 0;
        init => _flags = Set(_flags, ServiceFlags.OnePacket, value);
    }

    /// <summary>Scheduler flag 1: sh-fallback / mh-fallback (another server when the chosen one is unavailable).</summary>
    public bool SchedulerFallback
    {
        get => (_flags & ServiceFlags.Sched1) != 0;
        init => _flags = Set(_flags, ServiceFlags.Sched1, value);
    }

    /// <summary>Scheduler flag 2: sh-port / mh-port (the source port joins the hash).</summary>
    public bool SchedulerPort
    {
        get => (_flags & ServiceFlags.Sched2) != 0;
        init => _flags = Set(_flags, ServiceFlags.Sched2, value);
    }

    /// <summary>The scheduler flags by ipvsadm's names: sh-fallback, sh-port, mh-fallback, mh-port, or flag-1..3.</summary>
    public IReadOnlyList<string> SchedulerFlagNames => IpvsadmSyntax.FormatSchedulerFlags(Scheduler, _flags);

    /// <summary>Counters and rates (zero for a service built in code).</summary>
    public IpvsStatistics Statistics { get; init; } = IpvsStatistics.Zero;

    /// <summary>The network namespace the service was read from (null: the current one).</summary>
    public string? NetNamespace { get; init; }

    /// <summary>Attributes this version does not know, kept as read so that nothing is lost.</summary>
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    /// <summary>True when the kernel sent IPVS_SVC_ATTR_STATS64 (kernel ≥ 4.1).</summary>
    internal bool HasStatistics64 { get; init; }

    /// <summary>The service's identity (one object per service, however often it is asked for).</summary>
    public ServiceKey Key => _key.Value ??= FirewallMark is { } m and not 0
        ? new ServiceKey(AddressFamily, null, null, 0, m)
        : new ServiceKey(AddressFamily, Protocol, Address, Port, 0);

    private static ServiceFlags Set(ServiceFlags flags, ServiceFlags bit, bool on) => on ? flags | bit : flags & ~bit;

    /// <summary>The service as a line of `ipvsadm -Ln`.</summary>
    public override string ToString() => IpvsadmSyntax.FormatService(this);
}
