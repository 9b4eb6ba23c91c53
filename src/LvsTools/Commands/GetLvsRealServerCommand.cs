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
        List<(System.Net.IPAddress Address, ushort? Port)>? wanted = null;
        try
        {
            foreach (var a in Address ?? [])
            {
                var (ip, port) = Endpoint(a);
                (wanted ??= []).Add((ip, SamePort(Port, port)));
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
        // Within a service, by address and port (the kernel lists newest first; ipvsadm -Ln sorts). The list is this call's
        // own, and no two real servers have the same service, address and port, so sorting it in place gives the one order
        // a stable sort would, without a sorted copy per piped service.
        servers.Sort(IpvsParameters.RealServerOrder);
        foreach (var r in servers)
        {
            if (Wanted(r, wanted) && (Port is not { } p || r.Port == p))
                WriteObject(r);
        }
    }

    private static bool Wanted(LvsRealServer r, List<(System.Net.IPAddress Address, ushort? Port)>? wanted) =>
        wanted is null || wanted.Exists(w => w.Address.Equals(r.Address) && (w.Port is null || w.Port == r.Port));
}
