using System.Net;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Lab;

/// <summary>
/// Builds and tears down a lab's topology over rtnetlink (no `ip` process): namespaces, a bridge in the switch
/// namespace, veth pairs, addresses, lo up, default routes, and IP forwarding on a NAT director. Nothing of IPVS.
/// </summary>
public static class LabBuilder
{
    /// <summary>Creates every namespace, link, address and route of <paramref name="lab"/>.</summary>
    public static void Build(LvsLab lab)
    {
        foreach (var ns in lab.Namespaces)
            NamedNetNamespace.Create(ns);
        var resolved = lab.Namespaces.ToDictionary(n => n, NetNamespace.Resolve);
        try
        {
            bool nat = lab.Mode == LvsLabMode.Nat;
            // The segment of the real servers (and, without NAT, of the client and the director): ports of br0.
            var ports = new List<(string Port, string Namespace, string Interface)> { ("director", lab.Director, nat ? "eth1" : "eth0") };
            if (!nat)
                ports.Add(("client", lab.Client, "eth0"));
            foreach (var (name, ns, _) in lab.Servers())
                ports.Add((name, ns, "eth0"));
            using (var sw = RouteClient.Open(resolved[lab.Switch]))
            {
                LabLinks.SetUp(sw, "lo");
                LabLinks.AddBridge(sw, "br0");
                int bridge = sw.RequireInterface("br0").Index;
                foreach (var (port, ns, peer) in ports)
                    LabLinks.AddVethPair(sw, port, bridge, resolved[ns], peer);
            }
            if (nat)
            {
                using var d = RouteClient.Open(resolved[lab.Director]);
                LabLinks.AddVethPair(d, "eth0", null, resolved[lab.Client], "eth0");
            }
            Configure(resolved[lab.Director], lab, (lab.VipInterface, lab.DirectorAddress), nat ? ("eth1", lab.Gateway) : null, null);
            Configure(resolved[lab.Client], lab, ("eth0", lab.ClientAddress), null, lab.DirectorAddress);
            foreach (var (_, ns, address) in lab.Servers())
                Configure(resolved[ns], lab, ("eth0", address), null, lab.Gateway);
            // NAT: the director routes the real servers' answers back (and IPVS rewrites them on the way).
            if (nat)
                IpForwarding.Set(new SysctlStore(resolved[lab.Director]), lab.AddressFamily, null, true);
        }
        finally
        {
            foreach (var ns in resolved.Values)
                ns.Dispose();
        }
    }

    // lo and the links up, the addresses (IPv6 without duplicate address detection, so they work at once), the default route.
    private static void Configure(NetNamespace ns, LvsLab lab, (string Interface, IPAddress Address) first,
        (string Interface, IPAddress Address)? second, IPAddress? gateway)
    {
        using var route = RouteClient.Open(ns);
        LabLinks.SetUp(route, "lo");
        foreach (var (ifname, address) in second is { } s ? new[] { first, s } : [first])
        {
            LabLinks.SetUp(route, ifname);
            route.AddAddress(new AddressRequest
            {
                InterfaceIndex = route.RequireInterface(ifname).Index,
                InterfaceName = ifname,
                Address = address,
                PrefixLength = lab.PrefixLength,
                Flags = lab.AddressFamily == IPFamily.IPv6 ? AddressFlags.NoDad : AddressFlags.None,
            });
        }
        if (gateway is not null)
            LabLinks.AddDefaultRoute(route, gateway);
    }

    /// <summary>
    /// Tears down what exists of <paramref name="lab"/>: ends its server process and every process left inside its
    /// namespaces, then deletes the namespaces (their links go with them). Touches nothing the lab did not create.
    /// Returns the problems met (empty when all is gone).
    /// </summary>
    public static List<string> Destroy(LvsLab lab) =>
        Destroy(lab.Name, LabServerProcess.ProcessesOf(lab), lab.Namespaces);

    /// <summary>
    /// Tears down a lab whose state file cannot be read (written over, truncated): the processes whose command line
    /// names <paramref name="statePath"/> and the namespaces named as the lab's are (NAME-client, NAME-director,
    /// NAME-switch, NAME-rsN, NAME-sorry).
    /// </summary>
    public static List<string> DestroyUnreadable(string name, string statePath)
    {
        var pattern = new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(name) + "-(client|director|switch|sorry|rs[0-9]+)$");
        var namespaces = System.IO.Directory.Exists(NamedNetNamespace.Directory)
            ? System.IO.Directory.EnumerateFiles(NamedNetNamespace.Directory).Select(Path.GetFileName).Where(n => pattern.IsMatch(n!)).ToArray()
            : [];
        return Destroy(name, LabServerProcess.ProcessesNaming(statePath), namespaces!);
    }

    private static List<string> Destroy(string lab, IEnumerable<int> servers, IEnumerable<string> namespaces)
    {
        var problems = new List<string>();
        var victims = new HashSet<int>(servers);
        foreach (var name in namespaces.Where(NamedNetNamespace.Exists))
        {
            try
            {
                using var ns = NetNamespace.Resolve(name);
                victims.UnionWith(NamedNetNamespace.ProcessesIn(ns));
            }
            catch (LvsException e)
            {
                problems.Add(e.Message);
            }
        }
        foreach (int pid in victims)
            LabNative.kill(pid, LabNative.SIGKILL);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (victims.Any(LabServerProcess.IsAlive) && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        foreach (int pid in victims.Where(LabServerProcess.IsAlive))
            problems.Add($"Process {pid} of lab '{lab}' did not end.");
        foreach (var name in namespaces)
        {
            try
            {
                NamedNetNamespace.Delete(name);
            }
            catch (LvsException e)
            {
                problems.Add(e.Message);
            }
        }
        return problems;
    }
}
