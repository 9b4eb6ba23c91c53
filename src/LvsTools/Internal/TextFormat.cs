using System.Text;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>Text renderings used by the views in LvsTools.format.ps1xml (the objects themselves stay typed).</summary>
public static class TextFormat
{
    private static readonly (InterfaceFlags Flag, string Name)[] IfconfigFlags =
    [
        (InterfaceFlags.Up, "UP"), (InterfaceFlags.Broadcast, "BROADCAST"), (InterfaceFlags.Debug, "DEBUG"),
        (InterfaceFlags.Loopback, "LOOPBACK"), (InterfaceFlags.PointToPoint, "POINTOPOINT"), (InterfaceFlags.NoTrailers, "NOTRAILERS"),
        (InterfaceFlags.Running, "RUNNING"), (InterfaceFlags.NoArp, "NOARP"), (InterfaceFlags.Promisc, "PROMISC"),
        (InterfaceFlags.AllMulti, "ALLMULTI"), (InterfaceFlags.Master, "MASTER"), (InterfaceFlags.Slave, "SLAVE"),
        (InterfaceFlags.Multicast, "MULTICAST"),
    ];

    /// <summary>The block `ifconfig` prints for an interface, with one `IF:N` block per labelled IPv4 alias.</summary>
    public static string Ifconfig(NetInterface i)
    {
        var sb = new StringBuilder();
        uint flags = (uint)i.Flags & 0xffff;
        var names = IfconfigFlags.Where(f => (i.Flags & f.Flag) != 0).Select(f => f.Name);
        sb.Append($"{i.Name}: flags={flags}<{string.Join(',', names)}>  mtu {i.Mtu}\n");
        var primary = i.Addresses.Where(a => a.AddressFamily == IPFamily.IPv4 && (a.Label is null || a.Label == i.Name)).ToList();
        foreach (var a in primary)
            sb.Append(Inet(a));
        foreach (var a in i.Addresses.Where(a => a.AddressFamily == IPFamily.IPv6))
            sb.Append($"        inet6 {a.IPAddress}  prefixlen {a.PrefixLength}  scopeid 0x{(int)a.Scope:x}<{ScopeName(a.Scope)}>\n");
        if (i.IsLoopback)
            sb.Append($"        loop  txqueuelen {i.TxQueueLength}  (Local Loopback)\n");
        else if (i.MacAddress is not null)
            sb.Append($"        ether {i.MacAddress}  txqueuelen {i.TxQueueLength}  ({(i.HardwareType == 1 ? "Ethernet" : "type " + i.HardwareType)})\n");
        var s = i.Statistics;
        sb.Append($"        RX packets {s.RxPackets}  bytes {s.RxBytes} ({Bytes(s.RxBytes)})\n");
        sb.Append($"        RX errors {s.RxErrors}  dropped {s.RxDropped}\n");
        sb.Append($"        TX packets {s.TxPackets}  bytes {s.TxBytes} ({Bytes(s.TxBytes)})\n");
        sb.Append($"        TX errors {s.TxErrors}  dropped {s.TxDropped} collisions {s.Collisions}\n");
        // Aliases: ifconfig shows each labelled address as its own interface, without counters.
        foreach (var a in i.Addresses.Where(a => a.AddressFamily == IPFamily.IPv4 && a.Label is not null && a.Label != i.Name))
        {
            sb.Append($"\n{a.Label}: flags={flags}<{string.Join(',', names)}>  mtu {i.Mtu}\n");
            sb.Append(Inet(a));
            if (i.MacAddress is not null && !i.IsLoopback)
                sb.Append($"        ether {i.MacAddress}  txqueuelen {i.TxQueueLength}  ({(i.HardwareType == 1 ? "Ethernet" : "type " + i.HardwareType)})\n");
        }
        return sb.ToString();
    }

    private static string Inet(NetAlias a) =>
        $"        inet {a.IPAddress}  netmask {a.SubnetMask}" + (a.Broadcast is not null ? $"  broadcast {a.Broadcast}" : "") + "\n";

    private static string ScopeName(AddressScope s) => s switch
    {
        AddressScope.Global => "global",
        AddressScope.Link => "link",
        AddressScope.Host => "host",
        AddressScope.Site => "site",
        _ => "nowhere",
    };

    /// <summary>Bytes as ifconfig shows them in parentheses: 1.2 KB, 3.4 MiB.</summary>
    public static string Bytes(ulong b)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB"];
        double v = b;
        int u = 0;
        while (v >= 1000 && u < units.Length - 1)
        {
            v /= 1000;
            u++;
        }
        return u == 0 ? $"{b}.0 B" : $"{v:0.0} {units[u]}";
    }

    /// <summary>Counts as ipvsadm --stats prints them: 1234, 56K, 7M.</summary>
    public static string Count(ulong n) => n switch
    {
        < 100_000 => n.ToString(),
        < 100_000_000 => $"{n / 1000}K",
        < 100_000_000_000 => $"{n / 1_000_000}M",
        _ => $"{n / 1_000_000_000}G",
    };
}
