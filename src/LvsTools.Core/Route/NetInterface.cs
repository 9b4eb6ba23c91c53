using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>RFC 2863 operational state (IFLA_OPERSTATE), as `ip link` shows it.</summary>
public enum OperationalState : byte
{
    Unknown = 0, NotPresent = 1, Down = 2, LowerLayerDown = 3, Testing = 4, Dormant = 5, Up = 6,
}

/// <summary>Interface flags (IFF_*), as ifconfig's flags=&lt;...&gt; shows them.</summary>
[Flags]
public enum InterfaceFlags : uint
{
    None = 0,
    Up = 0x1, Broadcast = 0x2, Debug = 0x4, Loopback = 0x8, PointToPoint = 0x10, NoTrailers = 0x20, Running = 0x40,
    NoArp = 0x80, Promisc = 0x100, AllMulti = 0x200, Master = 0x400, Slave = 0x800, Multicast = 0x1000,
    PortSel = 0x2000, AutoMedia = 0x4000, Dynamic = 0x8000, LowerUp = 0x10000, Dormant = 0x20000, Echo = 0x40000,
}

/// <summary>64-bit interface counters (IFLA_STATS64; IFLA_STATS on kernels without it), in the kernel's field order.</summary>
public sealed record InterfaceStatistics(ulong RxPackets, ulong TxPackets, ulong RxBytes, ulong TxBytes, ulong RxErrors,
    ulong TxErrors, ulong RxDropped, ulong TxDropped, ulong Multicast, ulong Collisions)
{
    /// <summary>All zero (a link the kernel sent no counters for).</summary>
    public static readonly InterfaceStatistics Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Reads the first ten counters of struct rtnl_link_stats64 (<paramref name="width"/> 8) or rtnl_link_stats (4).</summary>
    internal static InterfaceStatistics Parse(ReadOnlySpan<byte> v, int width)
    {
        Span<ulong> f = stackalloc ulong[10];
        for (int i = 0; i < f.Length && v.Length >= (i + 1) * width; i++)
            f[i] = width == 8 ? NativeEndian.U64(v[(i * 8)..]) : NativeEndian.U32(v[(i * 4)..]);
        return new InterfaceStatistics(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]);
    }
}

/// <summary>
/// A network interface (link) with its counters: what `ifconfig` and `ip -s link` show.
/// </summary>
public sealed class NetInterface
{
    public const ushort IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_QDISC = 6,
        IFLA_STATS = 7, IFLA_MASTER = 10, IFLA_TXQLEN = 13, IFLA_OPERSTATE = 16, IFLA_LINKINFO = 18,
        IFLA_IFALIAS = 20, IFLA_STATS64 = 23, IFLA_INFO_KIND = 1;

    /// <summary>Interface index.</summary>
    public int Index { get; init; }
    /// <summary>Interface name (eth0).</summary>
    public string Name { get; init; } = "";
    /// <summary>Link kind from IFLA_INFO_KIND (veth, dummy, bridge...); null for physical or loopback devices.</summary>
    public string? Kind { get; init; }
    /// <summary>ARPHRD_* hardware type (1 = Ethernet, 772 = loopback).</summary>
    public ushort HardwareType { get; init; }
    public InterfaceFlags Flags { get; init; }
    public OperationalState OperationalState { get; init; }
    public uint Mtu { get; init; }
    /// <summary>Link-layer address as aa:bb:cc:dd:ee:ff; null when the link has none.</summary>
    public string? MacAddress { get; init; }
    public string? LinkBroadcast { get; init; }
    public uint TxQueueLength { get; init; }
    public string? Qdisc { get; init; }
    /// <summary>The interface alias text (IFLA_IFALIAS, `ip link set dev X alias TEXT`), not an address alias.</summary>
    public string? Description { get; init; }
    public int? MasterIndex { get; init; }
    public InterfaceStatistics Statistics { get; init; } = InterfaceStatistics.Zero;
    /// <summary>The interface's addresses (filled in by Get-NetInterface; empty when not read).</summary>
    public IReadOnlyList<NetAlias> Addresses { get; set; } = [];
    /// <summary>The network namespace the interface was read from (null: the current one).</summary>
    public string? NetNamespace { get; set; }
    /// <summary>Attributes this version does not decode, kept as received.</summary>
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    public bool IsUp => (Flags & InterfaceFlags.Up) != 0;
    public bool IsLoopback => (Flags & InterfaceFlags.Loopback) != 0;

    /// <summary>Parses an RTM_NEWLINK payload (ifinfomsg + attributes).</summary>
    public static NetInterface Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 16)
            throw new NetlinkProtocolException($"RTM_NEWLINK of {payload.Length} bytes");
        ushort type = NativeEndian.U16(payload[2..]);
        int index = NativeEndian.I32(payload[4..]);
        uint flags = NativeEndian.U32(payload[8..]);
        string name = "";
        string? kind = null, mac = null, brd = null, qdisc = null, alias = null;
        uint mtu = 0, txq = 0;
        byte oper = 0;
        int? master = null;
        InterfaceStatistics? stats = null, stats32 = null;
        List<UnknownAttribute>? unknown = null;
        foreach (var a in new NetlinkAttributeReader(payload[16..]))
        {
            switch (a.Type)
            {
                case IFLA_IFNAME: name = a.String(); break;
                case IFLA_MTU: mtu = a.U32(); break;
                case IFLA_ADDRESS: mac = FormatMac(a.Value); break;
                case IFLA_BROADCAST: brd = FormatMac(a.Value); break;
                case IFLA_OPERSTATE: oper = a.U8(); break;
                case IFLA_TXQLEN: txq = a.U32(); break;
                case IFLA_QDISC: qdisc = a.String(); break;
                case IFLA_IFALIAS: alias = a.String(); break;
                case IFLA_MASTER: master = (int)a.U32(); break;
                case IFLA_STATS64: stats = InterfaceStatistics.Parse(a.Value, 8); break;
                case IFLA_STATS: stats32 = InterfaceStatistics.Parse(a.Value, 4); break;
                case IFLA_LINKINFO:
                    foreach (var i in a.Nested())
                        if (i.Type == IFLA_INFO_KIND)
                            kind = i.String();
                    break;
                default: UnknownAttribute.Keep(ref unknown, a); break;
            }
        }
        return new NetInterface
        {
            Index = index, Name = name, Kind = kind, HardwareType = type, Flags = (InterfaceFlags)flags,
            OperationalState = (OperationalState)oper, Mtu = mtu, MacAddress = mac, LinkBroadcast = brd,
            TxQueueLength = txq, Qdisc = qdisc, Description = alias, MasterIndex = master,
            Statistics = stats ?? stats32 ?? InterfaceStatistics.Zero, UnknownAttributes = UnknownAttribute.Kept(unknown),
        };
    }

    private static string? FormatMac(ReadOnlySpan<byte> v) =>
        v.Length == 0 ? null : string.Join(':', v.ToArray().Select(b => b.ToString("x2")));

    public override string ToString() => Name;
}
