using System.Management.Automation;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Removes virtual IPs (addresses) from interfaces: `ifconfig eth0:1 down` / `ip addr del`.</summary>
[Cmdlet(VerbsCommon.Remove, "LvsVirtualIp", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject", ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NetAlias))]
public sealed class RemoveLvsVirtualIpCommand : LvsCommandBase
{
    /// <summary>Aliases from Get-NetAlias or Add-LvsVirtualIp.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    [ValidateNotNull]
    [RemoteObjectGuard]
    public NetAlias[] InputObject { get; set; } = [];

    /// <summary>The interface that has the address.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Address", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string InterfaceName { get; set; } = "";

    /// <summary>The address to remove (a /prefix suffix is allowed).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Address", ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ValidateNotNullOrEmpty]
    public string IPAddress { get; set; } = "";

    /// <summary>Only the address with this prefix length, when the same address is there with several.</summary>
    [Parameter(ParameterSetName = "Address")]
    public int? PrefixLength { get; set; }

    /// <summary>Write the removed aliases to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override string ErrorSubject => "NetAlias";

    protected override void ProcessInNamespace()
    {
        if (ParameterSetName == "InputObject")
        {
            // Each alias acts in the namespace it was read from, piped or given by parameter.
            foreach (var alias in InputObject)
                if (ActIn(alias.NetNamespace, alias, $"Address {alias.Cidr} on {alias.InterfaceName}"))
                    Remove(alias);
            return;
        }
        ActInParameterNamespace();
        NetAlias? found;
        try
        {
            var (ip, cidr) = IPNetworkMath.Parse(IPAddress);
            int? prefix = PrefixLength ?? cidr;
            var link = Route.RequireInterface(InterfaceName);
            found = Route.GetAddresses().FirstOrDefault(a => a.InterfaceIndex == link.Index && a.IPAddress.Equals(ip) && (prefix is null || a.PrefixLength == prefix));
        }
        catch (Exception e)
        {
            WriteLvsError(e, IPAddress);
            return;
        }
        if (found is null)
        {
            WriteError(new ErrorRecord(new ItemNotFoundException($"Address {IPAddress} is not on interface {InterfaceName}{Where}."),
                "NetAliasNotFound", ErrorCategory.ObjectNotFound, IPAddress));
            return;
        }
        Remove(found);
    }

    private void Remove(NetAlias alias)
    {
        var request = VirtualIpPlanner.ForDelete(alias);
        if (!ShouldProcess($"{alias.Cidr} on {alias.InterfaceName}{Where}", request.Describe("del")))
            return;
        try
        {
            WarnAboutSecondaries(alias);
            Route.DeleteAddress(request);
            if (PassThru)
                WriteObject(alias);
        }
        catch (Exception e)
        {
            WriteLvsError(e, alias);
        }
    }

    // Deleting a primary IPv4 address deletes its secondaries too unless promote_secondaries is set.
    private void WarnAboutSecondaries(NetAlias alias)
    {
        if (alias.AddressFamily != IPFamily.IPv4 || alias.IsSecondary)
            return;
        var secondaries = Route.GetAddresses(IPFamily.IPv4)
            .Where(a => a.InterfaceIndex == alias.InterfaceIndex && a.IsSecondary && a.PrefixLength == alias.PrefixLength &&
                        SameNetwork(a.IPAddress, alias.IPAddress, alias.PrefixLength))
            .ToList();
        if (secondaries.Count == 0)
            return;
        var key = SysctlName.FromComponents("net", "ipv4", "conf", alias.InterfaceName, "promote_secondaries");
        var promote = Sysctl.Exists(key) && Sysctl.Get(key).Value.Trim() != "0";
        if (!promote)
            WriteWarning($"{alias.Cidr} is the primary address of its subnet on {alias.InterfaceName}; the kernel also deletes its secondaries " +
                         $"({string.Join(", ", secondaries.Select(s => s.Cidr))}) because {key.Dotted} is 0.");
    }

    private static bool SameNetwork(System.Net.IPAddress a, System.Net.IPAddress b, int prefix)
    {
        var x = a.GetAddressBytes();
        var y = b.GetAddressBytes();
        for (int bit = 0; bit < prefix; bit++)
            if (((x[bit / 8] ^ y[bit / 8]) & (0x80 >> (bit % 8))) != 0)
                return false;
        return true;
    }
}
