using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

/// <summary>
/// The drift between a document and the kernel, derived from the very plan Sync-LvsConfiguration makes (prune on), so
/// that the two can never disagree: a create is Missing, a delete Extra, an update one Different per setting. What Sync
/// does not manage is no drift: sections the document leaves out, a service's real servers when it has no list, virtual
/// IPs the document does not list (Sync never removes an address), and a schema-v2 document's controller members
/// (health checks, sorry servers, drain timeouts) beyond what they make of a real server (maintenance: weight 0).
/// </summary>
public static class LvsConfigurationDrift
{
    /// <summary>
    /// Reads what <paramref name="desired"/> manages, once: the IPVS table only when it has services, timeouts or sync
    /// daemons (<paramref name="ipvs"/> is asked for then: a kernel without IPVS can still be compared for addresses
    /// and sysctls); addresses when it lists virtual IPs; the dependent sysctls and its own when it lists sysctls.
    /// </summary>
    public static LvsKernelState Read(LvsConfigurationDocument desired, Func<IpvsClient> ipvs, RouteClient? route, SysctlStore? sysctl)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(ipvs);
        bool managesIpvs = desired.Services is not null || desired.Timeouts is not null || desired.SyncDaemons is not null;
        return LvsKernelState.ReadFor(managesIpvs ? ipvs() : null,
            desired.VirtualIps is not null ? route : null,
            desired.Sysctls is not null ? sysctl : null,
            desired.Sysctls?.Select(s => s.Name));
    }

    /// <summary>
    /// The differences between <paramref name="current"/> and <paramref name="desired"/>: Sync's plan
    /// (<see cref="LvsConfigurationSync.Plan(LvsKernelState, LvsConfigurationDocument, bool, RouteClient?, LvsResolvedEntries?)"/>,
    /// prune on), read as drift. <paramref name="route"/> is needed when the document lists virtual IPs.
    /// </summary>
    public static List<LvsConfigurationDifference> Compare(LvsKernelState current, LvsConfigurationDocument desired, RouteClient? route = null,
        LvsResolvedEntries? resolved = null) =>
        FromPlan(LvsConfigurationSync.Plan(current, desired, prune: true, desired.VirtualIps is not null ? route : null, resolved));

    /// <summary>The drift a Sync plan removes: one difference per create or delete, one per differing setting of an update.</summary>
    public static List<LvsConfigurationDifference> FromPlan(IEnumerable<LvsPlanStep> plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var drift = new List<LvsConfigurationDifference>();
        foreach (var step in plan)
        {
            switch (step.Action)
            {
                case LvsPlanAction.Create:
                    drift.Add(Difference(step, LvsDifferenceKind.Missing, null));
                    break;
                case LvsPlanAction.Delete when step.Restart:
                    break; // the update that follows reports the daemon's differing settings
                case LvsPlanAction.Delete:
                    drift.Add(Difference(step, LvsDifferenceKind.Extra, null));
                    break;
                default:
                    if (step.Differences is { Count: > 0 } differences)
                        drift.AddRange(differences.Select(d => Difference(step, LvsDifferenceKind.Different, d)));
                    else
                        drift.Add(Difference(step, LvsDifferenceKind.Different, null));
                    break;
            }
        }
        return drift;
    }

    private static LvsConfigurationDifference Difference(LvsPlanStep step, LvsDifferenceKind kind, LvsPropertyDifference? d) => new()
    {
        Kind = kind, Section = step.Object, Key = step.Target, Operation = step.Operation,
        Property = d?.Property, DocumentValue = d?.DocumentValue, KernelValue = d?.KernelValue, NetNamespace = step.NetNamespace,
    };
}
