using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Adds real servers to a virtual service: `ipvsadm -a -t VIP:PORT -r RIP:PORT -m|-g|-i -w WEIGHT`.</summary>
[Cmdlet(VerbsCommon.Add, "LvsRealServer", SupportsShouldProcess = true, DefaultParameterSetName = "Service")]
[OutputType(typeof(LvsRealServer))]
public sealed class AddLvsRealServerCommand : RealServerCommandBase
{
    /// <summary>Real server addresses: 10.0.1.11, 10.0.1.11:8080, [2001:db8::11]:80.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("RealServer")]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = [];

    /// <summary>The real servers' port. Default: the port in -Address, else the service's port.</summary>
    [Parameter(Position = 1)]
    public int? Port { get; set; }

    /// <summary>Route (direct routing, -g; the default), Masquerade (NAT, -m), Tunnel (-i), Local, Bypass.</summary>
    [Parameter]
    [Alias("Forwarding")]
    public ForwardingMethod ForwardingMethod { get; set; } = ForwardingMethod.Route;

    /// <summary>Weight, 0 to 65535 (default 1); 0 takes the server out of rotation for new connections.</summary>
    [Parameter]
    public int Weight { get; set; } = 1;

    /// <summary>Upper connection threshold (ipvsadm -x); 0 = none.</summary>
    [Parameter]
    public long UpperThreshold { get; set; }

    /// <summary>Lower connection threshold (ipvsadm -y); 0 = none.</summary>
    [Parameter]
    public long LowerThreshold { get; set; }

    /// <summary>Tunnel encapsulation with -ForwardingMethod Tunnel: IpIp (default), Gue, Gre.</summary>
    [Parameter]
    public TunnelType? TunnelType { get; set; }

    /// <summary>The GUE destination port (ipvsadm --tun-port).</summary>
    [Parameter]
    public int? TunnelPort { get; set; }

    /// <summary>Tunnel checksum: None, Checksum, RemoteChecksum (ipvsadm --tun-nocsum/--tun-csum/--tun-remcsum).</summary>
    [Parameter]
    public TunnelChecksum? TunnelChecksum { get; set; }

    protected override void ProcessInNamespace()
    {
        if (!ActInServiceNamespace())
            return;
        ServiceKey service;
        try
        {
            service = SelectedService();
        }
        catch (Exception e)
        {
            WriteLvsError(e, VirtualAddress);
            return;
        }
        foreach (var text in Address)
        {
            LvsRealServer server;
            try
            {
                var (ip, port) = Endpoint(text);
                server = new LvsRealServer
                {
                    Service = service,
                    Address = ip,
                    Port = PortFor(Port, port, service),
                    ForwardingMethod = ForwardingMethod,
                    Weight = IpvsValidation.Weight(Weight),
                    UpperThreshold = Threshold(UpperThreshold, "-UpperThreshold"),
                    LowerThreshold = Threshold(LowerThreshold, "-LowerThreshold"),
                    TunnelType = TunnelType ?? (ForwardingMethod == ForwardingMethod.Tunnel && (TunnelPort is not null || TunnelChecksum is not null) ? LvsTools.TunnelType.IpIp : null),
                    TunnelPort = TunnelPort is { } tp ? IpvsParameters.Port(tp, "InvalidTunnelPort") : null,
                    TunnelChecksum = TunnelChecksum,
                    NetNamespace = ItemNamespace,
                };
            }
            catch (Exception e)
            {
                WriteLvsError(e, text);
                continue;
            }
            try
            {
                // The add and its read-back under the namespace's lock: what is written out is what this call added.
                LvsRealServer? added;
                using (this.HoldUnlessWhatIf(Namespace, Cancellation))
                {
                    if (!ShouldExecute(IpvsOperation.AddRealServer(server)))
                        continue;
                    added = Ipvs.GetRealServers(service).FirstOrDefault(r => r.Address.Equals(server.Address) && r.Port == server.Port);
                }
                if (added is not null)
                    WriteObject(added);
            }
            catch (Exception e)
            {
                WriteLvsError(IpvsParameters.Contextualize(e, service, server.Endpoint), server.Endpoint);
            }
        }
    }

    internal static uint Threshold(long value, string name) =>
        value is >= 0 and <= uint.MaxValue ? (uint)value
            : throw LvsException.Invalid("InvalidThreshold", $"{name} {value} is out of range: 0 to {uint.MaxValue}.", value);
}
