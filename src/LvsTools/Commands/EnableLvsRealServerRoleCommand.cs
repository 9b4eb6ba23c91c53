using System.Management.Automation;
using System.Net;
using LvsTools.Core;
using LvsTools.Core.Role;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Makes a namespace an LVS real server, in the right order and idempotently: ARP for the VIP is silenced first
/// (arp_ignore=1, arp_announce=2 on all and the client-facing interface), then DirectRouting puts the VIPs on lo as
/// /32 (/128), and Tunnel brings up tunl0 (ipip) with rp_filter off and puts the VIPs on it. Records what it changed, with the values
/// it found, for Disable-LvsRealServerRole.
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "LvsRealServerRole", SupportsShouldProcess = true)]
[OutputType(typeof(RealServerRoleResult))]
public sealed class EnableLvsRealServerRoleCommand : RealServerRoleCommandBase
{
    /// <summary>The virtual addresses (VIPs) the director forwards to this real server.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("VirtualIp", "Vip")]
    public IPAddress[] VirtualAddress { get; set; } = [];

    /// <summary>How the director forwards: DirectRouting (ipvsadm -g) or Tunnel (ipvsadm -i).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public RealServerMode Mode { get; set; }

    /// <summary>The client-facing interface whose ARP answers are silenced (both modes). Default: the interface of the IPv4 default route.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Interface { get; set; }

    /// <summary>Also record the sysctls in a sysctl.d file so that they survive a reboot.</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    /// <summary>The sysctl.d file -Persist writes. Default: /etc/sysctl.d/90-lvstools.conf.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PersistPath { get; set; }

    protected override void ProcessInNamespace()
    {
        RealServerRoleRequest request;
        RealServerRoleHost host;
        List<RealServerRoleStep> plan;
        string? clientInterface, persistFile = null;
        try
        {
            request = RealServerRolePlanner.Validate(Mode, VirtualAddress, Interface);
            CheckPersistScope(Persist);
            if (Persist)
                persistFile = FilePath.ResolveForWrite(this, PersistPath ?? SysctlPersistence.DefaultPath);
            host = RoleHost();
            var snapshot = host.Read();
            clientInterface = host.RequireClientInterface(request, snapshot);
            plan = RealServerRolePlanner.Plan(request, snapshot, clientInterface).Select(host.Preview).ToList();
            // Not removed: an address on another interface may be meant (a director that is also a real server); said.
            foreach (var conflict in RealServerRolePlanner.Conflicts(request, snapshot))
                WriteWarning(conflict + Where);
        }
        catch (Exception e)
        {
            WriteLvsError(e, ItemNamespace);
            return;
        }
        StepOutcome outcome;
        try
        {
            using (WriterLock.ForNamespace(Namespace, cancellation: Cancellation))
            {
                var store = States;
                var record = store.Load(Namespace) ?? new RealServerRoleRecord { Mode = Mode, Interface = clientInterface, VirtualAddress = [], Steps = [] };
                outcome = TakeSteps(plan, host.Apply, taken => store.Save(Namespace, record = record.Add([taken], [], [], null)));
                var persisted = persistFile is null ? [] : PersistSysctls(persistFile, outcome.Changed.Concat(outcome.Unchanged));
                if (!WhatIfSeen)
                    store.Save(Namespace, record.Add([], request.VirtualAddress, persisted, persisted.Count > 0 ? persistFile : null));
            }
        }
        catch (Exception e)
        {
            // What was done before the failure is recorded: Disable-LvsRealServerRole undoes it.
            WriteLvsError(e, ItemNamespace);
            return;
        }
        WriteOutcome("Enable", Mode, request.VirtualAddress, clientInterface, outcome, persistFile);
    }

    // The role's sysctls, as the kernel holds them now, in the sysctl.d file; returns the lines it wrote with the file's
    // values before (so that Disable can put the file back too).
    private List<PersistedSysctl> PersistSysctls(string path, IEnumerable<RealServerRoleStep> steps)
    {
        var lines = steps.Where(s => s.Kind == RealServerRoleStepKind.Sysctl)
            .Select(s => (Name: SysctlName.Parse(s.Target), Value: s.AlreadySet ? s.Previous ?? s.Value : s.Value)).ToList();
        if (lines.Count == 0 || !ShouldTake(path, $"record {string.Join(", ", lines.Select(l => $"{l.Name.Dotted} = {l.Value}"))} in {path}"))
            return [];
        var before = lines.Select(l => new PersistedSysctl(l.Name.Dotted, SysctlPersistence.Lookup(path, l.Name))).ToList();
        SysctlPersistence.Save(path, lines);
        return before;
    }
}
