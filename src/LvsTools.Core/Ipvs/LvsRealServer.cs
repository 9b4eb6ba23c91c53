using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>
/// A real server (a "destination" to the kernel): the `-> 10.0.1.11:8080 Masq 3 0 0` lines of `ipvsadm -Ln`.
/// One type both parses the kernel's IPVS_CMD_ATTR_DEST and writes the full form NEW_DEST / SET_DEST need.
/// </summary>
public sealed record LvsRealServer
{
    private IPFamily? _family;

    /// <summary>The virtual service the real server belongs to.</summary>
    public required ServiceKey Service { get; init; }

    /// <summary>The real server's address.</summary>
    public required IPAddress Address { get; init; }

    /// <summary>The real server's port. For Route and Tunnel it must equal the service's port (ipvsadm forces it).</summary>
    public ushort Port { get; init; }

    /// <summary>
    /// IPv4 or IPv6. Read from IPVS_DEST_ATTR_ADDR_FAMILY; kernels before 3.18 do not send it and then the real server
    /// has the service's family (mixed families did not exist before). Built in code it follows from <see cref="Address"/>.
    /// </summary>
    public IPFamily AddressFamily
    {
        get => _family ?? IpvsNetlink.FamilyOf(Address);
        init => _family = value;
    }

    /// <summary>Masquerade (-m), Route (-g, ipvsadm's default) or Tunnel (-i).</summary>
    public ForwardingMethod ForwardingMethod { get; init; } = ForwardingMethod.Route;

    /// <summary>The relative capacity; 0 quiesces the server (no new connections). ipvsadm's default is 1.</summary>
    public int Weight { get; init; } = 1;

    /// <summary>Upper connection threshold (ipvsadm -x); 0 = none.</summary>
    public uint UpperThreshold { get; init; }

    /// <summary>Lower connection threshold (ipvsadm -y); 0 = 3/4 of the upper one.</summary>
    public uint LowerThreshold { get; init; }

    /// <summary>Active connections (read only).</summary>
    public uint ActiveConnections { get; init; }

    /// <summary>Inactive connections (read only).</summary>
    public uint InactiveConnections { get; init; }

    /// <summary>Persistence templates pointing at this server (read only).</summary>
    public uint PersistentConnections { get; init; }

    /// <summary>The encapsulation; null unless forwarding is Tunnel (ipvsadm's default there is ipip).</summary>
    public TunnelType? TunnelType { get; init; }

    /// <summary>The GUE destination port; null unless forwarding is Tunnel with GUE (the kernel reports 0 for ipip and GRE).</summary>
    public ushort? TunnelPort { get; init; }

    /// <summary>GUE/GRE checksum mode; null unless forwarding is Tunnel.</summary>
    public TunnelChecksum? TunnelChecksum { get; init; }

    /// <summary>Counters and rates (zero for a real server built in code).</summary>
    public IpvsStatistics Statistics { get; init; } = IpvsStatistics.Zero;

    /// <summary>The network namespace the real server was read from (null: the current one).</summary>
    public string? NetNamespace { get; set; }

    /// <summary>Attributes this version does not know, kept as read and written back by <see cref="WriteReply"/>.</summary>
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    /// <summary>True when the kernel sent IPVS_DEST_ATTR_ADDR_FAMILY (kernel ≥ 3.18).</summary>
    internal bool AddressFamilyReported { get; init; }

    /// <summary>True when the kernel sent IPVS_DEST_ATTR_STATS64 (kernel ≥ 4.1).</summary>
    internal bool HasStatistics64 { get; init; }

    /// <summary>"10.0.1.11:8080" or "[2001:db8::5]:80".</summary>
    public string Endpoint => IpvsadmSyntax.FormatEndpoint(Address, Port);

    /// <summary>Parses the attributes nested in IPVS_CMD_ATTR_DEST of a real server of <paramref name="service"/>.</summary>
    /// <exception cref="NetlinkProtocolException">ADDR or PORT is missing, or the address is too short for its family.</exception>
    public static LvsRealServer Parse(ReadOnlySpan<byte> nestedDestAttrs, ServiceKey service)
    {
        byte[]? addr = null;
        ushort? port = null, af = null;
        uint fwd = 0, weight = 0, uth = 0, lth = 0, active = 0, inactive = 0, persist = 0;
        byte? tunType = null;
        ushort? tunPort = null, tunFlags = null;
        IpvsStatistics? stats32 = null, stats64 = null;
        var unknown = new List<UnknownAttribute>();
        foreach (var a in new NetlinkAttributeReader(nestedDestAttrs))
        {
            switch (a.Type)
            {
                case IpvsNetlink.IPVS_DEST_ATTR_ADDR: addr = a.ToArray(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_PORT: port = a.BigEndianU16(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_FWD_METHOD: fwd = a.U32(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_WEIGHT: weight = a.U32(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_U_THRESH: uth = a.U32(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_L_THRESH: lth = a.U32(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_ACTIVE_CONNS: active = a.U32(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_INACT_CONNS: inactive = a.U32(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_PERSIST_CONNS: persist = a.U32(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_ADDR_FAMILY: af = a.U16(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_TUN_TYPE: tunType = a.U8(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_TUN_PORT: tunPort = a.BigEndianU16(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_TUN_FLAGS: tunFlags = a.U16(); break;
                case IpvsNetlink.IPVS_DEST_ATTR_STATS: stats32 = IpvsStatistics.Parse(a.Value, is64: false); break;
                case IpvsNetlink.IPVS_DEST_ATTR_STATS64: stats64 = IpvsStatistics.Parse(a.Value, is64: true); break;
                default: unknown.Add(UnknownAttribute.From(a)); break;
            }
        }
        if (addr is null || port is null)
            throw new NetlinkProtocolException("IPVS destination without IPVS_DEST_ATTR_ADDR or IPVS_DEST_ATTR_PORT");
        var family = af is { } f ? IpvsNetlink.FamilyOf(f) : service.Family;
        int need = family == IPFamily.IPv6 ? 16 : 4;
        if (addr.Length < need)
            throw new NetlinkProtocolException($"IPVS destination address of {addr.Length} bytes for {family}");
        var method = (ForwardingMethod)(fwd & IpvsNetlink.ForwardingMask);
        bool tunnel = method == ForwardingMethod.Tunnel;
        // The 6.1 kernel reports TUN_TYPE, TUN_PORT and TUN_FLAGS for every server; they mean something only for Tunnel,
        // and the port only for GUE (it reports 0 for ipip and GRE).
        bool gue = tunnel && tunType == (byte)LvsTools.TunnelType.Gue;
        return new LvsRealServer
        {
            Service = service,
            Address = new IPAddress(addr.AsSpan(0, need)),
            Port = port.Value,
            AddressFamily = family,
            ForwardingMethod = method,
            Weight = (int)weight,
            UpperThreshold = uth,
            LowerThreshold = lth,
            ActiveConnections = active,
            InactiveConnections = inactive,
            PersistentConnections = persist,
            TunnelType = tunnel && tunType is { } tt ? (TunnelType)tt : null,
            TunnelPort = gue || (tunnel && tunPort is not null and not 0) ? tunPort : null,
            TunnelChecksum = tunnel && tunFlags is { } tf ? (TunnelChecksum)tf : null,
            Statistics = stats64 ?? stats32 ?? IpvsStatistics.Zero,
            HasStatistics64 = stats64 is not null,
            AddressFamilyReported = af is not null,
            UnknownAttributes = unknown,
        };
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_DEST in the full form NEW_DEST / SET_DEST need, in ipvsadm 1.31's order: ADDR_FAMILY, ADDR,
    /// PORT, FWD_METHOD, WEIGHT, then TUN_TYPE, TUN_PORT, TUN_FLAGS for a Tunnel server, then U_THRESH, L_THRESH.
    /// ADDR_FAMILY is always sent, as ipvsadm 1.31 does: the 6.1 kernel takes the service's family when it is absent,
    /// which would make a mixed-family (tunnel) server impossible, and kernels before 3.18 ignore it. ipvsadm also
    /// sends zero TUN_* for other methods; leaving them out is the same to the kernel (absent = 0).
    /// </summary>
    public void Write(NetlinkWriter w)
    {
        int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_DEST);
        WriteIdentity(w);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_FWD_METHOD, (uint)ForwardingMethod & IpvsNetlink.ForwardingMask);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_WEIGHT, unchecked((uint)Weight));
        if (ForwardingMethod == ForwardingMethod.Tunnel)
        {
            w.U8(IpvsNetlink.IPVS_DEST_ATTR_TUN_TYPE, (byte)(TunnelType ?? LvsTools.TunnelType.IpIp));
            w.BigEndianU16(IpvsNetlink.IPVS_DEST_ATTR_TUN_PORT, TunnelPort ?? 0);
            w.U16(IpvsNetlink.IPVS_DEST_ATTR_TUN_FLAGS, (ushort)(TunnelChecksum ?? LvsTools.TunnelChecksum.None));
        }
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_U_THRESH, UpperThreshold);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_L_THRESH, LowerThreshold);
        w.EndNested(s);
    }

    /// <summary>Writes IPVS_CMD_ATTR_DEST with only what identifies the server (for DEL_DEST): ADDR_FAMILY, ADDR, PORT.</summary>
    public static void WriteKey(NetlinkWriter w, IPAddress address, ushort port)
    {
        int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_DEST);
        w.U16(IpvsNetlink.IPVS_DEST_ATTR_ADDR_FAMILY, IpvsNetlink.Af(IpvsNetlink.FamilyOf(address)));
        IpvsNetlink.WriteAddress(w, IpvsNetlink.IPVS_DEST_ATTR_ADDR, address);
        w.BigEndianU16(IpvsNetlink.IPVS_DEST_ATTR_PORT, port);
        w.EndNested(s);
    }

    private void WriteIdentity(NetlinkWriter w)
    {
        w.U16(IpvsNetlink.IPVS_DEST_ATTR_ADDR_FAMILY, IpvsNetlink.Af(AddressFamily));
        IpvsNetlink.WriteAddress(w, IpvsNetlink.IPVS_DEST_ATTR_ADDR, Address);
        w.BigEndianU16(IpvsNetlink.IPVS_DEST_ATTR_PORT, Port);
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_DEST as the 6.1 kernel's ip_vs_genl_fill_dest does (no NLA_F_NESTED; TUN_* always; ADDR_FAMILY
    /// after the counters, unless the server was read from a kernel that did not send it; STATS, STATS64; unknown ones).
    /// </summary>
    /// <param name="w">The writer, positioned after the genlmsghdr.</param>
    /// <param name="align64">Insert the PAD attributes of a kernel without efficient unaligned access (UML).</param>
    public void WriteReply(NetlinkWriter w, bool align64 = false)
    {
        int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_DEST, flagged: false);
        IpvsNetlink.WriteAddress(w, IpvsNetlink.IPVS_DEST_ATTR_ADDR, Address);
        w.BigEndianU16(IpvsNetlink.IPVS_DEST_ATTR_PORT, Port);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_FWD_METHOD, (uint)ForwardingMethod);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_WEIGHT, unchecked((uint)Weight));
        w.U8(IpvsNetlink.IPVS_DEST_ATTR_TUN_TYPE, (byte)(TunnelType ?? 0));
        w.BigEndianU16(IpvsNetlink.IPVS_DEST_ATTR_TUN_PORT, TunnelPort ?? 0);
        w.U16(IpvsNetlink.IPVS_DEST_ATTR_TUN_FLAGS, (ushort)(TunnelChecksum ?? 0));
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_U_THRESH, UpperThreshold);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_L_THRESH, LowerThreshold);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_ACTIVE_CONNS, ActiveConnections);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_INACT_CONNS, InactiveConnections);
        w.U32(IpvsNetlink.IPVS_DEST_ATTR_PERSIST_CONNS, PersistentConnections);
        w.U16(IpvsNetlink.IPVS_DEST_ATTR_ADDR_FAMILY, IpvsNetlink.Af(AddressFamily));
        Statistics.WriteKernelForm(w, IpvsNetlink.IPVS_DEST_ATTR_STATS, IpvsNetlink.IPVS_DEST_ATTR_STATS64, align64);
        IpvsNetlink.WriteUnknown(w, UnknownAttributes);
        w.EndNested(s);
    }

    /// <summary>The ipvsadm options after -r, as `ipvsadm -S` writes them (see <see cref="IpvsadmSyntax.RealServerOptions"/>).</summary>
    internal string IpvsadmOptions() => IpvsadmSyntax.RealServerOptions(this);

    /// <summary>The real server as a line of `ipvsadm -Ln`.</summary>
    public override string ToString() => IpvsadmSyntax.FormatRealServer(this);
}
