using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LvsTools;

/// <summary>What New-LvsLab is asked for.</summary>
public sealed record LvsLabOptions
{
    /// <summary>The lab's name; null picks lvslab-XXXXXX.</summary>
    public string? Name { get; init; }
    public LvsLabMode Mode { get; init; }
    public IPFamily AddressFamily { get; init; } = IPFamily.IPv4;
    public int RealServerCount { get; init; } = 2;
    public bool SorryServer { get; init; }
    public ushort Port { get; init; } = 80;
}

/// <summary>The topology of a lab: how the director reaches its real servers (the IPVS forwarding method the user's script will use).</summary>
public enum LvsLabMode
{
    /// <summary>Client and real servers on two networks with the director routing between them (ipvsadm -m).</summary>
    Nat,
    /// <summary>Client, director and real servers on one Ethernet segment (ipvsadm -g).</summary>
    DirectRouting,
    /// <summary>Client, director and real servers on one segment; the director encapsulates (ipvsadm -i).</summary>
    Tunnel,
}

/// <summary>What a lab's HTTP server does with a connection.</summary>
public enum LvsLabServerState
{
    /// <summary>Answers 200 at once.</summary>
    Up,
    /// <summary>Does not listen: connections are refused (TCP RST), as by a stopped service.</summary>
    Down,
    /// <summary>Answers 200 after a delay.</summary>
    Slow,
    /// <summary>Accepts connections and never answers.</summary>
    Hang,
}

/// <summary>
/// A lab: network namespaces for a client, a director and real servers (plus a switch namespace holding the bridge),
/// with an HTTP server in every real server. Written to the state folder as JSON, so it can be found and removed by
/// another process.
/// </summary>
public sealed class LvsLab
{
    public required string Name { get; init; }
    public required LvsLabMode Mode { get; init; }
    public required IPFamily AddressFamily { get; init; }
    /// <summary>The client's namespace (where Invoke-LvsLabRequest sends from).</summary>
    public required string Client { get; init; }
    /// <summary>The director's namespace: the user's script configures IPVS here.</summary>
    public required string Director { get; init; }
    /// <summary>The namespace holding the bridge every segment hangs on.</summary>
    public required string Switch { get; init; }
    /// <summary>The real servers' namespaces, in order (rs1, rs2, ...).</summary>
    public required string[] RealServers { get; init; }
    /// <summary>The real servers' names, as their HTTP servers answer them.</summary>
    public required string[] RealServerNames { get; init; }
    public required IPAddress[] RealServerAddresses { get; init; }
    /// <summary>The sorry server's namespace (its HTTP server answers "sorry"), or null.</summary>
    public string? SorryServer { get; init; }
    public IPAddress? SorryServerAddress { get; init; }
    /// <summary>The virtual IP the lab plans: the user's script puts it on the director (VipInterface) and builds the service on it.</summary>
    public required IPAddress Vip { get; init; }
    /// <summary>The director's interface facing the client, where the VIP belongs.</summary>
    public required string VipInterface { get; init; }
    /// <summary>The TCP port every HTTP server listens on.</summary>
    public required ushort Port { get; init; }
    public required IPAddress ClientAddress { get; init; }
    /// <summary>The director's address on the client's network.</summary>
    public required IPAddress DirectorAddress { get; init; }
    /// <summary>The director's address on the real servers' network: their default gateway.</summary>
    public required IPAddress Gateway { get; init; }
    public required int PrefixLength { get; init; }
    public DateTimeOffset Created { get; init; }
    /// <summary>The process serving the lab's HTTP servers (0 until started).</summary>
    public int ServerProcessId { get; set; }
    /// <summary>False while New-LvsLab is still building the lab (or when it died doing so).</summary>
    public bool Complete { get; set; }
    /// <summary>The lab's state file.</summary>
    [JsonIgnore] public string StatePath { get; set; } = "";
    /// <summary>Ready (complete, every namespace and the server process there) or Broken (what a killed run leaves).</summary>
    [JsonIgnore] public string Status { get; set; } = "";

    /// <summary>Every namespace of the lab.</summary>
    [JsonIgnore]
    public string[] Namespaces => [Client, Director, Switch, .. RealServers, .. (SorryServer is null ? Array.Empty<string>() : [SorryServer])];

    /// <summary>The control socket of the lab's server process.</summary>
    [JsonIgnore] public string ControlPath => Path.ChangeExtension(StatePath, ".sock");

    /// <summary>The server process's log.</summary>
    [JsonIgnore] public string LogPath => Path.ChangeExtension(StatePath, ".log");

    /// <summary>The HTTP servers: (name, namespace, address) of every real server, then the sorry server.</summary>
    public IEnumerable<(string Name, string Namespace, IPAddress Address)> Servers()
    {
        for (int i = 0; i < RealServers.Length; i++)
            yield return (RealServerNames[i], RealServers[i], RealServerAddresses[i]);
        if (SorryServer is not null)
            yield return ("sorry", SorryServer, SorryServerAddress!);
    }

    public override string ToString() => Name;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(), new AddressConverter() },
    };

    private sealed class AddressConverter : JsonConverter<IPAddress>
    {
        public override IPAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            IPAddress.Parse(reader.GetString() ?? throw new JsonException("address expected"));

        public override void Write(Utf8JsonWriter writer, IPAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}

/// <summary>What one of a lab's HTTP servers is doing.</summary>
public sealed record LvsLabServerStatus(string Name, LvsLabServerState State, int DelayMilliseconds);
