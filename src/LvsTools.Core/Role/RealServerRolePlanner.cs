using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Route;

namespace LvsTools.Core.Role;

/// <summary>What Enable-LvsRealServerRole was asked for, checked: unicast VIPs without repeats, a valid interface name.</summary>
public sealed record RealServerRoleRequest(RealServerMode Mode, IReadOnlyList<IPAddress> VirtualAddress, string? Interface)
{
    /// <summary>Whether the ARP steps apply: DirectRouting with at least one IPv4 VIP (IPv6 has no ARP).</summary>
    public bool NeedsArpSteps => VirtualAddress.Any(a => a.AddressFamily == AddressFamily.InterNetwork);
}

/// <summary>
/// What the planner needs to know of a namespace: sysctl values (null for a key that does not exist), links and whether
/// they are up, the addresses on each link, and the interface of the IPv4 default route.
/// </summary>
public sealed record RealServerRoleSnapshot
{
    public required Func<string, string?> Sysctl { get; init; }
    public required IReadOnlyDictionary<string, bool> LinksUp { get; init; }
    public required IReadOnlySet<(string Interface, IPAddress Address, int PrefixLength)> Addresses { get; init; }
    public string? DefaultRouteInterface { get; init; }
}

/// <summary>
/// The steps of a real server's role, in order, and the steps that undo them. Pure: it reads a
/// <see cref="RealServerRoleSnapshot"/> and never the kernel.
/// DirectRouting: arp_ignore=1 and arp_announce=2 on all and on the client-facing interface, lo up, then each VIP on lo
/// as /32 (/128): the ARP switches come first, so that there is never a moment where the real server answers ARP for the VIP.
/// Tunnel: tunl0 (ipip, down), the same ARP switches (Linux answers ARP for an address on any interface, tunl0 too: a
/// real server on the clients' or the director's segment would take the VIP's traffic from the director), rp_filter=0
/// on all and on tunl0, tunl0 up, then each VIP on tunl0 as /32.
/// </summary>
public static class RealServerRolePlanner
{
    public const string Loopback = "lo", Tunnel = "tunl0", TunnelKind = "ipip";

    /// <summary>Checks the request; the VIPs keep their order, repeats go.</summary>
    /// <exception cref="LvsException">InvalidIPAddress, InvalidInterfaceName, RealServerRoleInvalid.</exception>
    public static RealServerRoleRequest Validate(RealServerMode mode, IEnumerable<IPAddress?>? virtualAddress, string? clientInterface)
    {
        var vips = new List<IPAddress>();
        foreach (var a in virtualAddress ?? [])
        {
            if (a is null)
                continue;
            if (a.IsIPv4MappedToIPv6)
                throw LvsException.Invalid("InvalidIPAddress", $"{a} is an IPv4-mapped IPv6 address: give the IPv4 address {a.MapToIPv4()}.", a);
            if ((IPNetworkMath.NotUnicastReason(a) ?? (IPAddress.IsLoopback(a) ? "a loopback address" : null)) is { } why)
                throw LvsException.Invalid("InvalidIPAddress", $"{a} is {why}, not a unicast address a virtual IP can be.", a);
            var plain = a.AddressFamily == AddressFamily.InterNetworkV6 && a.ScopeId != 0 ? new IPAddress(a.GetAddressBytes()) : a;
            if (!vips.Contains(plain))
                vips.Add(plain);
        }
        if (vips.Count == 0)
            throw LvsException.Invalid("RealServerRoleInvalid", "Give at least one virtual address (-VirtualAddress).", null);
        if (mode == RealServerMode.Tunnel && vips.FirstOrDefault(v => v.AddressFamily != AddressFamily.InterNetwork) is { } v6)
            throw new LvsException(LvsErrorKind.NotSupported, "RealServerRoleIPv6Tunnel",
                $"{v6} is IPv6: LVS-TUN for IPv6 encapsulates IPv6 in IPv6 (ip6tnl0, module ip6_tunnel), which this cmdlet does not set up; " +
                "it sets up tunl0 (ipip) for IPv4 VIPs.", v6);
        if (clientInterface is not null)
        {
            if (!RouteClient.IsValidInterfaceName(clientInterface))
                throw LvsException.Invalid("InvalidInterfaceName", $"'{clientInterface}' is not a valid interface name.", clientInterface);
            if (clientInterface == Loopback)
                throw LvsException.Invalid("RealServerRoleInvalid",
                    "-Interface is the interface that faces the clients and the director (eth0, say), not lo, which holds the VIP.", clientInterface);
        }
        return new RealServerRoleRequest(mode, vips, clientInterface);
    }

    /// <summary>The client-facing interface: -Interface, else the interface of the IPv4 default route; null when neither is known.</summary>
    public static string? ClientInterface(RealServerRoleRequest request, RealServerRoleSnapshot snapshot) =>
        request.NeedsArpSteps ? request.Interface ?? snapshot.DefaultRouteInterface : null;

    /// <summary>
    /// The steps in order, each marked AlreadySet when the namespace has it. With DirectRouting and IPv4 VIPs,
    /// <paramref name="clientInterface"/> null leaves out the interface's own ARP steps (the caller says why).
    /// </summary>
    public static List<RealServerRoleStep> Plan(RealServerRoleRequest request, RealServerRoleSnapshot snapshot, string? clientInterface)
    {
        var steps = new List<RealServerRoleStep>();
        string holder = request.Mode == RealServerMode.DirectRouting ? Loopback : Tunnel;
        // Tunnel: tunl0 first (down, with no address it changes nothing; and a kernel without ipip fails here, before any
        // other change).
        if (request.Mode == RealServerMode.Tunnel)
        {
            bool exists = snapshot.LinksUp.ContainsKey(Tunnel);
            steps.Add(new RealServerRoleStep
            {
                Kind = RealServerRoleStepKind.CreateLink, Target = Tunnel, Value = "present", Previous = exists ? "present" : "absent",
                AlreadySet = exists, Command = $"ip link add {Tunnel} type {TunnelKind}",
                Reason = "tunl0 unwraps the director's IP-in-IP packets (the ipip module creates it)",
            });
        }
        if (request.NeedsArpSteps)
        {
            var scopes = clientInterface is null ? new[] { "all" } : ["all", clientInterface];
            foreach (var s in scopes)
                steps.Add(Sysctl(snapshot, $"net.ipv4.conf.{s}.arp_ignore", "1",
                    $"answer ARP only for addresses on the interface asked, never for the VIP on {holder}"));
            foreach (var s in scopes)
                steps.Add(Sysctl(snapshot, $"net.ipv4.conf.{s}.arp_announce", "2",
                    "announce (ARP requests' sender) only the outgoing interface's own address, never the VIP"));
        }
        if (request.Mode == RealServerMode.DirectRouting)
            steps.Add(LinkUp(snapshot, Loopback, "the VIP on lo is local only while lo is up"));
        else
        {
            // The kernel checks the source with max(all, interface): both must be 0 for loose-free (off) checking.
            foreach (var s in new[] { "all", Tunnel })
                steps.Add(Sysctl(snapshot, $"net.ipv4.conf.{s}.rp_filter", "0",
                    "the unwrapped packet's source (the client) is not routed via tunl0: reverse-path filtering, max(all, tunl0), would drop it"));
            steps.Add(LinkUp(snapshot, Tunnel, "tunl0 receives only while up"));
        }
        foreach (var vip in request.VirtualAddress)
        {
            int prefix = vip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            bool present = snapshot.Addresses.Contains((holder, vip, prefix));
            steps.Add(new RealServerRoleStep
            {
                Kind = RealServerRoleStepKind.Address, Target = $"{vip}/{prefix} on {holder}", Value = "present",
                Previous = present ? "present" : "absent", AlreadySet = present, Command = $"ip addr add {vip}/{prefix} dev {holder}",
                Reason = holder == Loopback ? "the real server accepts packets for the VIP without owning it on the wire"
                    : "the real server accepts the unwrapped packets for the VIP",
                Address = vip, InterfaceName = holder, PrefixLength = prefix,
            });
        }
        return steps;
    }

    /// <summary>
    /// Whether a sysctl value gives what the role wants: arp_ignore and arp_announce at least the value (the kernel uses
    /// max(all, interface), and a higher value is stricter); anything else exactly the value.
    /// </summary>
    public static bool Satisfied(string name, string want, string? current)
    {
        if (current is null)
            return false;
        current = current.Trim();
        if (name.EndsWith(".arp_ignore", StringComparison.Ordinal) || name.EndsWith(".arp_announce", StringComparison.Ordinal))
            return int.TryParse(current, out int c) && int.TryParse(want, out int w) && c >= w;
        return current == want;
    }

    private static RealServerRoleStep Sysctl(RealServerRoleSnapshot snapshot, string name, string want, string reason)
    {
        var current = snapshot.Sysctl(name);
        return new RealServerRoleStep
        {
            Kind = RealServerRoleStepKind.Sysctl, Target = name, Value = want, Previous = current,
            AlreadySet = Satisfied(name, want, current), Command = $"sysctl -w {name}={want}", Reason = reason,
        };
    }

    private static RealServerRoleStep LinkUp(RealServerRoleSnapshot snapshot, string name, string reason)
    {
        bool? up = snapshot.LinksUp.TryGetValue(name, out var u) ? u : null;
        return new RealServerRoleStep
        {
            Kind = RealServerRoleStepKind.LinkUp, Target = name, Value = "up", Previous = up is null ? null : up.Value ? "up" : "down",
            AlreadySet = up == true, Command = $"ip link set dev {name} up", Reason = reason,
        };
    }

    /// <summary>
    /// VIPs that the namespace also holds on another interface than the one the role puts them on (lo, tunl0): there the
    /// real server owns the VIP on the wire and answers ARP for it, which the role exists to prevent. One line each.
    /// </summary>
    public static List<string> Conflicts(RealServerRoleRequest request, RealServerRoleSnapshot snapshot)
    {
        string holder = request.Mode == RealServerMode.DirectRouting ? Loopback : Tunnel;
        return snapshot.Addresses
            .Where(a => a.Interface != holder && request.VirtualAddress.Contains(a.Address))
            .OrderBy(a => a.Interface, StringComparer.Ordinal)
            .Select(a => $"{a.Address}/{a.PrefixLength} is also on {a.Interface}: a real server holds its VIP on {holder} only, or it answers ARP for it " +
                $"(ip addr del {a.Address}/{a.PrefixLength} dev {a.Interface})")
            .ToList();
    }

    /// <summary>A missing step in words, as Get-LvsRealServerRole lists it.</summary>
    public static string Describe(RealServerRoleStep step) => step.Kind switch
    {
        RealServerRoleStepKind.Sysctl => $"{step.Target} is {step.Previous ?? "absent"}, needs {step.Value}: {step.Command}",
        RealServerRoleStepKind.CreateLink => $"{step.Target} does not exist: {step.Command}",
        RealServerRoleStepKind.LinkUp => $"{step.Target} is {step.Previous ?? "absent"}, needs up: {step.Command}",
        _ => $"{step.Target} is missing: {step.Command}",
    };

    /// <summary>
    /// The steps that undo what Enable recorded, last first. A sysctl is put back only while it still holds what Enable
    /// wrote; an address is deleted only while it is there; lo stays up; tunl0 stays (it belongs to the ipip module).
    /// Each step not taken says why in its Reason, with AlreadySet true.
    /// </summary>
    public static List<RealServerRoleStep> PlanUndo(IReadOnlyList<RealServerRoleStep> recorded, RealServerRoleSnapshot snapshot)
    {
        var undo = new List<RealServerRoleStep>();
        foreach (var done in recorded.Reverse())
        {
            switch (done.Kind)
            {
                case RealServerRoleStepKind.Sysctl:
                    var now = snapshot.Sysctl(done.Target);
                    bool ours = now is not null && now.Trim() == done.Value;
                    undo.Add(done with
                    {
                        Value = done.Previous ?? "", Previous = now, AlreadySet = !ours || done.Previous is null,
                        Command = $"sysctl -w {done.Target}={done.Previous}",
                        Reason = now is null ? "the key is gone (its interface was deleted)"
                            : !ours ? $"it is {now.Trim()} now, not the {done.Value} Enable wrote: someone changed it since, so it is left alone"
                            : $"put back to {done.Previous}, its value before Enable",
                    });
                    break;
                case RealServerRoleStepKind.Address:
                    bool present = snapshot.Addresses.Contains((done.InterfaceName!, done.Address!, done.PrefixLength));
                    undo.Add(done with
                    {
                        Value = "absent", Previous = present ? "present" : "absent", AlreadySet = !present,
                        Command = $"ip addr del {done.Address}/{done.PrefixLength} dev {done.InterfaceName}",
                        Reason = present ? "added by Enable" : "already gone",
                    });
                    break;
                case RealServerRoleStepKind.LinkUp when done.Target != Loopback && snapshot.LinksUp.TryGetValue(done.Target, out var up) && up:
                    undo.Add(done with
                    {
                        Value = "down", Previous = "up", AlreadySet = false, Command = $"ip link set dev {done.Target} down",
                        Reason = "brought up by Enable",
                    });
                    break;
                default:
                    undo.Add(done with
                    {
                        AlreadySet = true, Command = "",
                        Reason = done.Kind == RealServerRoleStepKind.CreateLink
                            ? "tunl0 stays: it is the ipip module's fallback device (rmmod ipip removes it once nothing uses it)"
                            : done.Target == Loopback ? "lo stays up: the namespace's own loopback traffic needs it" : "already down or gone",
                    });
                    break;
            }
        }
        return undo;
    }
}
