using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Route;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Adds a virtual IP to an interface as a labelled alias, the way `ifconfig eth0:1 VIP netmask MASK` does,
/// and returns the new <see cref="NetAlias"/>.
/// </summary>
[Cmdlet(VerbsCommon.Add, "LvsVirtualIp", SupportsShouldProcess = true, DefaultParameterSetName = "Prefix")]
[OutputType(typeof(NetAlias))]
public sealed class AddLvsVirtualIpCommand : LvsCommandBase
{
    private static readonly Dictionary<LvsErrorKind, string> Ids = new()
    {
        [LvsErrorKind.AlreadyExists] = "NetAliasExists",
        [LvsErrorKind.NotFound] = "InterfaceNotFound",
    };

    /// <summary>The interface to put the address on (eth0, or lo for an LVS-DR real server).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string InterfaceName { get; set; } = "";

    /// <summary>The address: 192.168.31.173, 10.0.0.100/32 or 2001:db8::100.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Address", "VirtualIp")]
    [ValidateNotNullOrEmpty]
    public string IPAddress { get; set; } = "";

    /// <summary>Prefix length (0-32 for IPv4, 0-128 for IPv6). Default: 32 or 128, a single host.</summary>
    [Parameter(ParameterSetName = "Prefix", ValueFromPipelineByPropertyName = true)]
    public int? PrefixLength { get; set; }

    /// <summary>IPv4 netmask in dotted form, as ifconfig's netmask (255.255.255.0).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Mask")]
    [Alias("Netmask")]
    [ValidateNotNullOrEmpty]
    public string? SubnetMask { get; set; }

    /// <summary>The IPv4 label (eth0:1). Default: the next free IF:N.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Label { get; set; }

    /// <summary>IPv4 broadcast address. Default: computed from the prefix, as `brd +`.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Broadcast { get; set; }

    /// <summary>Address scope. Default: Global (Host for 127.0.0.0/8).</summary>
    [Parameter]
    public AddressScope? Scope { get; set; }

    /// <summary>How long the address stays valid; default forever.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan? ValidLifetime { get; set; }

    /// <summary>How long the address stays preferred; default forever (at most the valid lifetime).</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan? PreferredLifetime { get; set; }

    /// <summary>Do not add the prefix route for the address's network.</summary>
    [Parameter]
    public SwitchParameter NoPrefixRoute { get; set; }

    /// <summary>
    /// Once the address is added, tell the segment's neighbours that it lives here now: a gratuitous ARP (IPv4) or an
    /// unsolicited neighbour advertisement (IPv6), as keepalived sends when a VIP moves to it.
    /// </summary>
    [Parameter]
    public SwitchParameter Announce { get; set; }

    /// <summary>How many announcements -Announce sends, a quarter of a second apart (1-10; default 1). Implies -Announce.</summary>
    [Parameter]
    [ValidateRange(1, 10)]
    public int AnnounceCount { get; set; } = 1;

    protected override string ErrorSubject => "NetAlias";

    private bool Announcing => Announce || MyInvocation.BoundParameters.ContainsKey(nameof(AnnounceCount));

    private readonly Dictionary<NetNamespaceKey, Dictionary<int, NetInterface>> _links = new();

    private readonly Dictionary<NetNamespaceKey, VirtualIpPlanContext> _contexts = new();
    private readonly List<(string? Namespace, VirtualIpSpec Spec, AddressRequest Request)> _pending = [];

    private readonly record struct NetNamespaceKey(string? Name);

    protected override void ProcessInNamespace()
    {
        AddressRequest request;
        VirtualIpSpec spec;
        try
        {
            var key = new NetNamespaceKey(ItemNamespace);
            if (!_contexts.TryGetValue(key, out var context))
                _contexts[key] = context = new VirtualIpPlanContext(Route);
            spec = new VirtualIpSpec
            {
                InterfaceName = InterfaceName,
                Address = IPAddress,
                PrefixLength = PrefixLength,
                SubnetMask = SubnetMask,
                Label = Label,
                Broadcast = Broadcast,
                Scope = Scope,
                ValidLifetime = Seconds(ValidLifetime, nameof(ValidLifetime)),
                PreferredLifetime = Seconds(PreferredLifetime, nameof(PreferredLifetime)),
                NoPrefixRoute = NoPrefixRoute,
            };
            // A forecast for -WhatIf and -Confirm; the request sent is planned again under the namespace's lock.
            request = VirtualIpPlanner.Plan(context, spec);
            // An interface with no neighbours to tell (lo, tunl0) is refused before anything is added.
            if (Announcing)
                NeighbourAnnouncer.RequireEthernetAddress(LinkOf(key, request.InterfaceIndex));
        }
        catch (Exception e)
        {
            WriteLvsError(e, IPAddress, Ids);
            return;
        }
        string action = request.Describe("add") + (Announcing ? "; then " + NeighbourAnnouncer.Describe(request.InterfaceName, request.Address, AnnounceCount) : "");
        if (ShouldProcess($"{request.Address}/{request.PrefixLength} on {request.InterfaceName}{Where}", action))
            _pending.Add((ItemNamespace, spec, request));
    }

    // The adds of a whole pipeline go to the kernel together, many per sendmsg (as `ip -batch` but without a
    // round trip per line); each refusal is matched to its address, and the new aliases are read back in one dump.
    // Per namespace, the lock is taken once for the batch: the labels are picked again from the kernel's state read
    // under it, so concurrent writers (other processes, other runspaces) never get the same automatic label.
    protected override void EndProcessing()
    {
        foreach (var group in _pending.GroupBy(p => p.Namespace))
        {
            ActInNamespace(group.Key);
            var added = new List<NetAlias>();
            try
            {
                using (WriterLock.ForNamespace(Namespace, cancellation: Cancellation))
                {
                    var context = new VirtualIpPlanContext(Route);
                    var requests = new List<AddressRequest>();
                    foreach (var (_, spec, _) in group)
                    {
                        try
                        {
                            requests.Add(VirtualIpPlanner.Plan(context, spec));
                        }
                        catch (Exception e)
                        {
                            WriteLvsError(e, spec.Address, Ids);
                        }
                    }
                    var result = Route.AddAddresses(requests, cancellation: Cancellation);
                    var failed = new HashSet<int>();
                    foreach (var f in result.Failures)
                    {
                        failed.Add(f.RequestIndex);
                        var r = requests[f.RequestIndex];
                        WriteLvsError(f, $"{r.Address}/{r.PrefixLength} on {r.InterfaceName}", Ids);
                    }
                    var now = Route.GetAddresses().ToLookup(a => (a.InterfaceIndex, a.IPAddress, (int)a.PrefixLength));
                    for (int i = 0; i < result.Sent; i++)
                    {
                        if (failed.Contains(i))
                            continue;
                        var r = requests[i];
                        if (now[(r.InterfaceIndex, r.Address, r.PrefixLength)].FirstOrDefault() is { } alias)
                            added.Add(alias);
                    }
                }
            }
            catch (LvsException e) when (e.ErrorId == "NetNamespaceNotFound")
            {
                // Nothing of the batch reached the namespace: each address gets its own error.
                foreach (var (_, _, r) in group)
                    WriteLvsError(new LvsException(e.Kind, e.ErrorId, $"{r.Address}/{r.PrefixLength} on {r.InterfaceName} was not added: {e.Message}",
                        $"{r.Address}/{r.PrefixLength} on {r.InterfaceName}", e), null, Ids);
            }
            catch (Exception e)
            {
                WriteLvsError(e, ItemNamespace, Ids);
            }
            if (Announcing)
                AnnounceAll(group.Key, added);
            // Written after the lock is released: a writer further down the pipeline takes it in turn.
            WriteObject(added, enumerateCollection: true);
        }
    }

    private NetInterface LinkOf(NetNamespaceKey key, int index)
    {
        if (!_links.TryGetValue(key, out var links) || !links.ContainsKey(index))
            _links[key] = links = Route.GetInterfaces().ToDictionary(l => l.Index);
        return links.TryGetValue(index, out var link) ? link
            : throw new LvsException(LvsErrorKind.NotFound, "InterfaceNotFound", $"Interface index {index} is gone.", index);
    }

    // The addresses are in place: an announcement that cannot be sent is an error of its own, and the alias is still
    // reported (it was added).
    private void AnnounceAll(string? ns, List<NetAlias> added)
    {
        foreach (var alias in added)
        {
            try
            {
                NeighbourAnnouncer.Announce(Namespace, LinkOf(new NetNamespaceKey(ns), alias.InterfaceIndex), alias.IPAddress,
                    AnnounceCount, TimeSpan.FromMilliseconds(250));
                WriteVerbose($"Announced {alias.IPAddress} on {alias.InterfaceName}{Where}: {NeighbourAnnouncer.Describe(alias.InterfaceName, alias.IPAddress, AnnounceCount)}.");
            }
            catch (Exception e)
            {
                WriteLvsError(e, alias.IPAddress.ToString(), Ids);
            }
        }
    }

    private static uint? Seconds(TimeSpan? t, string name)
    {
        if (t is null)
            return null;
        if (t.Value < TimeSpan.Zero || t.Value.TotalSeconds >= uint.MaxValue)
            throw LvsException.Invalid("InvalidLifetime", $"-{name} must be between 0 and {uint.MaxValue - 1} seconds.", t);
        return (uint)t.Value.TotalSeconds;
    }
}
