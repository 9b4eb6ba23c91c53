using LvsTools.Core.Sysctl;

namespace LvsTools;

/// <summary>
/// The two IPVS sysctls that decide whether clients still reach a drained server, as read in one namespace (null: the
/// key is absent, e.g. IPVS not loaded). Equivalent to: sysctl -n net.ipv4.vs.expire_quiescent_template
/// net.ipv4.vs.expire_nodest_conn.
/// </summary>
public sealed record DrainKernelSettings(int? ExpireQuiescentTemplate, int? ExpireNodestConn)
{
    public static readonly SysctlName ExpireQuiescentTemplateKey = SysctlName.Parse("net.ipv4.vs.expire_quiescent_template");
    public static readonly SysctlName ExpireNodestConnKey = SysctlName.Parse("net.ipv4.vs.expire_nodest_conn");

    /// <summary>Reads both keys in the store's namespace; a key that cannot be read is null.</summary>
    public static DrainKernelSettings Read(SysctlStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new DrainKernelSettings(ReadInt(store, ExpireQuiescentTemplateKey), ReadInt(store, ExpireNodestConnKey));
    }

    private static int? ReadInt(SysctlStore store, SysctlName key)
    {
        try
        {
            return int.TryParse(store.Get(key).Value.Trim(), out var v) ? v : null;
        }
        catch (Exception e) when (e is LvsException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Why clients may still be sent to a drained server, as sentences a cmdlet writes as warnings.</summary>
public static class RealServerDrainAdvice
{
    /// <summary>
    /// What may keep the drain from ending, said before the wait: persistence on <paramref name="service"/> (its templates
    /// send a client's new connections to the server it had until they expire), unless expire_quiescent_template is 1.
    /// Empty when nothing does. <paramref name="service"/> null: unknown (nothing said about persistence).
    /// </summary>
    public static IReadOnlyList<string> AtStart(LvsService? service, LvsRealServer server, DrainKernelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(settings);
        var warnings = new List<string>();
        if (service is { Persistent: true })
        {
            if (settings.ExpireQuiescentTemplate is 0 or null)
                warnings.Add($"Virtual service {service.Key} is persistent (-p {(int)service.PersistenceTimeout.TotalSeconds}): at weight 0, " +
                    $"{server.Endpoint} still gets the new connections of every client whose persistence template points at it, until " +
                    $"the template expires ({service.PersistenceTimeout.TotalSeconds:0} s after that client's last connection ends), " +
                    $"because net.ipv4.vs.expire_quiescent_template is {Shown(settings.ExpireQuiescentTemplate)}. The drain may last " +
                    "until its timeout. Set net.ipv4.vs.expire_quiescent_template to 1 to reschedule such clients at once.");
            else
                warnings.Add($"Virtual service {service.Key} is persistent: persistence templates that point at {server.Endpoint} " +
                    "are expired on their next packet (net.ipv4.vs.expire_quiescent_template is 1), so those clients move to other " +
                    "servers; connections already open stay until they end.");
        }
        return warnings;
    }

    /// <summary>
    /// What becomes of the connections a drain cut off at its timeout (<paramref name="status"/> TimedOut): with
    /// expire_nodest_conn 0 their packets are dropped until the entries time out; with 1 the entries are expired on the
    /// next packet and the clients reconnect elsewhere. Null when the drain did not time out.
    /// </summary>
    public static string? AtTimeout(RealServerDrainStatus status, DrainKernelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(settings);
        if (status.State != RealServerDrainState.TimedOut)
            return null;
        string cut = $"Real server {status.Server.Endpoint} of virtual service {status.Server.Service} was deleted at the drain timeout " +
            $"with {status.ActiveConnections} active and {status.InactiveConnections} inactive connections left.";
        return settings.ExpireNodestConn == 1
            ? cut + " net.ipv4.vs.expire_nodest_conn is 1: each of them is expired on its next packet, and its client must reconnect."
            : cut + $" net.ipv4.vs.expire_nodest_conn is {Shown(settings.ExpireNodestConn)}: their packets are dropped silently until " +
              "the entries time out (clients hang rather than see a reset). Set it to 1 to expire them on their next packet.";
    }

    private static string Shown(int? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown (unreadable)";
}
