namespace LvsTools.Core.Sysctl;

/// <summary>Whether the kernel routes packets between interfaces, for one family and scope.</summary>
public sealed record IpForwardingSetting(IPFamily AddressFamily, string? InterfaceName, bool Enabled, string Sysctl, string? NetNamespace);

/// <summary>
/// IP forwarding over sysctls. IPv4: net.ipv4.ip_forward (all interfaces) or net.ipv4.conf.IF.forwarding;
/// IPv6: net.ipv6.conf.all.forwarding or net.ipv6.conf.IF.forwarding.
/// Equivalent to: sysctl -w net.ipv4.ip_forward=1 (echo 1 &gt; /proc/sys/net/ipv4/ip_forward).
/// </summary>
public static class IpForwarding
{
    /// <summary>The key that controls forwarding of <paramref name="family"/> on <paramref name="interfaceName"/> (null: globally).</summary>
    public static SysctlName KeyFor(IPFamily family, string? interfaceName)
    {
        if (interfaceName is not null && !Route.RouteClient.IsValidInterfaceName(interfaceName))
            throw LvsException.Invalid("InvalidInterfaceName", $"'{interfaceName}' is not a valid interface name.", interfaceName);
        return (family, interfaceName) switch
        {
            (IPFamily.IPv4, null) => SysctlName.FromComponents("net", "ipv4", "ip_forward"),
            (IPFamily.IPv4, var i) => SysctlName.FromComponents("net", "ipv4", "conf", i, "forwarding"),
            (IPFamily.IPv6, null) => SysctlName.FromComponents("net", "ipv6", "conf", "all", "forwarding"),
            (_, var i) => SysctlName.FromComponents("net", "ipv6", "conf", i!, "forwarding"),
        };
    }

    public static IpForwardingSetting Get(SysctlStore store, IPFamily family, string? interfaceName)
    {
        var key = KeyFor(family, interfaceName);
        if (interfaceName is not null && !store.Exists(key))
            throw new LvsException(LvsErrorKind.NotFound, "InterfaceNotFound",
                $"Interface '{interfaceName}' does not exist" + (store.Namespace.IsCurrent ? "" : $" in network namespace '{store.Namespace.Name}'") +
                $" (or has no {family} configuration).", interfaceName);
        var entry = store.Get(key);
        return new IpForwardingSetting(family, interfaceName, entry.Value.Trim() != "0", key.Dotted, store.Namespace.Name);
    }

    public static IpForwardingSetting Set(SysctlStore store, IPFamily family, string? interfaceName, bool enabled)
    {
        Get(store, family, interfaceName); // validates that the interface exists
        var key = KeyFor(family, interfaceName);
        var entry = store.Set(key, enabled ? "1" : "0");
        return new IpForwardingSetting(family, interfaceName, entry.Value.Trim() != "0", key.Dotted, store.Namespace.Name);
    }
}
