using LvsTools.Core.Ipvs;

namespace LvsTools;

/// <summary>Connection timeouts in seconds.</summary>
public sealed class LvsTimeoutsEntry
{
    public int Tcp { get; set; }
    public int TcpFin { get; set; }
    public int Udp { get; set; }

    public static LvsTimeoutsEntry From(LvsTimeouts t) => new()
    {
        Tcp = (int)t.Tcp.TotalSeconds,
        TcpFin = (int)t.TcpFin.TotalSeconds,
        Udp = (int)t.Udp.TotalSeconds,
    };

    public LvsTimeouts ToTimeouts() => new()
    {
        Tcp = TimeSpan.FromSeconds(Tcp),
        TcpFin = TimeSpan.FromSeconds(TcpFin),
        Udp = TimeSpan.FromSeconds(Udp),
    };
}

/// <summary>A sync daemon in a document.</summary>
public sealed class LvsSyncDaemonEntry
{
    /// <summary>master or backup.</summary>
    public string State { get; set; } = "master";
    public string MulticastInterface { get; set; } = "";
    public uint SyncId { get; set; }
    public int? SyncMaxLength { get; set; }
    public string? MulticastGroup { get; set; }
    public int? MulticastPort { get; set; }
    public int? MulticastTtl { get; set; }

    public static LvsSyncDaemonEntry From(LvsSyncDaemon d) => new()
    {
        State = d.State == SyncDaemonState.Backup ? "backup" : "master",
        MulticastInterface = d.MulticastInterface,
        SyncId = d.SyncId,
        SyncMaxLength = d.SyncMaxLength,
        MulticastGroup = d.MulticastGroup?.ToString(),
        MulticastPort = d.MulticastPort,
        MulticastTtl = d.MulticastTtl,
    };

    public LvsSyncDaemon ToSyncDaemon() => new()
    {
        State = State.ToLowerInvariant() switch
        {
            "master" => SyncDaemonState.Master,
            "backup" => SyncDaemonState.Backup,
            _ => throw LvsException.Invalid("InvalidSyncDaemonState", $"Sync daemon state '{State}' is not master or backup.", State),
        },
        MulticastInterface = MulticastInterface,
        SyncId = SyncId,
        SyncMaxLength = SyncMaxLength is { } l ? (ushort)l : null,
        MulticastGroup = MulticastGroup is null ? null : IPNetworkMath.ParseAddress(MulticastGroup),
        MulticastPort = MulticastPort is { } p ? (ushort)p : null,
        MulticastTtl = MulticastTtl is { } t ? (byte)t : null,
    };
}

/// <summary>A virtual IP alias in a document.</summary>
public sealed class LvsVirtualIpEntry
{
    public string InterfaceName { get; set; } = "";
    /// <summary>address/prefix.</summary>
    public string Address { get; set; } = "";
    public string? Label { get; set; }
    public string? Broadcast { get; set; }
}

/// <summary>A kernel parameter in a document.</summary>
public sealed class LvsSysctlEntry
{
    /// <summary>Dotted name.</summary>
    public string Name { get; set; } = "";
    public string Value { get; set; } = "";
}
