using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

public static partial class LvsConfigurationSync
{
    /// <summary>What differs between two services' settings, or null when nothing does.</summary>
    public static string? ServiceChanges(LvsService cur, LvsService want) => LvsPropertyDifference.Join(ServiceDifferences(cur, want));

    /// <summary>What differs between two real servers' settings, or null when nothing does.</summary>
    public static string? RealServerChanges(LvsRealServer cur, LvsRealServer want) => LvsPropertyDifference.Join(RealServerDifferences(cur, want));

    /// <summary>The settings that differ between a service in the kernel and the one wanted, or null when none does.</summary>
    public static List<LvsPropertyDifference>? ServiceDifferences(LvsService cur, LvsService want)
    {
        List<LvsPropertyDifference>? c = null; // made only when something differs (a no-op sync compares 50,000 entries)
        if (cur.Scheduler != want.Scheduler) (c ??= []).Add(new("scheduler", cur.Scheduler, want.Scheduler));
        var mask = ~ServiceFlags.Hashed;
        if ((cur.Flags & mask) != (want.Flags & mask)) (c ??= []).Add(new("flags", cur.Flags & mask, want.Flags & mask));
        if (want.Persistent && cur.PersistenceTimeout != want.PersistenceTimeout)
            (c ??= []).Add(new("persistence timeout", cur.PersistenceTimeout, want.PersistenceTimeout));
        if (cur.PersistenceNetmask != want.PersistenceNetmask) (c ??= []).Add(new("netmask", Netmask(cur), Netmask(want)));
        if ((cur.PersistenceEngine ?? "") != (want.PersistenceEngine ?? "")) (c ??= []).Add(new("pe", cur.PersistenceEngine, want.PersistenceEngine));
        return c;
    }

    // As a document writes it: an IPv4 mask as an address (255.255.255.0), an IPv6 granularity as a prefix length.
    private static object Netmask(LvsService s) => s.PersistenceMask ?? (object)s.PersistencePrefixLength;

    /// <summary>The settings that differ between a real server in the kernel and the one wanted, or null when none does.</summary>
    public static List<LvsPropertyDifference>? RealServerDifferences(LvsRealServer cur, LvsRealServer want)
    {
        List<LvsPropertyDifference>? c = null; // made only when something differs (a no-op sync compares 50,000 entries)
        if (cur.ForwardingMethod != want.ForwardingMethod) (c ??= []).Add(new("forwarding", cur.ForwardingMethod, want.ForwardingMethod));
        if (cur.Weight != want.Weight) (c ??= []).Add(new("weight", cur.Weight, want.Weight));
        if (cur.UpperThreshold != want.UpperThreshold) (c ??= []).Add(new("upper threshold", cur.UpperThreshold, want.UpperThreshold));
        if (cur.LowerThreshold != want.LowerThreshold) (c ??= []).Add(new("lower threshold", cur.LowerThreshold, want.LowerThreshold));
        if (want.ForwardingMethod == ForwardingMethod.Tunnel)
        {
            if ((cur.TunnelType ?? TunnelType.IpIp) != (want.TunnelType ?? TunnelType.IpIp)) (c ??= []).Add(new("tunnel", cur.TunnelType, want.TunnelType));
            if ((cur.TunnelPort ?? 0) != (want.TunnelPort ?? 0)) (c ??= []).Add(new("tunnel port", cur.TunnelPort, want.TunnelPort));
            if ((cur.TunnelChecksum ?? TunnelChecksum.None) != (want.TunnelChecksum ?? TunnelChecksum.None)) (c ??= []).Add(new("tunnel checksum", cur.TunnelChecksum, want.TunnelChecksum));
        }
        return c;
    }

    /// <summary>
    /// The settings of a running daemon that differ from the wanted one, or null when none does: what the document
    /// leaves out (null) is any value.
    /// </summary>
    private static List<LvsPropertyDifference>? DaemonDifferences(LvsSyncDaemon have, LvsSyncDaemon want)
    {
        List<LvsPropertyDifference>? c = null;
        if (have.MulticastInterface != want.MulticastInterface) (c ??= []).Add(new("multicast interface", have.MulticastInterface, want.MulticastInterface));
        if (have.SyncId != want.SyncId) (c ??= []).Add(new("sync id", have.SyncId, want.SyncId));
        if (want.SyncMaxLength is not null && have.SyncMaxLength != want.SyncMaxLength) (c ??= []).Add(new("sync max length", have.SyncMaxLength, want.SyncMaxLength));
        if (want.MulticastGroup is not null && !Equals(have.MulticastGroup, want.MulticastGroup)) (c ??= []).Add(new("multicast group", have.MulticastGroup, want.MulticastGroup));
        if (want.MulticastPort is not null && have.MulticastPort != want.MulticastPort) (c ??= []).Add(new("multicast port", have.MulticastPort, want.MulticastPort));
        if (want.MulticastTtl is not null && have.MulticastTtl != want.MulticastTtl) (c ??= []).Add(new("multicast ttl", have.MulticastTtl, want.MulticastTtl));
        return c;
    }
}
