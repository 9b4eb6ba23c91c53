using System.Net;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Role;

/// <summary>
/// The kernel side of a real server's role in one namespace: reads what the planner needs (sysctls through
/// <see cref="SysctlStore"/>, links, addresses and the default route through <see cref="RouteClient"/>) and takes
/// one step at a time. Never runs ip, sysctl or modprobe: the ipip module is loaded by the kernel on the RTM_NEWLINK of
/// kind ipip.
/// </summary>
public sealed class RealServerRoleHost(RouteClient route, SysctlStore sysctl)
{
    public NetNamespace Namespace => route.Namespace;

    /// <summary>What the namespace holds now. Equivalent to: ip link; ip addr; ip route show default; sysctl -n KEY (on demand).</summary>
    public RealServerRoleSnapshot Read()
    {
        var links = route.GetInterfaces();
        var names = links.ToDictionary(l => l.Index, l => l.Name);
        var addresses = route.GetAddresses().Select(a => (a.InterfaceName, a.IPAddress, (int)a.PrefixLength)).ToHashSet();
        var gateway = route.GetDefaultRouteInterface(IPFamily.IPv4);
        return new RealServerRoleSnapshot
        {
            Sysctl = ReadSysctl,
            LinksUp = links.ToDictionary(l => l.Name, l => l.IsUp),
            Addresses = addresses,
            DefaultRouteInterface = gateway is { } g && names.TryGetValue(g, out var n) ? n : null,
        };
    }

    private readonly Dictionary<string, string?> _sysctls = new();

    private string? ReadSysctl(string dotted)
    {
        if (!_sysctls.TryGetValue(dotted, out var v))
        {
            var name = SysctlName.Parse(dotted);
            _sysctls[dotted] = v = sysctl.Exists(name) ? sysctl.Get(name).Value.Trim() : null;
        }
        return v;
    }

    /// <summary>
    /// The client-facing interface for the ARP steps: -Interface (which must exist), else the default route's.
    /// </summary>
    /// <exception cref="LvsException">InterfaceNotFound; RealServerInterfaceUnknown when there is no default route to go by.</exception>
    public string? RequireClientInterface(RealServerRoleRequest request, RealServerRoleSnapshot snapshot)
    {
        if (!request.NeedsArpSteps)
            return null;
        if (request.Interface is { } given)
            return route.RequireInterface(given).Name;
        return RealServerRolePlanner.ClientInterface(request, snapshot) ?? throw new LvsException(LvsErrorKind.NotFound, "RealServerInterfaceUnknown",
            "The client-facing interface cannot be found: there is no IPv4 default route" +
            (Namespace.IsCurrent ? "" : $" in network namespace '{Namespace.Name}'") +
            " to go by. Name it with -Interface (the interface the director and the clients reach this real server on, eth0 say).", Namespace.Name);
    }

    /// <summary>
    /// Takes one step, reading the value again first. Returns the step as taken (Previous = the value found now), or
    /// with AlreadySet when the namespace has it by now.
    /// </summary>
    public RealServerRoleStep Apply(RealServerRoleStep step)
    {
        _sysctls.Clear();
        switch (step.Kind)
        {
            case RealServerRoleStepKind.Sysctl:
                var name = SysctlName.Parse(step.Target);
                var now = sysctl.Get(name).Value.Trim();
                if (RealServerRolePlanner.Satisfied(step.Target, step.Value, now))
                    return step with { Previous = now, AlreadySet = true };
                sysctl.Set(name, step.Value);
                return step with { Previous = now, AlreadySet = false };
            case RealServerRoleStepKind.CreateLink:
                // The module's own tunl0 appears while the request is replayed after the autoload, so the request
                // itself then ends in EEXIST: whether it was there before is asked first.
                if (route.GetInterface(step.Target) is not null)
                    return step with { Previous = "present", AlreadySet = true };
                try
                {
                    route.EnsureLink(step.Target, RealServerRolePlanner.TunnelKind);
                    _ = route.RequireInterface(step.Target);
                    return step with { Previous = "absent", AlreadySet = false };
                }
                catch (NetlinkException e) when (e.Errno is Errno.EOPNOTSUPP)
                {
                    throw new LvsException(LvsErrorKind.NotInstalled, "IpipNotAvailable",
                        $"The kernel cannot create {step.Target}: it has no ipip tunnel support (the ipip module, CONFIG_NET_IPIP, " +
                        "is neither built in nor loadable). LVS-TUN real servers need it.", step.Target, e);
                }
            case RealServerRoleStepKind.LinkUp:
                var link = route.RequireInterface(step.Target);
                if (link.IsUp)
                    return step with { Previous = "up", AlreadySet = true };
                route.SetLinkUp(link.Index, true);
                return step with { Previous = "down", AlreadySet = false };
            default:
                var request = VirtualIpPlanner.Plan(route, new VirtualIpSpec
                {
                    InterfaceName = step.InterfaceName!, Address = step.Address!.ToString(), PrefixLength = step.PrefixLength,
                });
                if (new VirtualIpPlanContext(route).Holds(request))
                    return step with { Previous = "present", AlreadySet = true };
                route.AddAddress(request);
                return step with { Previous = "absent", AlreadySet = false, Command = request.Describe("add") };
        }
    }

    /// <summary>The command line an address step will run, label included, when its interface exists (for -WhatIf).</summary>
    public RealServerRoleStep Preview(RealServerRoleStep step)
    {
        if (step.Kind != RealServerRoleStepKind.Address || step.AlreadySet || route.GetInterface(step.InterfaceName!) is null)
            return step;
        var request = VirtualIpPlanner.Plan(route, new VirtualIpSpec
        {
            InterfaceName = step.InterfaceName!, Address = step.Address!.ToString(), PrefixLength = step.PrefixLength,
        });
        return step with { Command = request.Describe("add") };
    }

    /// <summary>Takes one step of <see cref="RealServerRolePlanner.PlanUndo"/>.</summary>
    public void Undo(RealServerRoleStep step)
    {
        _sysctls.Clear();
        switch (step.Kind)
        {
            case RealServerRoleStepKind.Sysctl:
                sysctl.Set(SysctlName.Parse(step.Target), step.Value);
                break;
            case RealServerRoleStepKind.LinkUp:
                route.SetLinkUp(route.RequireInterface(step.Target).Index, false);
                break;
            case RealServerRoleStepKind.Address:
                var alias = route.GetAddresses().FirstOrDefault(a => a.InterfaceName == step.InterfaceName
                    && a.IPAddress.Equals(step.Address) && a.PrefixLength == step.PrefixLength);
                if (alias is not null)
                    route.DeleteAddress(VirtualIpPlanner.ForDelete(alias));
                break;
        }
    }
}
