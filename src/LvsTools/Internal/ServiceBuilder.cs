using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>Builds and merges <see cref="LvsService"/> values from cmdlet parameters.</summary>
internal static class ServiceBuilder
{
    /// <summary>A new service from New-LvsService's parameters.</summary>
    public static LvsService Build(ServiceKey key, string scheduler, string[]? schedulerFlags, bool persistent, TimeSpan? timeout,
        string? netmask, string? engine, bool onePacket)
    {
        IpvsParameters.CheckFlagsFit(scheduler, schedulerFlags);
        var flags = IpvsParameters.SchedulerFlags(schedulerFlags);
        if (persistent)
            flags |= ServiceFlags.Persistent;
        if (onePacket)
            flags |= ServiceFlags.OnePacket;
        return new LvsService
        {
            AddressFamily = key.Family,
            Protocol = key.IsFirewallMark ? null : key.Protocol,
            Address = key.Address,
            Port = key.Port,
            FirewallMark = key.IsFirewallMark ? key.FirewallMark : null,
            Scheduler = scheduler,
            Flags = flags,
            PersistenceTimeout = persistent ? timeout ?? LvsService.DefaultPersistenceTimeout : TimeSpan.Zero,
            PersistenceNetmask = netmask is null ? LvsService.DefaultNetmask(key.Family) : Netmask(key.Family, netmask),
            PersistenceEngine = engine,
        };
    }

    /// <summary>
    /// A copy of <paramref name="current"/> with the given changes; null leaves a setting as it is, exactly as the kernel
    /// holds it (check the result with IpvsValidation.ServiceChange: strict for what changes). The kernel's HASHED bit is
    /// dropped (it is state, not a setting).
    /// </summary>
    public static LvsService Merge(LvsService current, string? scheduler = null, string[]? schedulerFlags = null, bool? persistent = null,
        TimeSpan? timeout = null, string? netmask = null, string? engine = null, bool? onePacket = null)
    {
        var flags = current.Flags & ~ServiceFlags.Hashed;
        const ServiceFlags schedBits = ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3;
        // Scheduler flags mean something only to their scheduler: a new scheduler starts without the old one's.
        if (scheduler is not null && scheduler != current.Scheduler && schedulerFlags is null)
            flags &= ~schedBits;
        IpvsParameters.CheckFlagsFit(scheduler ?? current.Scheduler, schedulerFlags);
        if (schedulerFlags is not null)
            flags = (flags & ~(ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3)) | IpvsParameters.SchedulerFlags(schedulerFlags);
        bool persist = persistent ?? (timeout is not null || (flags & ServiceFlags.Persistent) != 0);
        flags = persist ? flags | ServiceFlags.Persistent : flags & ~ServiceFlags.Persistent;
        if (onePacket is { } o)
            flags = o ? flags | ServiceFlags.OnePacket : flags & ~ServiceFlags.OnePacket;
        return new LvsService
        {
            AddressFamily = current.AddressFamily,
            Protocol = current.Protocol,
            Address = current.Address,
            Port = current.Port,
            FirewallMark = current.FirewallMark,
            Scheduler = scheduler ?? current.Scheduler,
            Flags = flags,
            // A persistent service keeps its timeout as the kernel holds it (a foreign 0 or 40 days included); turning
            // persistence on starts from the default.
            PersistenceTimeout = persist
                ? timeout ?? (current.Persistent || current.PersistenceTimeout > TimeSpan.Zero ? current.PersistenceTimeout : LvsService.DefaultPersistenceTimeout)
                : TimeSpan.Zero,
            PersistenceNetmask = netmask is null ? current.PersistenceNetmask : Netmask(current.AddressFamily, netmask),
            PersistenceEngine = engine is null ? current.PersistenceEngine : engine.Length == 0 ? null : engine,
            NetNamespace = current.NetNamespace,
        };
    }

    /// <summary>"255.255.255.0" or "24" (IPv4), "64" (IPv6) as the kernel's netmask value.</summary>
    public static uint Netmask(IPFamily family, string text)
    {
        if (int.TryParse(text.TrimStart('/'), out int prefix))
            return LvsService.NetmaskFromPrefix(family, IpvsValidation.PrefixLength(family, prefix));
        if (family == IPFamily.IPv6)
            throw LvsException.Invalid("InvalidNetmask", $"'{text}': an IPv6 persistence netmask is a prefix length (1 to 128).", text);
        System.Net.IPAddress mask;
        try { mask = IPNetworkMath.ParseAddress(text); }
        catch (LvsException)
        {
            throw LvsException.Invalid("InvalidNetmask", $"'{text}' is not a netmask: give a prefix length (24) or a dotted IPv4 mask (255.255.255.0).", text);
        }
        var p = IPNetworkMath.PrefixFromMask(mask)
            ?? throw LvsException.Invalid("InvalidNetmask", $"'{text}' is not a contiguous netmask.", text);
        return LvsService.NetmaskFromPrefix(family, p);
    }
}
