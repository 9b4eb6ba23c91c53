using LvsTools.Core.Ipvs;

namespace LvsTools;

/// <summary>
/// A service from the settings ipvsadm -A / -E, New-LvsService, Set-LvsService and a document's entry give (scheduler,
/// flag names, persistence, netmask text, engine, one-packet), and a change of those settings on a service read from the
/// kernel. The one place where these settings become an <see cref="LvsService"/>; texts are parsed by
/// <see cref="IpvsadmSyntax"/>. Values are not range-checked here: IpvsValidation does that, at the level of the caller.
/// </summary>
public static class ServiceSettings
{
    /// <summary>
    /// A new service (ipvsadm -A). A persistent service without a timeout gets ipvsadm's
    /// <see cref="LvsService.DefaultPersistenceTimeout"/>; a non-persistent one none.
    /// </summary>
    /// <param name="key">The service's identity.</param>
    /// <param name="scheduler">The scheduler's name.</param>
    /// <param name="schedulerFlags">Flag names as ipvsadm -b takes them; sh-*/mh-* must fit the scheduler.</param>
    /// <param name="persistent">ipvsadm -p.</param>
    /// <param name="timeout">The persistence timeout (null: the default).</param>
    /// <param name="netmask">The persistence netmask as text (null: one client).</param>
    /// <param name="engine">The persistence engine (null: none).</param>
    /// <param name="onePacket">ipvsadm -o.</param>
    /// <param name="level">How the netmask is read: Create takes only contiguous IPv4 masks, Kernel any.</param>
    /// <exception cref="LvsException">InvalidSchedulerFlag, InvalidNetmask.</exception>
    public static LvsService New(ServiceKey key, string scheduler, IEnumerable<string?>? schedulerFlags, bool persistent, TimeSpan? timeout,
        string? netmask, string? engine, bool onePacket, ValidationLevel level = ValidationLevel.Create)
    {
        var flags = IpvsadmSyntax.ParseSchedulerFlags(schedulerFlags, scheduler);
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
            PersistenceNetmask = netmask is null ? IpvsadmSyntax.DefaultNetmask(key.Family) : IpvsadmSyntax.ParseNetmask(key.Family, netmask, level),
            PersistenceEngine = engine,
        };
    }

    /// <summary>
    /// <paramref name="current"/> with the given changes (Set-LvsService); null leaves a setting exactly as the kernel holds
    /// it (check the result with IpvsValidation.ServiceChange: strict for what changes). The kernel's HASHED bit is dropped
    /// (it is state, not a setting). A new scheduler starts without the old one's flags unless flags are given; a
    /// timeout alone turns persistence on; a persistent service keeps the timeout the kernel holds (a foreign 0 or 40
    /// days included), and turning persistence on starts from the default. An empty engine removes the engine.
    /// </summary>
    /// <exception cref="LvsException">InvalidSchedulerFlag, InvalidNetmask (read at the Create level).</exception>
    public static LvsService Change(LvsService current, string? scheduler = null, IEnumerable<string?>? schedulerFlags = null, bool? persistent = null,
        TimeSpan? timeout = null, string? netmask = null, string? engine = null, bool? onePacket = null)
    {
        string newScheduler = scheduler ?? current.Scheduler;
        var flags = current.Flags & ~ServiceFlags.Hashed;
        if (schedulerFlags is not null)
            flags = (flags & ~IpvsadmSyntax.SchedulerFlagBits) | IpvsadmSyntax.ParseSchedulerFlags(schedulerFlags, newScheduler);
        else if (newScheduler != current.Scheduler)
            flags &= ~IpvsadmSyntax.SchedulerFlagBits;
        bool persist = persistent ?? (timeout is not null || (flags & ServiceFlags.Persistent) != 0);
        flags = Set(flags, ServiceFlags.Persistent, persist);
        if (onePacket is { } o)
            flags = Set(flags, ServiceFlags.OnePacket, o);
        return current with
        {
            Scheduler = newScheduler,
            Flags = flags,
            PersistenceTimeout = persist
                ? timeout ?? (current.Persistent || current.PersistenceTimeout > TimeSpan.Zero ? current.PersistenceTimeout : LvsService.DefaultPersistenceTimeout)
                : TimeSpan.Zero,
            PersistenceNetmask = netmask is null ? current.PersistenceNetmask : IpvsadmSyntax.ParseNetmask(current.AddressFamily, netmask),
            PersistenceEngine = engine is null ? current.PersistenceEngine : engine.Length == 0 ? null : engine,
        };
    }

    private static ServiceFlags Set(ServiceFlags flags, ServiceFlags bit, bool on) => on ? flags | bit : flags & ~bit;
}
