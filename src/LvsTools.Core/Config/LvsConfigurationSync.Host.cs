using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

public static partial class LvsConfigurationSync
{
    /// <summary>
    /// Refuses the plan when it sets a host-wide sysctl through a store bound to a named namespace without
    /// <see cref="SysctlStore.AllowHostWide"/> (SysctlNotNamespaced): checked before anything is sent.
    /// </summary>
    public static void CheckSysctlScope(IEnumerable<LvsPlanStep> steps, SysctlStore sysctl)
    {
        foreach (var step in steps)
            if (step.Sysctl is { } s)
                sysctl.CheckScope(s.Name);
    }

    /// <summary>Whether a step sets a host-wide sysctl (one that is not per network namespace).</summary>
    public static bool IsHostWide(LvsPlanStep step) => step.Sysctl is { } s && s.Name.Scope == SysctlScope.Host;

    // Virtual IPs are only added: an address the document does not list may be the host's own.
    private static void PlanVirtualIps(PlanLists p, IReadOnlyList<LvsVirtualIpEntry>? current, List<LvsVirtualIpEntry> desired, RouteClient? route)
    {
        var existing = (current ?? []).Select(v => (v.InterfaceName, v.Address)).ToHashSet();
        // One context for the whole document: an automatic label planned for one address counts as taken for the next.
        var labels = route is null ? null : new VirtualIpPlanContext(route);
        foreach (var v in desired.Where(v => !existing.Contains((v.InterfaceName, v.Address))))
        {
            if (labels is null)
                throw new InvalidOperationException("planning virtual IPs needs a route client");
            var request = VirtualIpPlanner.Plan(labels, new VirtualIpSpec
            {
                InterfaceName = v.InterfaceName, Address = v.Address, Label = v.Label, Broadcast = v.Broadcast,
            });
            // The state read lists only the addresses of services it found; one the host holds for a service this
            // document creates is there already, and adding it again would fail with EEXIST.
            if (labels.Holds(request))
                continue;
            p.Others.Add(new LvsPlanStep
            {
                Action = LvsPlanAction.Create, Object = LvsPlanObject.VirtualIp, Target = $"{v.Address} on {v.InterfaceName}",
                Operation = request.Describe("add"), Address = request,
            });
        }
    }

    private static void PlanSysctls(PlanLists p, IReadOnlyList<LvsSysctlEntry>? current, List<LvsSysctlEntry> desired)
    {
        var currentValues = (current ?? []).ToDictionary(s => s.Name, s => s.Value);
        foreach (var s in desired)
        {
            var name = SysctlName.Parse(s.Name);
            if (currentValues.TryGetValue(name.Dotted, out var v) && Normalize(v) == Normalize(s.Value))
                continue;
            p.Others.Add(new LvsPlanStep
            {
                Action = currentValues.ContainsKey(name.Dotted) ? LvsPlanAction.Update : LvsPlanAction.Create,
                Object = LvsPlanObject.Sysctl, Target = name.Dotted, Operation = $"sysctl -w {name.Dotted}={s.Value}",
                Changes = v is null ? null : $"{v} -> {s.Value}", Sysctl = (name, s.Value),
                Differences = v is null ? null : [new("value", v, s.Value)],
            });
        }
    }

    private static string Normalize(string v) => string.Join(' ', v.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
