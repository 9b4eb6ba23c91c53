using System.Net;
using System.Text;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// The one place that knows the wire form of the generic netlink family "IPVS": it writes the requests' attributes
/// from the models (LvsService, LvsRealServer, LvsTimeouts, LvsSyncDaemon, ...) and reads the kernel's replies into
/// them. The models are plain records and know nothing of it. Decoding allocates only what the result holds: spans
/// are parsed in place, unknown attributes get a list only when there are some, and scheduler names are shared.
/// Byte order (see <see cref="IpvsNetlink"/>): host order throughout, except ports and the IPv4 persistence netmask.
/// </summary>
internal static partial class IpvsCodec
{
    /// <summary>A decoder of the attributes after the genlmsghdr (or inside a nest).</summary>
    internal delegate T Decoder<out T>(ReadOnlySpan<byte> attributes);

    /// <summary>
    /// The attributes nested in the top-level attribute <paramref name="attribute"/> of a reply whose command is
    /// <paramref name="command"/>; false for any other message (the kernel sends nothing else, but a dump may).
    /// </summary>
    internal static bool TryNested(ReadOnlySpan<byte> payload, byte command, ushort attribute, out ReadOnlySpan<byte> nested)
    {
        nested = default;
        return IpvsNetlink.SplitGenl(payload, out var attrs) == command && IpvsNetlink.TryFind(attrs, attribute, out nested);
    }

    /// <summary>The attributes after the genlmsghdr of a reply whose command is <paramref name="command"/>.</summary>
    internal static bool TryAttributes(ReadOnlySpan<byte> payload, byte command, out ReadOnlySpan<byte> attributes) =>
        IpvsNetlink.SplitGenl(payload, out attributes) == command;

    /// <summary>Parses the attributes nested in IPVS_*_ATTR_STATS64 (<paramref name="is64"/>) or IPVS_*_ATTR_STATS.</summary>
    internal static IpvsStatistics ReadStatistics(ReadOnlySpan<byte> nested, bool is64)
    {
        Span<ulong> v = stackalloc ulong[11];
        v.Clear();
        foreach (var a in new NetlinkAttributeReader(nested))
        {
            if (a.Type is < 1 or > 10)
                continue; // IPVS_STATS_ATTR_PAD and anything newer
            bool wide = is64 || a.Type is IpvsNetlink.IPVS_STATS_ATTR_INBYTES or IpvsNetlink.IPVS_STATS_ATTR_OUTBYTES;
            v[a.Type] = wide && a.Value.Length >= 8 ? a.U64() : a.U32();
        }
        // An idle object (no traffic yet, the common case in a large table) shares the one zero record: equal by value, and
        // 40,000 real servers read then cost no 96-byte statistics object each.
        if (!v.ContainsAnyExcept(0UL))
            return IpvsStatistics.Zero;
        return new IpvsStatistics
        {
            Connections = v[1], InPackets = v[2], OutPackets = v[3], InBytes = v[4], OutBytes = v[5],
            ConnectionsPerSecond = v[6], InPacketsPerSecond = v[7], OutPacketsPerSecond = v[8],
            InBytesPerSecond = v[9], OutBytesPerSecond = v[10],
        };
    }

    /// <summary>STATS64 when the kernel sent it, else the legacy STATS, else zero; only the chosen one is parsed.</summary>
    private static IpvsStatistics ChooseStatistics(ReadOnlySpan<byte> stats32, bool has32, ReadOnlySpan<byte> stats64, bool has64) =>
        has64 ? ReadStatistics(stats64, is64: true) : has32 ? ReadStatistics(stats32, is64: false) : IpvsStatistics.Zero;

    /// <summary>An address of <paramref name="family"/> from a union nf_inet_addr (IPv4 in the first 4 of 16 bytes).</summary>
    private static IPAddress ReadAddress(ReadOnlySpan<byte> raw, IPFamily family, string what)
    {
        int need = family == IPFamily.IPv6 ? 16 : 4;
        if (raw.Length < need)
            throw new NetlinkProtocolException($"IPVS {what} address of {raw.Length} bytes for {family}");
        return new IPAddress(raw[..need]);
    }

    // Names the kernel sends over and over (one per service): the same string object for each, not one per read.
    private static readonly (byte[] Utf8, string Name)[] SharedNames =
        [.. IpvsValidation.KnownSchedulers.Concat(IpvsValidation.KnownPersistenceEngines).Select(n => (Encoding.ASCII.GetBytes(n), n))];

    /// <summary>A NUL-terminated name; a known scheduler or engine name is returned without allocating.</summary>
    private static string Name(ReadOnlySpan<byte> value)
    {
        int nul = value.IndexOf((byte)0);
        var text = nul >= 0 ? value[..nul] : value;
        foreach (var (utf8, name) in SharedNames)
        {
            if (text.SequenceEqual(utf8))
                return name;
        }
        return Encoding.UTF8.GetString(text);
    }
}
