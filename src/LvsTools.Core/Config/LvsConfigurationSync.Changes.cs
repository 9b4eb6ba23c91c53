namespace LvsTools.Core.Config;

public static partial class LvsConfigurationSync
{
    /// <summary>What differs between two services' settings, or null when nothing does.</summary>
    public static string? ServiceChanges(LvsService cur, LvsService want)
    {
        List<string>? c = null; // made only when something differs (a no-op sync compares 50,000 entries)
        if (cur.Scheduler != want.Scheduler) (c ??= []).Add($"scheduler {cur.Scheduler} -> {want.Scheduler}");
        var mask = ~ServiceFlags.Hashed;
        if ((cur.Flags & mask) != (want.Flags & mask)) (c ??= []).Add($"flags {cur.Flags & mask} -> {want.Flags & mask}");
        if (want.Persistent && cur.PersistenceTimeout != want.PersistenceTimeout)
            (c ??= []).Add($"persistence timeout {cur.PersistenceTimeout.TotalSeconds} -> {want.PersistenceTimeout.TotalSeconds}");
        if (cur.PersistenceNetmask != want.PersistenceNetmask) (c ??= []).Add($"netmask {cur.PersistenceNetmask:x} -> {want.PersistenceNetmask:x}");
        if ((cur.PersistenceEngine ?? "") != (want.PersistenceEngine ?? "")) (c ??= []).Add($"pe {cur.PersistenceEngine} -> {want.PersistenceEngine}");
        return c is null ? null : string.Join("; ", c);
    }

    /// <summary>What differs between two real servers' settings, or null when nothing does.</summary>
    public static string? RealServerChanges(LvsRealServer cur, LvsRealServer want)
    {
        List<string>? c = null; // made only when something differs (a no-op sync compares 50,000 entries)
        if (cur.ForwardingMethod != want.ForwardingMethod) (c ??= []).Add($"forwarding {cur.ForwardingMethod} -> {want.ForwardingMethod}");
        if (cur.Weight != want.Weight) (c ??= []).Add($"weight {cur.Weight} -> {want.Weight}");
        if (cur.UpperThreshold != want.UpperThreshold) (c ??= []).Add($"upper threshold {cur.UpperThreshold} -> {want.UpperThreshold}");
        if (cur.LowerThreshold != want.LowerThreshold) (c ??= []).Add($"lower threshold {cur.LowerThreshold} -> {want.LowerThreshold}");
        if (want.ForwardingMethod == ForwardingMethod.Tunnel)
        {
            if ((cur.TunnelType ?? TunnelType.IpIp) != (want.TunnelType ?? TunnelType.IpIp)) (c ??= []).Add($"tunnel {cur.TunnelType} -> {want.TunnelType}");
            if ((cur.TunnelPort ?? 0) != (want.TunnelPort ?? 0)) (c ??= []).Add($"tunnel port {cur.TunnelPort} -> {want.TunnelPort}");
            if ((cur.TunnelChecksum ?? TunnelChecksum.None) != (want.TunnelChecksum ?? TunnelChecksum.None)) (c ??= []).Add($"tunnel checksum {cur.TunnelChecksum} -> {want.TunnelChecksum}");
        }
        return c is null ? null : string.Join("; ", c);
    }

    /// <summary>Whether a running daemon already is the wanted one (what the document leaves out, null, is any value).</summary>
    private static bool SameDaemon(LvsSyncDaemon have, LvsSyncDaemon want) =>
        have.MulticastInterface == want.MulticastInterface && have.SyncId == want.SyncId
        && (want.SyncMaxLength is null || have.SyncMaxLength == want.SyncMaxLength)
        && (want.MulticastGroup is null || Equals(have.MulticastGroup, want.MulticastGroup))
        && (want.MulticastPort is null || have.MulticastPort == want.MulticastPort)
        && (want.MulticastTtl is null || have.MulticastTtl == want.MulticastTtl);
}
