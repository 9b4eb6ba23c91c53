using LvsTools.Core.Config;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Tests.Config;

/// <summary>
/// Compare-LvsConfiguration's drift, derived from Sync's plan without a kernel: every kind in every section, the
/// "absent section = not managed" rules, and the proof that what Sync leaves behind has no drift.
/// </summary>
public class DriftTests
{
    private static LvsConfigurationDocument Rules(params string[] lines) => IpvsadmRules.Parse(lines);

    private static List<LvsConfigurationDifference> Drift(LvsConfigurationDocument kernel, LvsConfigurationDocument document) =>
        LvsConfigurationDrift.Compare(LvsKernelState.From(kernel), document);

    private static string Line(LvsConfigurationDifference d) =>
        $"{d.Kind} {d.Section} {d.Key}" + (d.Property is null ? "" : $" {d.Property}: {LvsPropertyDifference.Show(d.DocumentValue)} / {LvsPropertyDifference.Show(d.KernelValue)}");

    [Fact]
    public void Every_kind_of_ipvs_drift_is_one_object_per_difference()
    {
        var kernel = Rules("-A -t 10.0.0.1:80 -s wlc -p 300", "-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 1", "-a -t 10.0.0.1:80 -r 10.0.1.12:8080 -m -w 1",
            "-A -t 10.0.0.9:80 -s rr", "-a -t 10.0.0.9:80 -r 10.0.1.50:80 -g");
        var document = Rules("-A -t 10.0.0.1:80 -s wrr -p 600", "-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3", "-a -t 10.0.0.1:80 -r 10.0.1.13:8080 -m -w 1",
            "-A -u 10.0.0.1:53 -s rr", "-a -u 10.0.0.1:53 -r 10.0.1.11:53 -m");
        var drift = Drift(kernel, document);
        Assert.Equal([
            "Extra RealServer TCP  10.0.0.1:80 -> 10.0.1.12:8080",
            "Extra Service TCP  10.0.0.9:80",
            "Different Service TCP  10.0.0.1:80 scheduler: wrr / wlc",
            "Different Service TCP  10.0.0.1:80 persistence timeout: 600 / 300",
            "Missing Service UDP  10.0.0.1:53",
            "Different RealServer TCP  10.0.0.1:80 -> 10.0.1.11:8080 weight: 3 / 1",
            "Missing RealServer TCP  10.0.0.1:80 -> 10.0.1.13:8080",
            "Missing RealServer UDP  10.0.0.1:53 -> 10.0.1.11:53",
        ], drift.Select(Line));
        // Typed values, and the operation Sync would send for each.
        var weight = drift.Single(d => d.Property == "weight");
        Assert.Equal((3, 1), ((int)weight.DocumentValue!, (int)weight.KernelValue!));
        Assert.Equal(TimeSpan.FromSeconds(600), drift.Single(d => d.Property == "persistence timeout").DocumentValue);
        Assert.Equal("ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3", weight.Operation);
        Assert.Equal("ipvsadm -D -t 10.0.0.9:80", drift.Single(d => d.Kind == LvsDifferenceKind.Extra && d.Section == LvsPlanObject.Service).Operation);
    }

    [Fact]
    public void The_drift_is_Syncs_plan_and_what_Sync_leaves_has_none()
    {
        var kernel = Rules("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 1", "-A -f 7 -s rr");
        var document = Rules("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 2", "-A -u 10.0.0.2:53 -s sh -b sh-port");
        var plan = LvsConfigurationSync.Plan(kernel, document, prune: true);
        var drift = Drift(kernel, document);
        // one difference per step here (one setting per update), each with the step's operation, in the plan's order
        Assert.Equal(plan.Select(s => s.Operation), drift.Select(d => d.Operation));
        // the kernel as Sync leaves it (the document's state, as an export reads it back) has no drift
        Assert.Empty(Drift(LvsKernelState.From(document).ToDocument(), document));
        Assert.Empty(Drift(document, document));
    }

    [Fact]
    public void An_absent_section_is_not_managed_and_an_empty_one_means_none()
    {
        var kernel = Rules("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 1");
        Assert.Empty(Drift(kernel, new LvsConfigurationDocument()));
        Assert.Equal(["Extra Service TCP  10.0.0.1:80"], Drift(kernel, new LvsConfigurationDocument { Services = [] }).Select(Line));
        // a service listed without realServers: its real servers are not managed
        var noReals = LvsConfigurationDocument.FromJson("{\"schemaVersion\": 1, \"services\": [{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80}]}");
        Assert.Empty(Drift(kernel, noReals));
        var emptyReals = LvsConfigurationDocument.FromJson("{\"schemaVersion\": 1, \"services\": [{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80, \"realServers\": []}]}");
        Assert.Equal(["Extra RealServer TCP  10.0.0.1:80 -> 10.0.1.11:80"], Drift(kernel, emptyReals).Select(Line));
    }

    private const string V2 = "{\"schemaVersion\": 2, \"services\": [{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80, \"scheduler\": \"wlc\", " +
        "\"healthCheck\": {\"type\": \"http\", \"path\": \"/health\"}, \"sorryServer\": {\"address\": \"10.0.9.9\", \"port\": 80}, \"drainTimeout\": 60, " +
        "\"realServers\": [{\"address\": \"10.0.1.11\", \"port\": 80, \"weight\": 5MAINT}]}]}";

    [Fact]
    public void Controller_members_are_no_drift_but_maintenance_is_weight_0()
    {
        var kernel = Rules("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 5");
        Assert.Empty(Drift(kernel, LvsConfigurationDocument.FromJson(V2.Replace("MAINT", ""))));
        var drift = Assert.Single(Drift(kernel, LvsConfigurationDocument.FromJson(V2.Replace("MAINT", ", \"maintenance\": true"))));
        Assert.Equal("Different RealServer TCP  10.0.0.1:80 -> 10.0.1.11:80 weight: 0 / 5", Line(drift));
    }

    [Fact]
    public void Timeouts_daemons_and_sysctls_drift_by_setting()
    {
        var kernel = new LvsConfigurationDocument
        {
            Timeouts = new LvsTimeoutsEntry { Tcp = 900, TcpFin = 120, Udp = 300 },
            SyncDaemons = [new LvsSyncDaemonEntry { State = "master", MulticastInterface = "eth0", SyncId = 1 },
                new LvsSyncDaemonEntry { State = "backup", MulticastInterface = "eth0", SyncId = 1 }],
            Sysctls = [new LvsSysctlEntry { Name = "net.ipv4.ip_forward", Value = "0" }, new LvsSysctlEntry { Name = "net.ipv4.vs.expire_nodest_conn", Value = "1" }],
        };
        var document = new LvsConfigurationDocument
        {
            // 0: unchanged, as in ipvsadm --set (no drift)
            Timeouts = new LvsTimeoutsEntry { Tcp = 600, TcpFin = 0, Udp = 300 },
            SyncDaemons = [new LvsSyncDaemonEntry { State = "master", MulticastInterface = "eth1", SyncId = 1 }],
            Sysctls = [new LvsSysctlEntry { Name = "net.ipv4.ip_forward", Value = "1" }, new LvsSysctlEntry { Name = "net.ipv4.vs.expire_nodest_conn", Value = "1" },
                new LvsSysctlEntry { Name = "net.ipv4.vs.conntrack", Value = "1" }],
        };
        Assert.Equal([
            // the master's restart is one difference (its stop is half of the update), the backup is extra
            "Extra SyncDaemon backup sync daemon",
            "Different Timeouts IPVS timeouts tcp: 600 / 900",
            "Different SyncDaemon master sync daemon multicast interface: eth1 / eth0",
            "Different Sysctl net.ipv4.ip_forward value: 1 / 0",
            "Missing Sysctl net.ipv4.vs.conntrack",
        ], Drift(kernel, document).Select(Line));
    }

    [Fact]
    public void Virtual_ips_are_only_ever_missing()
    {
        // Sync never removes an address (it may be the host's own): an address the document does not list is no drift.
        var kernel = new LvsConfigurationDocument { VirtualIps = [new LvsVirtualIpEntry { InterfaceName = "eth0", Address = "10.0.0.1/32" }] };
        Assert.Empty(Drift(kernel, new LvsConfigurationDocument { VirtualIps = [] }));
        Assert.Empty(Drift(kernel, new LvsConfigurationDocument { VirtualIps = [new LvsVirtualIpEntry { InterfaceName = "eth0", Address = "10.0.0.1/32" }] }));
    }

    [Fact]
    public void The_plan_text_is_the_differences_text()
    {
        var kernel = Rules("-A -t 10.0.0.1:80 -s rr -p 300 -M 255.255.255.0", "-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 1");
        var document = Rules("-A -t 10.0.0.1:80 -s wrr -p 300 -M 255.255.0.0", "-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3 -x 10");
        var plan = LvsConfigurationSync.Plan(kernel, document, prune: true);
        Assert.Equal(["scheduler rr -> wrr; netmask 255.255.255.0 -> 255.255.0.0", "weight 1 -> 3; upper threshold 0 -> 10"], plan.Select(s => s.Changes));
        Assert.All(plan, s => Assert.Equal(s.Changes, LvsPropertyDifference.Join(s.Differences)));
    }

    [Fact]
    public void A_listed_sysctl_outside_the_dependent_ones_is_read_so_its_value_is_no_drift()
    {
        // A /proc/sys of the test's own: ip_forward (a dependent sysctl) and accept_local (not one: read because listed).
        string root = Path.Combine(Path.GetTempPath(), "lvst-drift-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "net/ipv4/conf/veth0"));
            File.WriteAllText(Path.Combine(root, "net/ipv4/ip_forward"), "1\n");
            File.WriteAllText(Path.Combine(root, "net/ipv4/conf/veth0/accept_local"), "0\n");
            var document = new LvsConfigurationDocument
            {
                Sysctls = [new LvsSysctlEntry { Name = "net.ipv4.ip_forward", Value = "1" }, new LvsSysctlEntry { Name = "net.ipv4.conf.veth0.accept_local", Value = "0" }],
            };
            var state = LvsConfigurationDrift.Read(document, () => throw new InvalidOperationException("no IPVS section: the IPVS table is not read"),
                null, new SysctlStore(root: root));
            Assert.Empty(state.Services);
            Assert.Contains(state.Sysctls!, e => e.Name == "net.ipv4.conf.veth0.accept_local" && e.Value == "0");
            Assert.Empty(LvsConfigurationDrift.Compare(state, document));
            Assert.Empty(LvsConfigurationSync.Plan(state, document, prune: true));
            File.WriteAllText(Path.Combine(root, "net/ipv4/conf/veth0/accept_local"), "1\n");
            var changed = LvsConfigurationDrift.Read(document, () => throw new InvalidOperationException(), null, new SysctlStore(root: root));
            Assert.Equal(["Different Sysctl net.ipv4.conf.veth0.accept_local value: 0 / 1"], LvsConfigurationDrift.Compare(changed, document).Select(Line));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
