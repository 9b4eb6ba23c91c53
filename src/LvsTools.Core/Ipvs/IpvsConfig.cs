using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>
/// The connection timeouts of `ipvsadm -L --timeout` / `ipvsadm --set tcp tcpfin udp`. When setting, zero means
/// "leave unchanged", as with ipvsadm (the kernel applies only the non-zero values).
/// </summary>
public sealed record LvsTimeouts
{
    /// <summary>Established TCP connections (kernel default 900 s).</summary>
    public TimeSpan Tcp { get; init; }

    /// <summary>TCP after a FIN (kernel default 120 s).</summary>
    public TimeSpan TcpFin { get; init; }

    /// <summary>UDP (kernel default 300 s).</summary>
    public TimeSpan Udp { get; init; }

    /// <summary>The network namespace the values were read from (null: the current one).</summary>
    public string? NetNamespace { get; init; }

    /// <summary>As `ipvsadm -L --timeout` prints it.</summary>
    public override string ToString() => IpvsadmSyntax.FormatTimeouts(this);
}

/// <summary>
/// A connection synchronisation daemon (`ipvsadm --start-daemon` / `ipvsadm -L --daemon`). The optional values are
/// null when not given; the kernel then uses its defaults (sync-maxlen from the MTU, group 224.0.0.81, port 8848,
/// ttl 1) and reports them back.
/// </summary>
public sealed record LvsSyncDaemon
{
    /// <summary>Master (sends) or backup (receives).</summary>
    public SyncDaemonState State { get; init; } = SyncDaemonState.Master;

    /// <summary>The interface the sync messages use (ipvsadm --mcast-interface; ipvsadm's default is eth0).</summary>
    public string MulticastInterface { get; init; } = "";

    /// <summary>The sync id (0-255; 0 = any on a backup).</summary>
    public uint SyncId { get; init; }

    /// <summary>The largest sync message (ipvsadm --sync-maxlen).</summary>
    public ushort? SyncMaxLength { get; init; }

    /// <summary>The multicast group, IPv4 or IPv6 (ipvsadm --mcast-group).</summary>
    public IPAddress? MulticastGroup { get; init; }

    /// <summary>The UDP port (ipvsadm --mcast-port).</summary>
    public ushort? MulticastPort { get; init; }

    /// <summary>The multicast TTL (ipvsadm --mcast-ttl).</summary>
    public byte? MulticastTtl { get; init; }

    /// <summary>The network namespace the daemon was read from (null: the current one).</summary>
    public string? NetNamespace { get; init; }

    /// <summary>Attributes this version does not know.</summary>
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    /// <summary>As `ipvsadm -L --daemon` prints it.</summary>
    public override string ToString() => IpvsadmSyntax.FormatDaemon(this);
}

/// <summary>What `ipvsadm --version` / the first line of `ipvsadm -L` tell: the IPVS version and table size.</summary>
public sealed record LvsInfo
{
    /// <summary>The IPVS version (0x010201 = 1.2.1).</summary>
    public required Version Version { get; init; }

    /// <summary>The connection hash table's size (module parameter conn_tab_bits; 4096 by default).</summary>
    public uint ConnectionTableSize { get; init; }

    /// <summary>The running kernel's release (uname -r).</summary>
    public string KernelVersion { get; init; } = "";

    /// <summary>The schedulers this kernel has: loaded modules, modules on disk and built-in ones.</summary>
    public IReadOnlyList<string> Schedulers { get; init; } = [];

    /// <summary>The network namespace the values were read from (null: the current one).</summary>
    public string? NetNamespace { get; init; }

    /// <summary>As ipvsadm's header line prints it.</summary>
    public override string ToString() => IpvsadmSyntax.FormatInfo(this);
}
