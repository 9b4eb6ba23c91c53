using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists network interfaces with their addresses and counters: the `ifconfig` / `ip -s link` view.</summary>
[Cmdlet(VerbsCommon.Get, "NetInterface")]
[OutputType(typeof(NetInterface))]
public sealed class GetNetInterfaceCommand : LvsCommandBase
{
    /// <summary>Interface names; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("InterfaceName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override string ErrorSubject => "NetInterface";

    protected override void ProcessInNamespace()
    {
        List<NetInterface> links;
        List<NetAlias> addresses;
        try
        {
            links = Route.GetInterfaces();
            addresses = Route.GetAddresses();
        }
        catch (Exception e)
        {
            ThrowLvsError(e, ItemNamespace);
            return;
        }
        foreach (var link in links)
            link.Addresses = addresses.Where(a => a.InterfaceIndex == link.Index).ToList();
        foreach (var link in Filters.ByName(links, Name, l => l.Name, this, "InterfaceNotFound", "interface"))
            WriteObject(link);
    }
}
