using System.Buffers.Binary;
using LvsTools.Core.Netlink;
using static LvsTools.Core.Ipvs.IpvsNetlink;

namespace LvsTools.Core.Ipvs;

// Virtual services: IPVS_CMD_ATTR_SERVICE and its IPVS_SVC_ATTR_* (ip_vs_genl_parse_service / ip_vs_genl_fill_service).
internal static partial class IpvsCodec
{
    /// <summary>Parses the attributes nested in IPVS_CMD_ATTR_SERVICE.</summary>
    /// <param name="attributes">The nest's attributes.</param>
    /// <param name="netNamespace">The namespace the service was read from, carried by the result.</param>
    /// <exception cref="NetlinkProtocolException">The family or the identifying attributes are missing or malformed.</exception>
    internal static LvsService ReadService(ReadOnlySpan<byte> attributes, string? netNamespace = null)
    {
        var id = new KeyParts();
        uint flags = 0, timeout = 0;
        ReadOnlySpan<byte> netmask = default, stats32 = default, stats64 = default;
        bool hasNetmask = false, has32 = false, has64 = false;
        string scheduler = "";
        string? pe = null;
        List<UnknownAttribute>? unknown = null;
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            if (id.Take(a))
                continue;
            switch (a.Type)
            {
                case IPVS_SVC_ATTR_SCHED_NAME: scheduler = Name(a.Value); break;
                case IPVS_SVC_ATTR_PE_NAME: pe = Name(a.Value); break;
                case IPVS_SVC_ATTR_FLAGS:
                    if (a.Value.Length < 8)
                        throw new NetlinkProtocolException($"IPVS_SVC_ATTR_FLAGS of {a.Value.Length} bytes");
                    flags = NativeEndian.U32(a.Value) & NativeEndian.U32(a.Value[4..]);
                    break;
                case IPVS_SVC_ATTR_TIMEOUT: timeout = a.U32(); break;
                case IPVS_SVC_ATTR_NETMASK:
                    if (a.Value.Length < 4)
                        throw new NetlinkProtocolException($"IPVS_SVC_ATTR_NETMASK of {a.Value.Length} bytes");
                    netmask = a.Value; hasNetmask = true;
                    break;
                case IPVS_SVC_ATTR_STATS: stats32 = a.Value; has32 = true; break;
                case IPVS_SVC_ATTR_STATS64: stats64 = a.Value; has64 = true; break;
                default: UnknownAttribute.Keep(ref unknown, a); break;
            }
        }
        var key = id.ToKey();
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
            PersistenceNetmask = !hasNetmask ? IpvsadmSyntax.DefaultNetmask(key.Family)
                : key.Family == IPFamily.IPv6 ? NativeEndian.U32(netmask) : BinaryPrimitives.ReadUInt32BigEndian(netmask),
            Statistics = ChooseStatistics(stats32, has32, stats64, has64),
            HasStatistics64 = has64,
            UnknownAttributes = UnknownAttribute.Kept(unknown),
            NetNamespace = netNamespace,
        };
    }

    /// <summary>Parses a whole IPVS message payload (genlmsghdr + attributes) that carries IPVS_CMD_ATTR_SERVICE.</summary>
    internal static LvsService ReadServiceMessage(ReadOnlySpan<byte> payload, string? netNamespace = null)
    {
        IpvsNetlink.SplitGenl(payload, out var attrs);
        if (!IpvsNetlink.TryFind(attrs, IPVS_CMD_ATTR_SERVICE, out var svc))
            throw new NetlinkProtocolException("IPVS message without IPVS_CMD_ATTR_SERVICE");
        return ReadService(svc, netNamespace);
    }

    /// <summary>Parses the identifying attributes of a service nest (the others are ignored).</summary>
    internal static ServiceKey ReadServiceKey(ReadOnlySpan<byte> attributes)
    {
        var id = new KeyParts();
        foreach (var a in new NetlinkAttributeReader(attributes))
            id.Take(a);
        return id.ToKey();
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_SERVICE in the full form NEW_SERVICE and SET_SERVICE require, in ipvsadm 1.31's order:
    /// AF, PROTOCOL/ADDR/PORT or FWMARK, SCHED_NAME, PE_NAME (when set), FLAGS {flags without HASHED, mask ~0},
    /// TIMEOUT, NETMASK. With mask ~0 the kernel replaces every flag, so the service ends up exactly as described.
    /// </summary>
    internal static void WriteService(NetlinkWriter w, LvsService service)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_SERVICE);
        WriteServiceIdentity(w, service.Key);
        w.String(IPVS_SVC_ATTR_SCHED_NAME, service.Scheduler);
        if (!string.IsNullOrEmpty(service.PersistenceEngine))
            w.String(IPVS_SVC_ATTR_PE_NAME, service.PersistenceEngine);
        WriteServiceFlags(w, (uint)(service.Flags & ~ServiceFlags.Hashed));
        w.U32(IPVS_SVC_ATTR_TIMEOUT, IpvsadmSyntax.Seconds(service.PersistenceTimeout));
        WriteNetmask(w, service.AddressFamily, service.PersistenceNetmask);
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_SERVICE with only the identifying attributes: AF plus PROTOCOL, ADDR, PORT, or AF plus
    /// FWMARK. Enough for every command but NEW_SERVICE / SET_SERVICE (ip_vs_genl_parse_service, full_entry false).
    /// </summary>
    internal static void WriteServiceKey(NetlinkWriter w, ServiceKey key)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_SERVICE);
        WriteServiceIdentity(w, key);
    }

    /// <summary>AF, then FWMARK or PROTOCOL, ADDR (16 bytes), PORT (network order).</summary>
    internal static void WriteServiceIdentity(NetlinkWriter w, ServiceKey key)
    {
        w.U16(IPVS_SVC_ATTR_AF, Af(key.Family));
        if (key.IsFirewallMark)
        {
            w.U32(IPVS_SVC_ATTR_FWMARK, key.FirewallMark);
            return;
        }
        w.U16(IPVS_SVC_ATTR_PROTOCOL, (ushort)(key.Protocol ?? 0));
        WriteAddress(w, IPVS_SVC_ATTR_ADDR, key.Address ?? (key.Family == IPFamily.IPv6 ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any));
        w.BigEndianU16(IPVS_SVC_ATTR_PORT, key.Port);
    }

    /// <summary>struct ip_vs_flags: the flags, then the mask of the flags to change (all).</summary>
    internal static void WriteServiceFlags(NetlinkWriter w, uint flags)
    {
        Span<byte> f = stackalloc byte[8];
        NativeEndian.Put(f, flags);
        NativeEndian.Put(f[4..], uint.MaxValue);
        w.Attribute(IPVS_SVC_ATTR_FLAGS, f);
    }

    /// <summary>IPv4: the mask in network order (a __be32); IPv6: the prefix length in host order.</summary>
    internal static void WriteNetmask(NetlinkWriter w, IPFamily family, uint netmask)
    {
        Span<byte> m = stackalloc byte[4];
        if (family == IPFamily.IPv6)
            NativeEndian.Put(m, netmask);
        else
            BinaryPrimitives.WriteUInt32BigEndian(m, netmask);
        w.Attribute(IPVS_SVC_ATTR_NETMASK, m);
    }

    /// <summary>The identifying attributes of a service nest as they are read.</summary>
    private ref struct KeyParts
    {
        private ushort? _af, _proto, _port;
        private uint _mark;
        private ReadOnlySpan<byte> _addr;
        private bool _hasAddr;

        /// <summary>Takes the attribute if it identifies the service.</summary>
        public bool Take(in NetlinkAttribute a)
        {
            switch (a.Type)
            {
                case IPVS_SVC_ATTR_AF: _af = a.U16(); return true;
                case IPVS_SVC_ATTR_PROTOCOL: _proto = a.U16(); return true;
                case IPVS_SVC_ATTR_ADDR: _addr = a.Value; _hasAddr = true; return true;
                case IPVS_SVC_ATTR_PORT: _port = a.BigEndianU16(); return true;
                case IPVS_SVC_ATTR_FWMARK: _mark = a.U32(); return true;
                default: return false;
            }
        }

        public readonly ServiceKey ToKey()
        {
            var family = FamilyOf(_af ?? throw new NetlinkProtocolException("IPVS service without IPVS_SVC_ATTR_AF"));
            if (_mark != 0)
                return new ServiceKey(family, null, null, 0, _mark);
            if (_proto is null || !_hasAddr || _port is null)
                throw new NetlinkProtocolException("IPVS service with neither a firewall mark nor protocol, address and port");
            return new ServiceKey(family, (IpvsProtocol)_proto.Value, ReadAddress(_addr, family, "service"), _port.Value, 0);
        }
    }
}
