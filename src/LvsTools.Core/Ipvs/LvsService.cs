using System.Buffers.Binary;
using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>
/// A virtual service: the `TCP  10.0.0.1:80 wlc` lines of `ipvsadm -Ln`. One type both parses the kernel's
/// IPVS_CMD_ATTR_SERVICE and writes the full-service form that IPVS_CMD_NEW_SERVICE / SET_SERVICE need.
/// Built in code with object initialisers; read from the kernel by <see cref="Parse"/>.
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

    /// <summary>IPv4 or IPv6. For address-based services it follows from <see cref="Address"/> unless set.</summary>
    public IPFamily AddressFamily
    {
        get => _family ?? (Address is { } a ? IpvsNetlink.FamilyOf(a) : IPFamily.IPv4);
        init => _family = value;
    }

    /// <summary>TCP, UDP or SCTP; null for a firewall-mark service.</summary>
    public IpvsProtocol? Protocol { get; init; }

    /// <summary>The virtual address; null for a firewall-mark service.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>The virtual port (0 = any port; only for persistent services).</summary>
    public ushort Port { get; init; }

    /// <summary>The firewall mark of an fwmark service (ipvsadm -f); null for address-based services.</summary>
    public uint? FirewallMark { get; init; }

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
    public string? NetNamespace { get; set; }

    /// <summary>Attributes this version does not know, kept as read and written back by <see cref="WriteReply"/>.</summary>
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    /// <summary>True when the kernel sent IPVS_SVC_ATTR_STATS64 (kernel ≥ 4.1).</summary>
    internal bool HasStatistics64 { get; init; }

    /// <summary>The service's identity.</summary>
    public ServiceKey Key => FirewallMark is { } m and not 0
        ? new ServiceKey(AddressFamily, null, null, 0, m)
        : new ServiceKey(AddressFamily, Protocol, Address, Port, 0);

    /// <summary>Parses the attributes nested in IPVS_CMD_ATTR_SERVICE.</summary>
    /// <exception cref="NetlinkProtocolException">The family or the identifying attributes are missing.</exception>
    public static LvsService Parse(ReadOnlySpan<byte> nestedServiceAttrs)
    {
        ushort? af = null, proto = null, port = null;
        uint mark = 0, flags = 0, timeout = 0;
        byte[]? addr = null, netmask = null;
        string scheduler = "";
        string? pe = null;
        IpvsStatistics? stats32 = null, stats64 = null;
        var unknown = new List<UnknownAttribute>();
        foreach (var a in new NetlinkAttributeReader(nestedServiceAttrs))
        {
            switch (a.Type)
            {
                case IpvsNetlink.IPVS_SVC_ATTR_AF: af = a.U16(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_PROTOCOL: proto = a.U16(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_ADDR: addr = a.ToArray(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_PORT: port = a.BigEndianU16(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_FWMARK: mark = a.U32(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_SCHED_NAME: scheduler = a.String(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_PE_NAME: pe = a.String(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_FLAGS:
                    if (a.Value.Length < 8)
                        throw new NetlinkProtocolException($"IPVS_SVC_ATTR_FLAGS of {a.Value.Length} bytes");
                    flags = NativeEndian.U32(a.Value) & NativeEndian.U32(a.Value[4..]);
                    break;
                case IpvsNetlink.IPVS_SVC_ATTR_TIMEOUT: timeout = a.U32(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_NETMASK:
                    if (a.Value.Length < 4)
                        throw new NetlinkProtocolException($"IPVS_SVC_ATTR_NETMASK of {a.Value.Length} bytes");
                    netmask = a.Value[..4].ToArray();
                    break;
                case IpvsNetlink.IPVS_SVC_ATTR_STATS: stats32 = IpvsStatistics.Parse(a.Value, is64: false); break;
                case IpvsNetlink.IPVS_SVC_ATTR_STATS64: stats64 = IpvsStatistics.Parse(a.Value, is64: true); break;
                default: unknown.Add(UnknownAttribute.From(a)); break;
            }
        }
        var key = ServiceKey.FromParts(af, proto, addr, port, mark);
        return new LvsService
        {
            AddressFamily = key.Family,
            Protocol = key.Protocol,
            Address = key.Address,
            Port = key.Port,
            FirewallMark = key.IsFirewallMark ? key.FirewallMark : null,
            Scheduler = scheduler,
            PersistenceEngine = string.IsNullOrEmpty(pe) ? null : pe,
            Flags = (ServiceFlags)flags,
            PersistenceTimeout = TimeSpan.FromSeconds(timeout),
            PersistenceNetmask = netmask is null ? DefaultNetmask(key.Family) : DecodeNetmask(key.Family, netmask),
            Statistics = stats64 ?? stats32 ?? IpvsStatistics.Zero,
            HasStatistics64 = stats64 is not null,
            UnknownAttributes = unknown,
        };
    }

    /// <summary>Parses a whole IPVS message payload (genlmsghdr + attributes) that carries IPVS_CMD_ATTR_SERVICE.</summary>
    public static LvsService ParseMessage(ReadOnlySpan<byte> genlPayload)
    {
        IpvsNetlink.SplitGenl(genlPayload, out var attrs);
        if (!IpvsNetlink.TryFind(attrs, IpvsNetlink.IPVS_CMD_ATTR_SERVICE, out var svc))
            throw new NetlinkProtocolException("IPVS message without IPVS_CMD_ATTR_SERVICE");
        return Parse(svc);
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_SERVICE in the full form NEW_SERVICE and SET_SERVICE require, in ipvsadm 1.31's order:
    /// AF, PROTOCOL/ADDR/PORT or FWMARK, SCHED_NAME, PE_NAME (when set), FLAGS {flags without HASHED, mask ~0},
    /// TIMEOUT, NETMASK. With mask ~0 the kernel replaces every flag, so the service ends up exactly as described.
    /// </summary>
    public void Write(NetlinkWriter w)
    {
        int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_SERVICE);
        Key.WriteIdentity(w);
        w.String(IpvsNetlink.IPVS_SVC_ATTR_SCHED_NAME, Scheduler);
        if (!string.IsNullOrEmpty(PersistenceEngine))
            w.String(IpvsNetlink.IPVS_SVC_ATTR_PE_NAME, PersistenceEngine);
        WriteFlags(w, (uint)(_flags & ~ServiceFlags.Hashed));
        w.U32(IpvsNetlink.IPVS_SVC_ATTR_TIMEOUT, TimeoutSeconds);
        WriteNetmask(w);
        w.EndNested(s);
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_SERVICE as the kernel's ip_vs_genl_fill_service does (no NLA_F_NESTED, flags as
    /// reported, STATS and STATS64, then any kept unknown attributes). For tests and fakes that play the kernel.
    /// </summary>
    /// <param name="w">The writer, positioned after the genlmsghdr.</param>
    /// <param name="align64">Insert the PAD attributes of a kernel without efficient unaligned access (UML).</param>
    public void WriteReply(NetlinkWriter w, bool align64 = false)
    {
        int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_SERVICE, flagged: false);
        Key.WriteIdentity(w);
        w.String(IpvsNetlink.IPVS_SVC_ATTR_SCHED_NAME, Scheduler);
        if (!string.IsNullOrEmpty(PersistenceEngine))
            w.String(IpvsNetlink.IPVS_SVC_ATTR_PE_NAME, PersistenceEngine);
        WriteFlags(w, (uint)_flags);
        w.U32(IpvsNetlink.IPVS_SVC_ATTR_TIMEOUT, TimeoutSeconds);
        WriteNetmask(w);
        Statistics.WriteKernelForm(w, IpvsNetlink.IPVS_SVC_ATTR_STATS, IpvsNetlink.IPVS_SVC_ATTR_STATS64, align64);
        IpvsNetlink.WriteUnknown(w, UnknownAttributes);
        w.EndNested(s);
    }

    internal uint TimeoutSeconds => (uint)Math.Clamp(PersistenceTimeout.TotalSeconds, 0, uint.MaxValue);

    private static void WriteFlags(NetlinkWriter w, uint flags)
    {
        Span<byte> f = stackalloc byte[8];
        NativeEndian.Put(f, flags);
        NativeEndian.Put(f[4..], uint.MaxValue);
        w.Attribute(IpvsNetlink.IPVS_SVC_ATTR_FLAGS, f);
    }

    private void WriteNetmask(NetlinkWriter w)
    {
        Span<byte> m = stackalloc byte[4];
        if (AddressFamily == IPFamily.IPv6)
            NativeEndian.Put(m, PersistenceNetmask);
        else
            BinaryPrimitives.WriteUInt32BigEndian(m, PersistenceNetmask);
        w.Attribute(IpvsNetlink.IPVS_SVC_ATTR_NETMASK, m);
    }

    private static uint DecodeNetmask(IPFamily family, byte[] raw) =>
        family == IPFamily.IPv6 ? NativeEndian.U32(raw) : BinaryPrimitives.ReadUInt32BigEndian(raw);

    /// <summary>The default persistence granularity: 0xFFFFFFFF (one client) for IPv4, 128 for IPv6.</summary>
    public static uint DefaultNetmask(IPFamily family) => IpvsadmSyntax.DefaultNetmask(family);

    /// <summary>The <see cref="PersistenceNetmask"/> value of a prefix length.</summary>
    public static uint NetmaskFromPrefix(IPFamily family, int prefix) => IpvsadmSyntax.NetmaskFromPrefix(family, prefix);

    /// <summary>An IPv4 <see cref="PersistenceNetmask"/> as a dotted mask.</summary>
    public static IPAddress MaskAddress(uint mask) => IpvsadmSyntax.MaskAddress(mask);

    private static ServiceFlags Set(ServiceFlags flags, ServiceFlags bit, bool on) => on ? flags | bit : flags & ~bit;

    /// <summary>The ipvsadm options after the service, as `ipvsadm -S` writes them (see <see cref="IpvsadmSyntax.ServiceOptions"/>).</summary>
    internal string IpvsadmOptions() => IpvsadmSyntax.ServiceOptions(this);

    /// <summary>The service as a line of `ipvsadm -Ln`.</summary>
    public override string ToString() => IpvsadmSyntax.FormatService(this);
}
