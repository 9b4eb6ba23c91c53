using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists virtual services with their settings and statistics: the service lines of `ipvsadm -Ln --stats`.</summary>
[Cmdlet(VerbsCommon.Get, "LvsService", DefaultParameterSetName = "Address")]
[OutputType(typeof(LvsService))]
public sealed class GetLvsServiceCommand : LvsCommandBase
{
    /// <summary>Only services on these virtual IPs.</summary>
    [Parameter(Position = 0, ParameterSetName = "Address", ValueFromPipelineByPropertyName = true)]
    [Alias("IPAddress", "Vip")]
    [ValidateNotNullOrEmpty]
    public string[]? VirtualAddress { get; set; }

    /// <summary>Only services of this protocol.</summary>
    [Parameter(ParameterSetName = "Address")]
    public IpvsProtocol? Protocol { get; set; }

    /// <summary>Only services on this virtual port.</summary>
    [Parameter(Position = 1, ParameterSetName = "Address")]
    public int? Port { get; set; }

    /// <summary>Only the firewall-mark services with these marks.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "FirewallMark")]
    public long[] FirewallMark { get; set; } = [];

    protected override string ErrorSubject => "LvsService";

    protected override void ProcessInNamespace()
    {
        var addresses = new List<System.Net.IPAddress>();
        try
        {
            foreach (var a in VirtualAddress ?? [])
                addresses.Add(IPNetworkMath.ParseAddress(a));
            // A mark no service can have is a mistake, not an empty answer.
            foreach (var m in FirewallMark)
                IpvsValidation.FirewallMark(m);
        }
        catch (Exception e)
        {
            ThrowLvsError(e);
        }
        List<LvsService> services;
        try
        {
            services = Ipvs.GetServices();
        }
        catch (Exception e)
        {
            ThrowLvsError(e, ItemNamespace);
            return;
        }
        IEnumerable<LvsService> result = services.OrderBy(s => s.Key, IpvsParameters.ServiceOrder);
        if (ParameterSetName == "FirewallMark")
            result = result.Where(s => s.FirewallMark is { } m && FirewallMark.Contains(m));
        if (addresses.Count > 0)
            result = result.Where(s => s.Address is not null && addresses.Contains(s.Address));
        if (Protocol is { } p)
            result = result.Where(s => s.Protocol == p);
        if (Port is { } port)
            result = result.Where(s => s.Port == port);
        bool filtered = addresses.Count > 0 || Port is not null || ParameterSetName == "FirewallMark";
        var list = result.ToList();
        if (filtered && list.Count == 0)
        {
            var what = new List<string>();
            if (ParameterSetName == "FirewallMark") what.Add("firewall mark " + string.Join(", ", FirewallMark));
            if (VirtualAddress is not null) what.Add("address " + string.Join(", ", VirtualAddress));
            if (Protocol is not null) what.Add("protocol " + Protocol);
            if (Port is not null) what.Add("port " + Port);
            var text = string.Join(", ", what);
            // The target is the offending value itself: the addresses, the marks, else the port.
            object target = VirtualAddress is not null ? string.Join(",", VirtualAddress)
                : ParameterSetName == "FirewallMark" ? string.Join(",", FirewallMark) : Port!.Value;
            WriteError(new ErrorRecord(new ItemNotFoundException($"No virtual service with {text}{Where}."), "LvsServiceNotFound",
                ErrorCategory.ObjectNotFound, target));
            return;
        }
        WriteObject(list, enumerateCollection: true);
    }
}
