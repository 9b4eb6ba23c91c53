using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>The transport protocol of an address-based virtual service (IPPROTO_*).</summary>
public enum IpvsProtocol : ushort
{
    Tcp = 6,
    Udp = 17,
    Sctp = 132,
}

/// <summary>How packets reach a real server (IP_VS_CONN_F_* forwarding methods).</summary>
public enum ForwardingMethod : uint
{
    /// <summary>NAT: ipvsadm -m.</summary>
    Masquerade = 0,
    /// <summary>The real server is on this host (set by old kernels; ipvsadm cannot request it).</summary>
    Local = 1,
    /// <summary>IP-in-IP, GUE or GRE encapsulation: ipvsadm -i.</summary>
    Tunnel = 2,
    /// <summary>Direct routing (gatewaying): ipvsadm -g, ipvsadm's default.</summary>
    Route = 3,
    /// <summary>Cache bypass (kernel-internal).</summary>
    Bypass = 4,
}

/// <summary>The encapsulation of a <see cref="ForwardingMethod.Tunnel"/> real server (IP_VS_CONN_F_TUNNEL_TYPE_*).</summary>
public enum TunnelType : byte
{
    IpIp = 0,
    Gue = 1,
    Gre = 2,
}

/// <summary>Checksum handling of a GUE or GRE tunnel (IP_VS_TUNNEL_ENCAP_FLAG_*).</summary>
public enum TunnelChecksum : ushort
{
    None = 0,
    Checksum = 1,
    RemoteChecksum = 2,
}

/// <summary>Service flags (IP_VS_SVC_F_*). The kernel reports HASHED on every service in its table.</summary>
[Flags]
public enum ServiceFlags : uint
{
    None = 0,
    Persistent = 0x1,
    Hashed = 0x2,
    OnePacket = 0x4,
    /// <summary>Scheduler flag 1: sh-fallback / mh-fallback (flag-1 for other schedulers).</summary>
    Sched1 = 0x8,
    /// <summary>Scheduler flag 2: sh-port / mh-port (flag-2 for other schedulers).</summary>
    Sched2 = 0x10,
    /// <summary>Scheduler flag 3 (flag-3).</summary>
    Sched3 = 0x20,
}

/// <summary>The role of a connection synchronisation daemon (IP_VS_STATE_*).</summary>
public enum SyncDaemonState : uint
{
    Master = 1,
    Backup = 2,
}

/// <summary>
/// Counters and rates of a service or real server. Parsed from STATS64 (kernel ≥ 4.1, all 64-bit) when the kernel
/// sends it, else from the legacy STATS (counts and rates 32-bit, bytes 64-bit), so nothing wraps at 2^32 where the
/// kernel offers more. The kernel folds its per-CPU counters in about every 2 seconds: fresh traffic shows up late.
/// </summary>
public sealed record IpvsStatistics
{
    /// <summary>Connections scheduled.</summary>
    public ulong Connections { get; init; }
    public ulong InPackets { get; init; }
    public ulong OutPackets { get; init; }
    public ulong InBytes { get; init; }
    public ulong OutBytes { get; init; }
    public ulong ConnectionsPerSecond { get; init; }
    public ulong InPacketsPerSecond { get; init; }
    public ulong OutPacketsPerSecond { get; init; }
    public ulong InBytesPerSecond { get; init; }
    public ulong OutBytesPerSecond { get; init; }

    /// <summary>All zero (what an object built in code, rather than read from the kernel, carries).</summary>
    public static readonly IpvsStatistics Zero = new();

    /// <summary>Parses the attributes nested in IPVS_*_ATTR_STATS64 (<paramref name="is64"/>) or IPVS_*_ATTR_STATS.</summary>
    public static IpvsStatistics Parse(ReadOnlySpan<byte> nested, bool is64)
    {
        ulong[] v = new ulong[11];
        foreach (var a in new NetlinkAttributeReader(nested))
        {
            if (a.Type is < 1 or > 10)
                continue; // IPVS_STATS_ATTR_PAD and anything newer
            bool wide = is64 || a.Type is IpvsNetlink.IPVS_STATS_ATTR_INBYTES or IpvsNetlink.IPVS_STATS_ATTR_OUTBYTES;
            v[a.Type] = wide && a.Value.Length >= 8 ? a.U64() : a.U32();
        }
        return new IpvsStatistics
        {
            Connections = v[1], InPackets = v[2], OutPackets = v[3], InBytes = v[4], OutBytes = v[5],
            ConnectionsPerSecond = v[6], InPacketsPerSecond = v[7], OutPacketsPerSecond = v[8],
            InBytesPerSecond = v[9], OutBytesPerSecond = v[10],
        };
    }

    /// <summary>
    /// Writes the kernel's form: a legacy STATS nest (counts and rates truncated to 32 bits, as the kernel does) and a
    /// STATS64 nest. Only replies carry statistics; this exists so that a parsed reply can be re-emitted exactly.
    /// </summary>
    public void WriteKernelForm(NetlinkWriter w, ushort statsType, ushort stats64Type, bool align64 = false)
    {
        int s = IpvsNetlink.BeginNest(w, statsType, flagged: false);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_CONNS, (uint)Connections);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_INPKTS, (uint)InPackets);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_OUTPKTS, (uint)OutPackets);
        IpvsNetlink.PutU64Aligned(w, IpvsNetlink.IPVS_STATS_ATTR_INBYTES, InBytes, IpvsNetlink.IPVS_STATS_ATTR_PAD, align64);
        IpvsNetlink.PutU64Aligned(w, IpvsNetlink.IPVS_STATS_ATTR_OUTBYTES, OutBytes, IpvsNetlink.IPVS_STATS_ATTR_PAD, align64);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_CPS, (uint)ConnectionsPerSecond);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_INPPS, (uint)InPacketsPerSecond);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_OUTPPS, (uint)OutPacketsPerSecond);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_INBPS, (uint)InBytesPerSecond);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_OUTBPS, (uint)OutBytesPerSecond);
        w.EndNested(s);
        s = IpvsNetlink.BeginNest(w, stats64Type, flagged: false);
        ulong[] all = [Connections, InPackets, OutPackets, InBytes, OutBytes, ConnectionsPerSecond, InPacketsPerSecond,
            OutPacketsPerSecond, InBytesPerSecond, OutBytesPerSecond];
        for (int i = 0; i < all.Length; i++)
            IpvsNetlink.PutU64Aligned(w, (ushort)(i + 1), all[i], IpvsNetlink.IPVS_STATS_ATTR_PAD, align64);
        w.EndNested(s);
    }
}

/// <summary>
/// What identifies a virtual service: family plus protocol, address and port, or family plus firewall mark.
/// <see cref="ToString"/> prints it as `ipvsadm -Ln` does ("TCP  10.0.0.1:80", "UDP  [2001:db8::1]:53", "FWM  7").
/// </summary>
public sealed record ServiceKey(IPFamily Family, IpvsProtocol? Protocol, IPAddress? Address, ushort Port, uint FirewallMark)
{
    /// <summary>An address-based service key; the family follows from the address.</summary>
    public static ServiceKey ForAddress(IpvsProtocol protocol, IPAddress address, ushort port) =>
        new(IpvsNetlink.FamilyOf(address), protocol, address, port, 0);

    /// <summary>A firewall-mark service key (ipvsadm -f MARK [-6]).</summary>
    public static ServiceKey ForFirewallMark(uint mark, IPFamily family = IPFamily.IPv4) => new(family, null, null, 0, mark);

    /// <summary>True for a firewall-mark service.</summary>
    public bool IsFirewallMark => FirewallMark != 0;

    /// <summary>The ipvsadm option that names the service: "-t 10.0.0.1:80", "--sctp-service [::1]:80", "-f 7 -6".</summary>
    public string IpvsadmArgument => IpvsadmSyntax.ServiceArgument(this);

    /// <summary>"10.0.0.1:80" or "[2001:db8::1]:80", as ipvsadm prints addresses with -n (the format files call it).</summary>
    public static string FormatEndpoint(IPAddress? address, ushort port) => IpvsadmSyntax.FormatEndpoint(address, port);

    /// <summary>The protocol's name as ipvsadm prints it ("TCP", "UDP", "SCTP").</summary>
    public static string ProtocolName(IpvsProtocol? protocol) => IpvsadmSyntax.ProtocolName(protocol);

    /// <summary>The service as the first column of `ipvsadm -Ln`.</summary>
    public override string ToString() => IpvsadmSyntax.FormatServiceKey(this);

    /// <summary>
    /// Writes IPVS_CMD_ATTR_SERVICE with only the identifying attributes: AF plus PROTOCOL, ADDR, PORT, or AF plus
    /// FWMARK. Enough for every command but NEW_SERVICE / SET_SERVICE (ip_vs_genl_parse_service, full_entry false).
    /// </summary>
    public void Write(NetlinkWriter w)
    {
        int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_SERVICE);
        WriteIdentity(w);
        w.EndNested(s);
    }

    internal void WriteIdentity(NetlinkWriter w)
    {
        w.U16(IpvsNetlink.IPVS_SVC_ATTR_AF, IpvsNetlink.Af(Family));
        if (IsFirewallMark)
        {
            w.U32(IpvsNetlink.IPVS_SVC_ATTR_FWMARK, FirewallMark);
        }
        else
        {
            w.U16(IpvsNetlink.IPVS_SVC_ATTR_PROTOCOL, (ushort)(Protocol ?? 0));
            IpvsNetlink.WriteAddress(w, IpvsNetlink.IPVS_SVC_ATTR_ADDR, Address ?? (Family == IPFamily.IPv6 ? IPAddress.IPv6Any : IPAddress.Any));
            w.BigEndianU16(IpvsNetlink.IPVS_SVC_ATTR_PORT, Port);
        }
    }

    /// <summary>Parses the identifying attributes of a service nest (the others are ignored).</summary>
    public static ServiceKey ParseAttributes(ReadOnlySpan<byte> nestedServiceAttrs)
    {
        ushort? af = null, proto = null, port = null;
        uint mark = 0;
        byte[]? addr = null;
        foreach (var a in new NetlinkAttributeReader(nestedServiceAttrs))
        {
            switch (a.Type)
            {
                case IpvsNetlink.IPVS_SVC_ATTR_AF: af = a.U16(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_PROTOCOL: proto = a.U16(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_ADDR: addr = a.ToArray(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_PORT: port = a.BigEndianU16(); break;
                case IpvsNetlink.IPVS_SVC_ATTR_FWMARK: mark = a.U32(); break;
            }
        }
        return FromParts(af, proto, addr, port, mark);
    }

    internal static ServiceKey FromParts(ushort? af, ushort? proto, byte[]? addr, ushort? port, uint mark)
    {
        var family = IpvsNetlink.FamilyOf(af ?? throw new NetlinkProtocolException("IPVS service without IPVS_SVC_ATTR_AF"));
        if (mark != 0)
            return new ServiceKey(family, null, null, 0, mark);
        if (proto is null || addr is null || port is null)
            throw new NetlinkProtocolException("IPVS service with neither a firewall mark nor protocol, address and port");
        int need = family == IPFamily.IPv6 ? 16 : 4;
        if (addr.Length < need)
            throw new NetlinkProtocolException($"IPVS service address of {addr.Length} bytes");
        return new ServiceKey(family, (IpvsProtocol)proto.Value, new IPAddress(addr.AsSpan(0, need)), port.Value, 0);
    }
}
