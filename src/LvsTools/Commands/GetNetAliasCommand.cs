using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists addresses with their labels (eth0:1), prefixes, masks, scopes and lifetimes: the `ip addr` view.</summary>
[Cmdlet(VerbsCommon.Get, "NetAlias")]
[OutputType(typeof(NetAlias))]
public sealed class GetNetAliasCommand : LvsCommandBase
{
    /// <summary>Only addresses on these interfaces; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? InterfaceName { get; set; }

    /// <summary>Only addresses with these labels (eth0:1); wildcards allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Label { get; set; }

    /// <summary>Only these addresses.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? IPAddress { get; set; }

    /// <summary>Only IPv4 or only IPv6 addresses.</summary>
    [Parameter]
    public IPFamily? AddressFamily { get; set; }

    protected override string ErrorSubject => "NetAlias";

    protected override void ProcessInNamespace()
    {
        var wanted = new List<System.Net.IPAddress>();
        foreach (var text in IPAddress ?? [])
        {
            try { wanted.Add(IPNetworkMath.ParseAddress(text)); }
            catch (Exception e) { ThrowLvsError(e, text); }
        }
        List<NetAlias> all;
        try
        {
            all = Route.GetAddresses(AddressFamily);
        }
        catch (Exception e)
        {
            ThrowLvsError(e, ItemNamespace);
            return;
        }
        IEnumerable<NetAlias> result = Filters.ByName(all, InterfaceName, a => a.InterfaceName, this, "InterfaceNotFound", "interface");
        if (Label is not null)
        {
            // A label is an interface name (at most 15 characters): a longer literal one can never match, so say so.
            foreach (var l in Label)
                if (l.Length > LvsTools.Core.Route.VirtualIpPlanner.MaxLabelLength && !WildcardPattern.ContainsWildcardCharacters(l))
                    ThrowLvsError(LvsException.Invalid("InvalidLabel",
                        $"'{l}' cannot be an address label: labels are at most {LvsTools.Core.Route.VirtualIpPlanner.MaxLabelLength} characters (such as eth0:1).", l));
            var patterns = Label.Select(l => WildcardPattern.Get(l, WildcardOptions.IgnoreCase)).ToArray();
            result = result.Where(a => patterns.Any(p => p.IsMatch(a.Label ?? "")));
        }
        if (wanted.Count > 0)
            result = result.Where(a => wanted.Contains(a.IPAddress));
        WriteObject(result, enumerateCollection: true);
    }
}
