using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists real servers with weights, connection counts and statistics: the `->` lines of `ipvsadm -Ln`.</summary>
[Cmdlet(VerbsCommon.Get, "LvsRealServer", DefaultParameterSetName = "All")]
[OutputType(typeof(LvsRealServer))]
public sealed class GetLvsRealServerCommand : RealServerCommandBase
{
    /// <summary>Only these real server addresses.</summary>
    [Parameter(Position = 0)]
    [Alias("RealServer")]
    [ValidateNotNullOrEmpty]
    public string[]? Address { get; set; }

    /// <summary>Only real servers on this port.</summary>
    [Parameter]
    public int? Port { get; set; }

    protected override void ProcessInNamespace()
    {
        var wanted = new List<(System.Net.IPAddress Address, ushort? Port)>();
        try
        {
            foreach (var a in Address ?? [])
            {
                var (ip, port) = Endpoint(a);
                wanted.Add((ip, SamePort(Port, port)));
            }
        }
        catch (Exception e)
        {
            ThrowLvsError(e);
        }
        if (!ActInServiceNamespace())
            return;
        List<LvsRealServer> servers;
        ServiceKey? key = null;
        try
        {
            if (ParameterSetName == "All")
            {
                servers = Ipvs.GetAllRealServers();
            }
            else
            {
                key = SelectedService();
                servers = Ipvs.GetRealServers(key);
            }
        }
        catch (Exception e)
        {
            WriteLvsError(key is null ? e : IpvsParameters.Contextualize(e, key), key?.ToString() ?? ItemNamespace);
            return;
        }
        // Within a service, by address and port (the kernel lists newest first; ipvsadm -Ln sorts).
        IEnumerable<LvsRealServer> result = servers
            .Order(IpvsParameters.RealServerOrder);
        if (wanted.Count > 0)
            result = result.Where(r => wanted.Any(w => w.Address.Equals(r.Address) && (w.Port is null || w.Port == r.Port)));
        if (Port is { } p)
            result = result.Where(r => r.Port == p);
        WriteObject(result, enumerateCollection: true);
    }
}
