using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Changes real servers (weight, forwarding, thresholds, tunnel): `ipvsadm -e`. Settings not given stay as they are.</summary>
[Cmdlet(VerbsCommon.Set, "LvsRealServer", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(LvsRealServer))]
public sealed class SetLvsRealServerCommand : RealServerChangeCommandBase
{
    /// <summary>The new weight, 0 to 65535; 0 drains the server (no new connections). A server's other values stay as the kernel holds them.</summary>
    [Parameter]
    public int? Weight { get; set; }

    /// <summary>The new forwarding method.</summary>
    [Parameter]
    [Alias("Forwarding")]
    public ForwardingMethod? ForwardingMethod { get; set; }

    /// <summary>The new upper connection threshold; 0 = none.</summary>
    [Parameter]
    public long? UpperThreshold { get; set; }

    /// <summary>The new lower connection threshold; 0 = none.</summary>
    [Parameter]
    public long? LowerThreshold { get; set; }

    /// <summary>The new tunnel encapsulation (with Tunnel forwarding).</summary>
    [Parameter]
    public TunnelType? TunnelType { get; set; }

    /// <summary>The new GUE port.</summary>
    [Parameter]
    public int? TunnelPort { get; set; }

    /// <summary>The new tunnel checksum mode.</summary>
    [Parameter]
    public TunnelChecksum? TunnelChecksum { get; set; }

    protected override void Process(ServiceKey service, LvsRealServer piped)
    {
        // Read, merge and write under the namespace's lock: a concurrent Set of other settings is not undone.
        IDisposable held;
        try { held = this.HoldUnlessWhatIf(Namespace, Cancellation); }
        catch (Exception e) { WriteLvsError(e, piped.Endpoint); return; }
        using var _ = held;
        try
        {
            // Change what is asked, keep the rest as the kernel has it now (a piped object may be stale).
            var server = Ipvs.GetRealServers(service).FirstOrDefault(r => r.Address.Equals(piped.Address) && r.Port == piped.Port);
            if (server is null)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"Real server {piped.Endpoint} is not in virtual service {service}{Where}."),
                    "LvsRealServerNotFound", ErrorCategory.ObjectNotFound, piped.Endpoint));
                return;
            }
            var method = ForwardingMethod ?? server.ForwardingMethod;
            bool tunnel = method == LvsTools.ForwardingMethod.Tunnel;
            // Tunnel options asked for a server that does not tunnel would be dropped without a word.
            if (!tunnel && (TunnelType is not null || TunnelPort is not null || TunnelChecksum is not null))
                throw LvsException.Invalid("InvalidTunnelOption",
                    $"Tunnel type, port and checksum apply only to tunnel forwarding; {server.Endpoint} uses {method}: add -ForwardingMethod Tunnel.", method);
            var changed = server with
            {
                ForwardingMethod = method,
                Weight = Weight is { } w ? IpvsValidation.Weight(w) : server.Weight,
                UpperThreshold = UpperThreshold is { } u ? AddLvsRealServerCommand.Threshold(u, "-UpperThreshold") : server.UpperThreshold,
                LowerThreshold = LowerThreshold is { } l ? AddLvsRealServerCommand.Threshold(l, "-LowerThreshold") : server.LowerThreshold,
                TunnelType = tunnel ? TunnelType ?? server.TunnelType : null,
                TunnelPort = tunnel ? (TunnelPort is { } tp ? IpvsParameters.Port(tp, "InvalidTunnelPort") : server.TunnelPort) : null,
                TunnelChecksum = tunnel ? TunnelChecksum ?? server.TunnelChecksum : null,
            };
            // What the kernel holds is kept as it is (a keepalived or raw-netlink server may be outside ipvsadm's rules);
            // only what this call changes is held to them.
            IpvsValidation.RealServerChange(server, changed);
            if (!ShouldExecute(IpvsOperation.EditRealServer(changed) with { Validation = ValidationLevel.Kernel }))
                return;
            if (PassThru && Ipvs.GetRealServers(service).FirstOrDefault(r => r.Address.Equals(server.Address) && r.Port == server.Port) is { } after)
            {
                held.Dispose();
                WriteObject(after);
            }
        }
        catch (Exception e)
        {
            WriteLvsError(IpvsParameters.Contextualize(e, service, piped.Endpoint), piped.Endpoint);
        }
    }
}
