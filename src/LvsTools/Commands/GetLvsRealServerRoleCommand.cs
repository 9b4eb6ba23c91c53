using System.Management.Automation;
using System.Net;
using LvsTools.Core.Role;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Says whether a namespace is ready to be an LVS real server for the VIPs, and what is missing, without changing anything.
/// Without -VirtualAddress and -Mode it checks what Enable-LvsRealServerRole recorded there.
/// </summary>
[Cmdlet(VerbsCommon.Get, "LvsRealServerRole")]
[OutputType(typeof(RealServerRoleStatus))]
public sealed class GetLvsRealServerRoleCommand : RealServerRoleCommandBase
{
    /// <summary>The VIPs to check. Default: those Enable-LvsRealServerRole recorded in the namespace.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("VirtualIp", "Vip")]
    public IPAddress[]? VirtualAddress { get; set; }

    /// <summary>The forwarding method to check for. Default: the one recorded, else DirectRouting.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public RealServerMode? Mode { get; set; }

    /// <summary>The client-facing interface (both modes). Default: the one recorded, else that of the IPv4 default route.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Interface { get; set; }

    protected override void ProcessInNamespace()
    {
        try
        {
            var record = States.Load(Namespace);
            var mode = Mode ?? record?.Mode ?? RealServerMode.DirectRouting;
            var vips = VirtualAddress ?? record?.VirtualAddress.ToArray();
            if (vips is null || vips.Length == 0)
                throw LvsException.Invalid("RealServerRoleInvalid",
                    "Give -VirtualAddress: Enable-LvsRealServerRole recorded no virtual address here to check.", ItemNamespace);
            string? iface = Interface ?? (Mode is null ? record?.Interface : null);
            var request = RealServerRolePlanner.Validate(mode, vips, iface);
            var host = RoleHost();
            var snapshot = host.Read();
            string? client = request.Interface is { } given ? Route.RequireInterface(given).Name : RealServerRolePlanner.ClientInterface(request, snapshot);
            var steps = RealServerRolePlanner.Plan(request, snapshot, client);
            var missing = steps.Where(s => !s.AlreadySet).Select(RealServerRolePlanner.Describe)
                .Concat(RealServerRolePlanner.Conflicts(request, snapshot)).ToList();
            if (request.NeedsArpSteps && client is null)
                missing.Insert(0, "the client-facing interface is unknown (no IPv4 default route): give -Interface to check its arp_ignore and arp_announce");
            WriteObject(new RealServerRoleStatus
            {
                Mode = mode, VirtualAddress = request.VirtualAddress, Interface = client, Ready = missing.Count == 0,
                Missing = missing, Steps = steps, NetNamespace = ItemNamespace,
            });
        }
        catch (Exception e)
        {
            WriteLvsError(e, ItemNamespace);
        }
    }
}
