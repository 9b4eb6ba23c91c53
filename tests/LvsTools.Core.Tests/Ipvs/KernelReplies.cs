using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using static LvsTools.Core.Ipvs.IpvsNetlink;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// The kernel's side of the IPVS family, for tests and fakes that play the kernel: replies written as the 6.1 kernel's
/// ip_vs_genl_fill_service / ip_vs_genl_fill_dest / ip_vs_genl_fill_stats(64) write them (nests without NLA_F_NESTED,
/// flags as reported, read-only counters, STATS and STATS64, kept unknown attributes). The module never writes these;
/// golden captures (IpvsGoldenTests) check that they match the real kernel byte for byte.
/// </summary>
internal static class KernelReplies
{
    /// <summary>IPVS_CMD_ATTR_SERVICE as the kernel fills it.</summary>
    /// <param name="s">The service.</param>
    /// <param name="w">The writer, positioned after the genlmsghdr.</param>
    /// <param name="align64">Insert the PAD attributes of a kernel without efficient unaligned access (UML).</param>
    public static void WriteReply(this LvsService s, NetlinkWriter w, bool align64 = false)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_SERVICE, flagged: false);
        IpvsCodec.WriteServiceIdentity(w, s.Key);
        w.String(IPVS_SVC_ATTR_SCHED_NAME, s.Scheduler);
        if (!string.IsNullOrEmpty(s.PersistenceEngine))
            w.String(IPVS_SVC_ATTR_PE_NAME, s.PersistenceEngine);
        IpvsCodec.WriteServiceFlags(w, (uint)s.Flags);
        w.U32(IPVS_SVC_ATTR_TIMEOUT, IpvsadmSyntax.Seconds(s.PersistenceTimeout));
        IpvsCodec.WriteNetmask(w, s.AddressFamily, s.PersistenceNetmask);
        s.Statistics.WriteKernelForm(w, IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64, align64);
        WriteUnknown(w, s.UnknownAttributes);
    }

    /// <summary>
    /// IPVS_CMD_ATTR_DEST as the 6.1 kernel fills it: TUN_* always, ADDR_FAMILY after the counters, STATS, STATS64,
    /// then kept unknown attributes.
    /// </summary>
    public static void WriteReply(this LvsRealServer r, NetlinkWriter w, bool align64 = false)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_DEST, flagged: false);
        WriteAddress(w, IPVS_DEST_ATTR_ADDR, r.Address);
        w.BigEndianU16(IPVS_DEST_ATTR_PORT, r.Port);
        w.U32(IPVS_DEST_ATTR_FWD_METHOD, (uint)r.ForwardingMethod);
        w.U32(IPVS_DEST_ATTR_WEIGHT, unchecked((uint)r.Weight));
        w.U8(IPVS_DEST_ATTR_TUN_TYPE, (byte)(r.TunnelType ?? 0));
        w.BigEndianU16(IPVS_DEST_ATTR_TUN_PORT, r.TunnelPort ?? 0);
        w.U16(IPVS_DEST_ATTR_TUN_FLAGS, (ushort)(r.TunnelChecksum ?? 0));
        w.U32(IPVS_DEST_ATTR_U_THRESH, r.UpperThreshold);
        w.U32(IPVS_DEST_ATTR_L_THRESH, r.LowerThreshold);
        w.U32(IPVS_DEST_ATTR_ACTIVE_CONNS, r.ActiveConnections);
        w.U32(IPVS_DEST_ATTR_INACT_CONNS, r.InactiveConnections);
        w.U32(IPVS_DEST_ATTR_PERSIST_CONNS, r.PersistentConnections);
        w.U16(IPVS_DEST_ATTR_ADDR_FAMILY, Af(r.AddressFamily));
        r.Statistics.WriteKernelForm(w, IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_STATS64, align64);
        WriteUnknown(w, r.UnknownAttributes);
    }

    /// <summary>
    /// The kernel's form of statistics: a legacy STATS nest (counts and rates truncated to 32 bits, as the kernel does)
    /// and a STATS64 nest.
    /// </summary>
    public static void WriteKernelForm(this IpvsStatistics s, NetlinkWriter w, ushort statsType, ushort stats64Type, bool align64 = false)
    {
        using (w.Nested(statsType, flagged: false))
        {
            w.U32(IPVS_STATS_ATTR_CONNS, (uint)s.Connections);
            w.U32(IPVS_STATS_ATTR_INPKTS, (uint)s.InPackets);
            w.U32(IPVS_STATS_ATTR_OUTPKTS, (uint)s.OutPackets);
            PutU64Aligned(w, IPVS_STATS_ATTR_INBYTES, s.InBytes, align64);
            PutU64Aligned(w, IPVS_STATS_ATTR_OUTBYTES, s.OutBytes, align64);
            w.U32(IPVS_STATS_ATTR_CPS, (uint)s.ConnectionsPerSecond);
            w.U32(IPVS_STATS_ATTR_INPPS, (uint)s.InPacketsPerSecond);
            w.U32(IPVS_STATS_ATTR_OUTPPS, (uint)s.OutPacketsPerSecond);
            w.U32(IPVS_STATS_ATTR_INBPS, (uint)s.InBytesPerSecond);
            w.U32(IPVS_STATS_ATTR_OUTBPS, (uint)s.OutBytesPerSecond);
        }
        using (w.Nested(stats64Type, flagged: false))
        {
            ulong[] all = [s.Connections, s.InPackets, s.OutPackets, s.InBytes, s.OutBytes, s.ConnectionsPerSecond, s.InPacketsPerSecond,
                s.OutPacketsPerSecond, s.InBytesPerSecond, s.OutBytesPerSecond];
            for (int i = 0; i < all.Length; i++)
                PutU64Aligned(w, (ushort)(i + 1), all[i], align64);
        }
    }

    /// <summary>The reply to IPVS_CMD_GET_CONFIG (IPVS_CMD_SET_CONFIG): the three timeouts, top level.</summary>
    public static void WriteReply(this LvsTimeouts t, NetlinkWriter w) => IpvsCodec.WriteTimeouts(w, t);

    /// <summary>The reply to IPVS_CMD_GET_INFO (IPVS_CMD_SET_INFO): IP_VS_VERSION_CODE and the table size.</summary>
    public static void WriteReply(this LvsInfo info, NetlinkWriter w)
    {
        w.U32(IPVS_INFO_ATTR_VERSION, (uint)((info.Version.Major << 16) | (info.Version.Minor << 8) | info.Version.Build));
        w.U32(IPVS_INFO_ATTR_CONN_TAB_SIZE, info.ConnectionTableSize);
    }

    /// <summary>
    /// IPVS_CMD_ATTR_DAEMON as ip_vs_genl_fill_daemon writes it (unflagged nest; STATE, MCAST_IFN, SYNC_ID, SYNC_MAXLEN,
    /// MCAST_PORT, MCAST_TTL, then MCAST_GROUP or MCAST_GROUP6), then kept unknown attributes.
    /// </summary>
    public static void WriteReply(this LvsSyncDaemon d, NetlinkWriter w)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_DAEMON, flagged: false);
        w.U32(IPVS_DAEMON_ATTR_STATE, (uint)d.State);
        w.String(IPVS_DAEMON_ATTR_MCAST_IFN, d.MulticastInterface);
        w.U32(IPVS_DAEMON_ATTR_SYNC_ID, d.SyncId);
        if (d.SyncMaxLength is { } len)
            w.U16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, len);
        if (d.MulticastPort is { } p)
            w.U16(IPVS_DAEMON_ATTR_MCAST_PORT, p);
        if (d.MulticastTtl is { } ttl)
            w.U8(IPVS_DAEMON_ATTR_MCAST_TTL, ttl);
        if (d.MulticastGroup is { } g)
            w.Address(g.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPVS_DAEMON_ATTR_MCAST_GROUP6 : IPVS_DAEMON_ATTR_MCAST_GROUP, g);
        WriteUnknown(w, d.UnknownAttributes);
    }

    /// <summary>Re-emits kept unknown attributes, so a read → write round trip loses nothing.</summary>
    private static void WriteUnknown(NetlinkWriter w, IReadOnlyList<UnknownAttribute> unknown)
    {
        foreach (var u in unknown)
            w.Attribute(u.Type, u.Value, u.IsNested);
    }

    /// <summary>
    /// A u64 as nla_put_u64_64bit writes it. On architectures without efficient unaligned access (User-mode Linux among
    /// them) the kernel first inserts an empty PAD attribute whenever the buffer's tail is 8-byte aligned, so that the
    /// value itself lands 8-byte aligned; x86-64 never pads.
    /// </summary>
    private static void PutU64Aligned(NetlinkWriter w, ushort type, ulong value, bool align64)
    {
        if (align64 && w.Length % 8 == 0)
            w.Attribute(IPVS_STATS_ATTR_PAD, ReadOnlySpan<byte>.Empty);
        w.U64(type, value);
    }
}
