using LvsTools.Core.Config;
using System.Text.Json.Serialization;
using LvsTools.Core.Ipvs;

namespace LvsTools;

/// <summary>A real server in a document.</summary>
public sealed class LvsRealServerEntry
{
    public string Address { get; set; } = "";
    public int Port { get; set; }
    /// <summary>route, masquerade, tunnel, local or bypass.</summary>
    public string Forwarding { get; set; } = "route";
    public int Weight { get; set; } = 1;
    public uint UpperThreshold { get; set; }
    public uint LowerThreshold { get; set; }
    public LvsTunnelEntry? Tunnel { get; set; }
    /// <summary>schemaVersion 2: true holds the server at weight 0 (the operator's maintenance; never probed back in).</summary>
    public bool? Maintenance { get; set; }
    /// <summary>schemaVersion 2: this server's own health check, which replaces the service's.</summary>
    public LvsHealthCheckEntry? HealthCheck { get; set; }

    /// <summary>The real server a document check built from this entry, and which check (<see cref="LvsResolvedEntries"/>).</summary>
    [JsonIgnore]
    internal (LvsResolvedEntries By, LvsRealServer Server)? Resolved { get; set; }

    [JsonIgnore]
    internal string SortKey => $"{LvsServiceEntry.SortableAddress(Address)} {Port:D5}";

    /// <summary>The document entry of a real server.</summary>
    public static LvsRealServerEntry From(LvsRealServer r) => new()
    {
        Address = r.Address.ToString(),
        Port = r.Port,
        Forwarding = r.ForwardingMethod.ToString().ToLowerInvariant(),
        Weight = r.Weight,
        UpperThreshold = r.UpperThreshold,
        LowerThreshold = r.LowerThreshold,
        Tunnel = r.ForwardingMethod == ForwardingMethod.Tunnel
            ? new LvsTunnelEntry
            {
                Type = (r.TunnelType ?? TunnelType.IpIp).ToString().ToLowerInvariant(),
                Port = r.TunnelPort is { } p and not 0 ? p : null,
                Checksum = (r.TunnelChecksum ?? TunnelChecksum.None).ToString().ToLowerInvariant(),
            }
            : null,
    };

    /// <summary>
    /// The live real server this entry describes, in <paramref name="service"/>. A server in maintenance gets weight 0:
    /// this is the one place a document's weight becomes the kernel's, for Import, Sync, the rules text and the controller.
    /// </summary>
    public LvsRealServer ToRealServer(ServiceKey service) => ToRealServer(service, null, null);

    /// <summary>As <see cref="ToRealServer(ServiceKey)"/>, with the address and forwarding method the document check has
    /// already parsed from this entry (null: parsed here).</summary>
    internal LvsRealServer ToRealServer(ServiceKey service, System.Net.IPAddress? address, ForwardingMethod? forwarding)
    {
        if (forwarding is { } parsed)
            return Build(service, address, parsed);
        if (!Enum.TryParse<ForwardingMethod>(Forwarding, ignoreCase: true, out var method) || !Enum.IsDefined(method))
            throw LvsException.Invalid("InvalidForwardingMethod", $"Real server {Address}: forwarding '{Forwarding}' is not route, masquerade, tunnel, local or bypass.", Forwarding);
        return Build(service, address, method);
    }

    private LvsRealServer Build(ServiceKey service, System.Net.IPAddress? address, ForwardingMethod method)
    {
        if (Port is < 0 or > ushort.MaxValue)
            throw LvsException.Invalid("InvalidPort", $"Real server {Address}: port {Port} is out of range.", Port);
        TunnelType? type = null;
        TunnelChecksum? csum = null;
        if (method == ForwardingMethod.Tunnel && Tunnel is not null)
        {
            type = Enum.TryParse<TunnelType>(Tunnel.Type, true, out var t) && Enum.IsDefined(t) ? t
                : throw LvsException.Invalid("InvalidTunnelType", $"Real server {Address}: tunnel type '{Tunnel.Type}' is not ipip, gue or gre.", Tunnel.Type);
            csum = Tunnel.Checksum is null ? null : Enum.TryParse<TunnelChecksum>(Tunnel.Checksum, true, out var c) && Enum.IsDefined(c) ? c
                : throw LvsException.Invalid("InvalidTunnelChecksum", $"Real server {Address}: tunnel checksum '{Tunnel.Checksum}' is not none, checksum or remotechecksum.", Tunnel.Checksum);
        }
        return new LvsRealServer
        {
            Service = service,
            Address = address ?? IPNetworkMath.ParseAddress(Address),
            Port = (ushort)Port,
            ForwardingMethod = method,
            Weight = Maintenance == true ? 0 : Weight,
            UpperThreshold = UpperThreshold,
            LowerThreshold = LowerThreshold,
            TunnelType = type,
            TunnelPort = method == ForwardingMethod.Tunnel && Tunnel?.Port is { } p ? (ushort)p : null,
            TunnelChecksum = csum,
        };
    }
}

/// <summary>Tunnel options of a real server.</summary>
public sealed class LvsTunnelEntry
{
    /// <summary>ipip, gue or gre.</summary>
    public string Type { get; set; } = "ipip";
    public int? Port { get; set; }
    /// <summary>none, checksum or remotechecksum.</summary>
    public string? Checksum { get; set; }
}
