using System.Net;
using System.Net.Sockets;

namespace LvsTools.Core.Route;

/// <summary>What the user asked for when adding a virtual IP; the planner turns it into an <see cref="AddressRequest"/>.</summary>
public sealed record VirtualIpSpec
{
    public required string InterfaceName { get; init; }
    /// <summary>"10.0.0.100", "10.0.0.100/32" or an IPv6 address.</summary>
    public required string Address { get; init; }
    public int? PrefixLength { get; init; }
    public string? SubnetMask { get; init; }
    public string? Label { get; init; }
    public string? Broadcast { get; init; }
    public AddressScope? Scope { get; init; }
    public uint? ValidLifetime { get; init; }
    public uint? PreferredLifetime { get; init; }
    public bool NoPrefixRoute { get; init; }
}

/// <summary>
/// Validates a virtual IP and completes it the way ifconfig users expect: a /32 (/128) unless told otherwise,
/// the broadcast address computed as `brd +` does, and for IPv4 the next free `IF:N` label (eth0:1, eth0:2...).
/// Equivalent to: ifconfig eth0:1 VIP netmask MASK (ip addr add VIP/PREFIX brd + dev eth0 label eth0:1).
/// </summary>
public static class VirtualIpPlanner
{
    public const int MaxLabelLength = 15;

    /// <summary>Validates everything that can be checked without the kernel.</summary>
    public static (IPAddress Address, int Prefix) ParseAddress(VirtualIpSpec spec)
    {
        var (ip, cidrPrefix) = IPNetworkMath.Parse(spec.Address);
        bool v4 = ip.AddressFamily == AddressFamily.InterNetwork;
        int max = IPNetworkMath.MaxPrefix(ip.AddressFamily);
        int? prefix = cidrPrefix;
        if (spec.PrefixLength is { } p)
        {
            if (p < 0 || p > max)
                throw LvsException.Invalid("InvalidPrefixLength",
                    $"Prefix length {p} is out of range for {(v4 ? "IPv4" : "IPv6")} address {ip}: 0 to {max}.", p);
            if (cidrPrefix is { } c && c != p)
                throw LvsException.Invalid("ConflictingPrefixLength", $"'{spec.Address}' says /{c} but -PrefixLength says {p}.", p);
            prefix = p;
        }
        if (spec.SubnetMask is { } maskText)
        {
            if (!v4)
                throw LvsException.Invalid("InvalidSubnetMask", $"-SubnetMask applies to IPv4 only; give {ip} a -PrefixLength.", maskText);
            IPAddress mask;
            try { mask = IPNetworkMath.ParseAddress(maskText); }
            catch (LvsException) { throw LvsException.Invalid("InvalidSubnetMask", $"'{maskText}' is not a valid subnet mask.", maskText); }
            var fromMask = IPNetworkMath.PrefixFromMask(mask)
                ?? throw LvsException.Invalid("InvalidSubnetMask", $"'{maskText}' is not a contiguous subnet mask (such as 255.255.255.0).", maskText);
            if (prefix is { } q && q != fromMask)
                throw LvsException.Invalid("ConflictingPrefixLength", $"'{spec.Address}' says /{q} but -SubnetMask {maskText} means /{fromMask}.", maskText);
            prefix = fromMask;
        }
        if (IPNetworkMath.NotUnicastReason(ip) is { } why)
            throw LvsException.Invalid("InvalidIPAddress", $"{ip} is {why}, not a unicast address a virtual IP can be.", spec.Address);
        return (ip, prefix ?? max);
    }

    /// <summary>Checks a label: IPv4 only, at most 15 characters, the interface name or IF:suffix.</summary>
    public static void ValidateLabel(string label, string interfaceName, IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw LvsException.Invalid("InvalidLabel", $"Labels are an IPv4 feature; IPv6 address {address} cannot have label '{label}'.", label);
        if (label.Length > MaxLabelLength)
            throw LvsException.Invalid("InvalidLabel", $"Label '{label}' is {label.Length} characters long; the kernel allows at most {MaxLabelLength}.", label);
        if (label != interfaceName && !label.StartsWith(interfaceName + ":", StringComparison.Ordinal))
            throw LvsException.Invalid("InvalidLabel", $"Label '{label}' must be '{interfaceName}' or start with '{interfaceName}:' (like {interfaceName}:1).", label);
        if (label.Length == interfaceName.Length + 1 || label.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw LvsException.Invalid("InvalidLabel", $"Label '{label}' needs a suffix after ':' and no white space.", label);
    }

    /// <summary>The lowest N ≥ 1 such that IF:N is not a label on the interface yet.</summary>
    public static string NextFreeLabel(string interfaceName, IEnumerable<string?> labelsInUse)
    {
        var used = new HashSet<int>();
        string prefix = interfaceName + ":";
        foreach (var l in labelsInUse)
            if (l is not null && l.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(l[prefix.Length..], out int n))
                used.Add(n);
        int next = 1;
        while (used.Contains(next))
            next++;
        return Label(interfaceName, next);
    }

    /// <summary>IF:N, or InvalidLabel when that is longer than the kernel allows.</summary>
    internal static string Label(string interfaceName, int n)
    {
        string label = interfaceName + ":" + n;
        if (label.Length > MaxLabelLength)
            throw LvsException.Invalid("InvalidLabel",
                $"Interface name '{interfaceName}' is too long for an automatic label ('{label}' exceeds {MaxLabelLength} characters); give -Label.", interfaceName);
        return label;
    }

    /// <summary>Builds the request, asking the kernel for the interface and the labels already in use.</summary>
    public static AddressRequest Plan(RouteClient route, VirtualIpSpec spec) => Plan(new VirtualIpPlanContext(route), spec);

    /// <summary>
    /// Builds the request with a context that remembers interfaces and labels across calls, so that a pipeline of
    /// many aliases costs one address dump, and aliases planned earlier count as taken.
    /// </summary>
    public static AddressRequest Plan(VirtualIpPlanContext context, VirtualIpSpec spec)
    {
        var (ip, prefix) = ParseAddress(spec);
        IPAddress? brd = null;
        if (spec.Broadcast is { } b)
        {
            if (ip.AddressFamily != AddressFamily.InterNetwork)
                throw LvsException.Invalid("InvalidBroadcast", "A broadcast address applies to IPv4 only.", b);
            try { brd = IPNetworkMath.ParseAddress(b); }
            catch (LvsException) { throw LvsException.Invalid("InvalidBroadcast", $"'{b}' is not a valid broadcast address.", b); }
            if (brd.AddressFamily != AddressFamily.InterNetwork)
                throw LvsException.Invalid("InvalidBroadcast", $"'{b}' is not an IPv4 address.", b);
        }
        if (spec.Label is { } explicitLabel)
            ValidateLabel(explicitLabel, spec.InterfaceName, ip);
        if (!RouteClient.IsValidInterfaceName(spec.InterfaceName))
            throw LvsException.Invalid("InvalidInterfaceName", $"'{spec.InterfaceName}' is not a valid interface name.", spec.InterfaceName);
        if (spec.ValidLifetime is { } valid && spec.PreferredLifetime is { } preferred && preferred > valid)
            throw LvsException.Invalid("InvalidLifetime",
                $"The preferred lifetime {TimeSpan.FromSeconds(preferred)} is longer than the valid lifetime {TimeSpan.FromSeconds(valid)}: " +
                "an address stops being preferred before it stops being valid; give a preferred lifetime up to the valid one.", TimeSpan.FromSeconds(preferred));
        var link = context.RequireInterface(spec.InterfaceName);
        // An alias label names one address (ifconfig eth0:1); the interface's own name may label many.
        if (spec.Label is { } wanted && wanted != link.Name && context.LabelsOn(link.Index).Contains(wanted))
            throw LvsException.Invalid("InvalidLabel",
                $"Label '{wanted}' is already used by another address on {link.Name}: give another label, or leave -Label out for the next free one.", wanted);
        string? label = spec.Label;
        if (label is null && ip.AddressFamily == AddressFamily.InterNetwork)
            label = context.NextFreeLabel(link);
        if (label is not null)
            context.Reserve(link.Index, label);
        var scope = spec.Scope ?? (IPAddress.IsLoopback(ip) ? AddressScope.Host : AddressScope.Global);
        return new AddressRequest
        {
            InterfaceIndex = link.Index,
            InterfaceName = link.Name,
            Address = ip,
            PrefixLength = prefix,
            Broadcast = brd ?? IPNetworkMath.Broadcast(ip, prefix),
            Label = label,
            Scope = scope,
            Flags = spec.NoPrefixRoute ? AddressFlags.NoPrefixRoute : AddressFlags.None,
            ValidLifetime = spec.ValidLifetime,
            PreferredLifetime = spec.PreferredLifetime,
        };
    }

    /// <summary>The request that deletes an existing alias.</summary>
    public static AddressRequest ForDelete(NetAlias alias) => new()
    {
        InterfaceIndex = alias.InterfaceIndex,
        InterfaceName = alias.InterfaceName,
        Address = alias.IPAddress,
        PrefixLength = alias.PrefixLength,
        Peer = alias.Peer,
        Label = alias.AddressFamily == IPFamily.IPv4 && alias.Label != alias.InterfaceName ? alias.Label : null,
    };
}

/// <summary>
/// What planning many aliases needs to know, read once: interfaces by name and the IPv4 labels in use per interface
/// (one address dump), plus the labels planned so far.
/// </summary>
public sealed class VirtualIpPlanContext
{
    private readonly RouteClient _route;
    private readonly Dictionary<string, NetInterface> _links = new(StringComparer.Ordinal);
    private Dictionary<int, HashSet<string>>? _labels;

    public VirtualIpPlanContext(RouteClient route) => _route = route;

    public RouteClient Route => _route;

    /// <summary>The interface, asked of the kernel once.</summary>
    public NetInterface RequireInterface(string name)
    {
        if (!_links.TryGetValue(name, out var link))
            _links[name] = link = _route.RequireInterface(name);
        return link;
    }

    /// <summary>Labels in use on an interface: the kernel's (one dump for all interfaces) plus those planned here.</summary>
    public IEnumerable<string> LabelsOn(int index)
    {
        _labels ??= Addresses()
            .Where(a => a.AddressFamily == IPFamily.IPv4 && a.Label is not null)
            .GroupBy(a => a.InterfaceIndex)
            .ToDictionary(g => g.Key, g => g.Select(a => a.Label!).ToHashSet(StringComparer.Ordinal));
        return _labels.TryGetValue(index, out var set) ? set : [];
    }

    /// <summary>
    /// True when the interface already holds the address with that prefix length (what RTM_NEWADDR would refuse with
    /// EEXIST), whoever added it: asked of the kernel once (one dump of all addresses), then answered from memory.
    /// </summary>
    public bool Holds(AddressRequest request)
    {
        _held ??= Addresses().Select(a => (a.InterfaceIndex, a.IPAddress, (int)a.PrefixLength)).ToHashSet();
        return _held.Contains((request.InterfaceIndex, request.Address, request.PrefixLength));
    }

    private HashSet<(int, IPAddress, int)>? _held;

    /// <summary>The kernel's addresses, all families, dumped once for the labels and <see cref="Holds"/> alike.</summary>
    private List<NetAlias> Addresses() => _addresses ??= _route.GetAddresses();

    private List<NetAlias>? _addresses;

    /// <summary>Marks a label as taken by a planned alias.</summary>
    public void Reserve(int index, string label)
    {
        LabelsOn(index);
        if (!_labels!.TryGetValue(index, out var set))
            _labels[index] = set = new HashSet<string>(StringComparer.Ordinal);
        set.Add(label);
        if (_numbers.TryGetValue(index, out var numbers) && Number(numbers.Prefix, label) is { } n)
            numbers.Used.Add(n);
    }

    /// <summary>
    /// The lowest free IF:N on an interface, as <see cref="VirtualIpPlanner.NextFreeLabel"/> finds it, but remembering the
    /// numbers in use and where the search stopped, so that a pipeline of many aliases is not quadratic (labels are only
    /// ever taken within one context, never freed).
    /// </summary>
    public string NextFreeLabel(NetInterface link)
    {
        if (!_numbers.TryGetValue(link.Index, out var numbers))
        {
            string prefix = link.Name + ":";
            numbers = new LabelNumbers(prefix, LabelsOn(link.Index).Select(l => Number(prefix, l)).OfType<int>().ToHashSet());
            _numbers[link.Index] = numbers;
        }
        while (numbers.Used.Contains(numbers.Next))
            numbers.Next++;
        return VirtualIpPlanner.Label(link.Name, numbers.Next);
    }

    private static int? Number(string prefix, string label) =>
        label.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(label[prefix.Length..], out int n) ? n : null;

    private readonly Dictionary<int, LabelNumbers> _numbers = new();

    private sealed class LabelNumbers(string prefix, HashSet<int> used)
    {
        public readonly string Prefix = prefix;
        public readonly HashSet<int> Used = used;
        public int Next = 1;
    }
}
