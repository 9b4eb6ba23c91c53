using System.Net;
using LvsTools.Core.Config;
using LvsTools.Core.Controller;

namespace LvsTools.Core.Tests.Controller;

/// <summary>
/// The controller's state machine with injected probe results and a hand-moved clock: document + health state + live
/// table → the plan Sync's planner makes of the desired table. No kernel.
/// </summary>
public class LvsReconcilerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);
    private static readonly ServiceKey Web = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly ServiceKey Other = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.9"), 80);

    // A version 2 document with one service 10.0.0.1:80 (wrr) and the given real servers and policy members.
    private static ControlledDocument Doc(string realServers, string policy = "", string check = """{ "type": "tcp", "timeout": 1, "interval": 1, "rise": 2, "fall": 3 }""") =>
        ControlledDocuments.From(LvsConfigurationDocument.FromJson($$"""
        { "schemaVersion": 2, "services": [ { "protocol": "tcp", "address": "10.0.0.1", "port": 80, "scheduler": "wrr",
          "healthCheck": {{check}} {{policy}}, "realServers": [ {{realServers}} ] } ] }
        """));

    private static string Rs(int last, int weight, string extra = "") =>
        $$"""{ "address": "10.0.1.{{last}}", "port": 80, "weight": {{weight}} {{extra}} }""";

    private static LvsRealServer Live(int last, int weight, uint active = 0, uint inactive = 0, ServiceKey? service = null) => new()
    {
        Service = service ?? Web, Address = IPAddress.Parse($"10.0.1.{last}"), Port = 80, Weight = weight,
        ActiveConnections = active, InactiveConnections = inactive,
    };

    // The kernel holding 10.0.0.1:80 (wrr) with these real servers, and optionally another service nobody's document lists.
    private static LvsKernelState Table(IEnumerable<LvsRealServer> realServers, bool withOther = false)
    {
        var services = new Dictionary<ServiceKey, LvsKernelService>
        {
            [Web] = new(ServiceSettings.New(Web, "wrr", null, false, null, null, null, false), realServers.ToDictionary(r => (r.Address, r.Port))),
        };
        if (withOther)
            services[Other] = new(ServiceSettings.New(Other, "rr", null, false, null, null, null, false),
                new[] { Live(99, 5, service: Other) }.ToDictionary(r => (r.Address, r.Port)));
        return new LvsKernelState { Services = services };
    }

    private static RealServerId Id(int last) => new(Web, IPAddress.Parse($"10.0.1.{last}"), 80);

    // One cycle: track, reconcile, plan; the kernel is then taken to be what the plan made (as a successful apply would).
    private static (List<LvsPlanStep> Plan, IReadOnlyList<LvsControllerEvent> Events) Cycle(LvsReconciler r, ControlledDocument doc, LvsKernelState live, DateTimeOffset now)
    {
        r.Track(doc, live);
        var result = r.Reconcile(doc, live, now);
        var plan = result.Plan();
        r.Applied(result, complete: true);
        return (plan, result.Events);
    }

    private static void Probe(LvsReconciler r, int last, bool ok, int times, List<LvsControllerEvent>? events = null)
    {
        for (int i = 0; i < times; i++)
            if (r.Observe(Id(last), new ProbeOutcome(ok, ok ? "connected" : "connection refused"), () => T0) is { } e)
                events?.Add(e);
    }

    [Fact]
    public void A_server_goes_to_weight_0_after_Fall_failures_and_back_after_Rise_successes()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3) + "," + Rs(12, 3));
        var live = Table([Live(11, 3), Live(12, 3)]);
        Assert.Empty(Cycle(r, doc, live, T0).Plan);
        var events = new List<LvsControllerEvent>();
        Probe(r, 11, ok: false, times: 2, events);
        Assert.Empty(events);
        Assert.Empty(Cycle(r, doc, live, T0).Plan);
        Probe(r, 11, ok: false, times: 1, events);
        var down = Assert.Single(events);
        Assert.Equal(LvsControllerEventKind.ServerDown, down.Kind);
        Assert.Equal("10.0.1.11:80", down.RealServer);
        var (plan, cycleEvents) = Cycle(r, doc, live, T0);
        var step = Assert.Single(plan);
        Assert.Equal((LvsPlanAction.Update, LvsPlanObject.RealServer), (step.Action, step.Object));
        Assert.Equal("weight 3 -> 0", step.Changes);
        Assert.Empty(cycleEvents); // the controller's own change is no hand change
        live = Table([Live(11, 0), Live(12, 3)]);
        Probe(r, 11, ok: true, times: 1, events);
        Assert.Empty(Cycle(r, doc, live, T0).Plan);
        Probe(r, 11, ok: true, times: 1, events);
        Assert.Equal(LvsControllerEventKind.ServerUp, events[^1].Kind);
        Assert.Equal("weight 0 -> 3", Assert.Single(Cycle(r, doc, live, T0).Plan).Changes);
    }

    [Fact]
    public void A_success_between_failures_starts_the_count_again()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3));
        Cycle(r, doc, Table([Live(11, 3)]), T0);
        Probe(r, 11, false, 2);
        Probe(r, 11, true, 1);
        Probe(r, 11, false, 2);
        Assert.True(r.IsHealthy(Id(11)));
        Probe(r, 11, false, 1);
        Assert.False(r.IsHealthy(Id(11)));
    }

    [Fact]
    public void Alpha_starts_a_new_server_failed_until_Rise_successes_and_without_alpha_it_starts_healthy()
    {
        var alpha = new LvsReconciler();
        var doc = Doc(Rs(11, 3), """, "alpha": true""");
        var step = Assert.Single(Cycle(alpha, doc, Table([]), T0).Plan);
        Assert.Equal(LvsPlanAction.Create, step.Action);
        Assert.Contains("-w 0", step.Operation);
        Probe(alpha, 11, true, 2);
        Assert.Equal("weight 0 -> 3", Assert.Single(Cycle(alpha, doc, Table([Live(11, 0)]), T0).Plan).Changes);

        var plain = new LvsReconciler();
        var created = Assert.Single(Cycle(plain, Doc(Rs(11, 3)), Table([]), T0).Plan);
        Assert.Contains("-w 3", created.Operation);
    }

    [Fact]
    public void Started_over_a_matching_table_it_adopts_it_and_plans_nothing_even_with_alpha()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3) + "," + Rs(12, 2, """, "maintenance": true"""), """, "alpha": true""");
        var (plan, events) = Cycle(r, doc, Table([Live(11, 3), Live(12, 0)]), T0);
        Assert.Empty(plan);
        Assert.Empty(events);
        Assert.True(r.IsHealthy(Id(11)));
    }

    [Fact]
    public void Adopted_at_weight_0_a_server_is_failed_and_returns_only_after_Rise()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3) + "," + Rs(12, 3));
        var live = Table([Live(11, 0), Live(12, 3)]);
        Assert.Empty(Cycle(r, doc, live, T0).Plan);
        Assert.False(r.IsHealthy(Id(11)));
        Probe(r, 11, true, 1);
        Assert.Empty(Cycle(r, doc, live, T0).Plan);
        Probe(r, 11, true, 1);
        Assert.Equal("weight 0 -> 3", Assert.Single(Cycle(r, doc, live, T0).Plan).Changes);
    }

    [Fact]
    public void OnFailure_remove_deletes_the_failed_server_and_it_is_no_drain()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3) + "," + Rs(12, 3), """, "onFailure": "remove" """);
        var live = Table([Live(11, 3, active: 5), Live(12, 3)]);
        Cycle(r, doc, live, T0);
        Probe(r, 11, false, 3);
        var (plan, events) = Cycle(r, doc, live, T0);
        var step = Assert.Single(plan);
        Assert.Equal((LvsPlanAction.Delete, LvsPlanObject.RealServer), (step.Action, step.Object));
        Assert.DoesNotContain(events, e => e.Kind == LvsControllerEventKind.DrainStarted);
        // restarted with the server absent, it is adopted as failed: not added back until it passes Rise checks
        var again = new LvsReconciler();
        var after = Table([Live(12, 3)]);
        Assert.Empty(Cycle(again, doc, after, T0).Plan);
        Probe(again, 11, true, 2);
        Assert.Equal(LvsPlanAction.Create, Assert.Single(Cycle(again, doc, after, T0).Plan).Action);
    }

    [Fact]
    public void A_server_in_maintenance_is_held_at_weight_0_and_never_probed()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3, """, "maintenance": true""") + "," + Rs(12, 3));
        var live = Table([Live(11, 3), Live(12, 3)]);
        var targets = r.Track(doc, live);
        Assert.Equal([Id(12)], targets.Select(t => t.Id));
        Assert.Null(r.Observe(Id(11), new ProbeOutcome(true, "ok"), () => T0));
        Assert.Equal("weight 3 -> 0", Assert.Single(Cycle(r, doc, live, T0).Plan).Changes);
    }

    [Fact]
    public void The_sorry_server_goes_in_below_the_quorum_and_out_at_quorum_plus_hysteresis()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 2) + "," + Rs(12, 2) + "," + Rs(13, 2),
            """, "quorum": 4, "hysteresis": 2, "sorryServer": { "address": "10.0.9.9", "port": 80 }""");
        var live = Table([Live(11, 2), Live(12, 2), Live(13, 2)]);
        Assert.Empty(Cycle(r, doc, live, T0).Plan);
        Probe(r, 11, false, 3);
        Probe(r, 12, false, 3); // healthy weight 2 < 4
        var (plan, events) = Cycle(r, doc, live, T0);
        Assert.Contains(events, e => e.Kind == LvsControllerEventKind.QuorumLost);
        Assert.Single(plan, s => s.Action == LvsPlanAction.Create && s.Target.EndsWith("10.0.9.9:80", StringComparison.Ordinal));
        // The sorry server takes the traffic: the server still healthy is held at weight 0 meanwhile (as keepalived does).
        Assert.Equal("weight 2 -> 0", Assert.Single(plan, s => s.Target.EndsWith("10.0.1.13:80", StringComparison.Ordinal)).Changes);
        live = Table([Live(11, 0), Live(12, 0), Live(13, 0), Live(9, 1) with { Address = IPAddress.Parse("10.0.9.9") }]);
        Probe(r, 11, true, 2); // 4: the quorum, but not quorum + hysteresis
        (plan, events) = Cycle(r, doc, live, T0);
        Assert.DoesNotContain(events, e => e.Kind == LvsControllerEventKind.QuorumRegained);
        Assert.DoesNotContain(plan, s => s.Target.EndsWith("10.0.9.9:80", StringComparison.Ordinal));
        Probe(r, 12, true, 2); // 6
        (plan, events) = Cycle(r, doc, live, T0);
        Assert.Contains(events, e => e.Kind == LvsControllerEventKind.QuorumRegained);
        Assert.Single(plan, s => s.Action == LvsPlanAction.Delete && s.Target.EndsWith("10.0.9.9:80", StringComparison.Ordinal));
        Assert.Equal(3, plan.Count(s => s.Changes == "weight 0 -> 2"));
    }

    [Fact]
    public void Restarted_while_the_quorum_is_lost_it_keeps_the_sorry_server_in()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 2), """, "quorum": 2, "sorryServer": { "address": "10.0.9.9", "port": 80 }""");
        var live = Table([Live(11, 0), Live(9, 1) with { Address = IPAddress.Parse("10.0.9.9") }]);
        var (plan, events) = Cycle(r, doc, live, T0);
        Assert.Empty(plan);
        Assert.Empty(events);
    }

    [Fact]
    public void A_server_the_document_removed_drains_at_weight_0_then_is_deleted()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3), """, "drainTimeout": 60""");
        var (plan, events) = Cycle(r, doc, Table([Live(11, 3), Live(12, 3, active: 2)]), T0);
        Assert.Equal("weight 3 -> 0", Assert.Single(plan).Changes);
        Assert.Equal(LvsControllerEventKind.DrainStarted, Assert.Single(events).Kind);
        (plan, events) = Cycle(r, doc, Table([Live(11, 3), Live(12, 0, active: 1)]), T0.AddSeconds(10));
        Assert.Empty(plan);
        Assert.Empty(events);
        (plan, events) = Cycle(r, doc, Table([Live(11, 3), Live(12, 0)]), T0.AddSeconds(20));
        Assert.Equal((LvsPlanAction.Delete, LvsPlanObject.RealServer), (Assert.Single(plan).Action, plan[0].Object));
        Assert.Contains("no connections left", Assert.Single(events, e => e.Kind == LvsControllerEventKind.DrainCompleted).Detail);
    }

    [Fact]
    public void A_drain_ends_at_its_timeout_with_connections_left()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3), """, "drainTimeout": 60""");
        Cycle(r, doc, Table([Live(11, 3), Live(12, 3, active: 2)]), T0);
        Assert.Empty(Cycle(r, doc, Table([Live(11, 3), Live(12, 0, active: 2)]), T0.AddSeconds(59)).Plan);
        var (plan, events) = Cycle(r, doc, Table([Live(11, 3), Live(12, 0, active: 2)]), T0.AddSeconds(60));
        Assert.Equal(LvsPlanAction.Delete, Assert.Single(plan).Action);
        Assert.Contains("timeout", Assert.Single(events).Detail);
    }

    [Fact]
    public void Restarted_over_a_drain_under_way_it_goes_on_without_a_write()
    {
        var r = new LvsReconciler();
        var (plan, events) = Cycle(r, Doc(Rs(11, 3)), Table([Live(11, 3), Live(12, 0, active: 4)]), T0);
        Assert.Empty(plan);
        Assert.Contains("goes on", Assert.Single(events).Detail);
    }

    [Fact]
    public void A_weight_changed_by_hand_is_set_back_with_an_event_in_one_write()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3) + "," + Rs(12, 3));
        Assert.Empty(Cycle(r, doc, Table([Live(11, 3), Live(12, 3)]), T0).Plan);
        var (plan, events) = Cycle(r, doc, Table([Live(11, 7), Live(12, 3)]), T0);
        Assert.Equal("weight 7 -> 3", Assert.Single(plan).Changes);
        var restored = Assert.Single(events);
        Assert.Equal((LvsControllerEventKind.WeightRestored, "10.0.1.11:80"), (restored.Kind, restored.RealServer));
    }

    [Fact]
    public void Nothing_is_taken_for_a_hand_change_after_a_cycle_that_did_not_apply()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3));
        var live = Table([Live(11, 3)]);
        r.Track(doc, live);
        r.Applied(r.Reconcile(doc, live, T0), complete: false);
        Assert.Empty(Cycle(r, doc, Table([Live(11, 7)]), T0).Events);
    }

    [Fact]
    public void It_never_touches_a_service_that_is_not_in_its_document()
    {
        var r = new LvsReconciler();
        var doc = Doc(Rs(11, 3));
        var (plan, _) = Cycle(r, doc, Table([Live(11, 3)], withOther: true), T0);
        Assert.Empty(plan);
        // Sync's planner with the same document would delete it: the controller's scope is what keeps it
        Assert.Contains(LvsConfigurationSync.Plan(Table([Live(11, 3)], withOther: true), doc.Document, prune: true),
            s => s.Action == LvsPlanAction.Delete && s.Target == Other.ToString());
    }

    [Fact]
    public void A_service_without_a_realServers_list_keeps_its_real_servers()
    {
        var r = new LvsReconciler();
        var doc = ControlledDocuments.From(LvsConfigurationDocument.FromJson("""
            { "schemaVersion": 2, "services": [ { "protocol": "tcp", "address": "10.0.0.1", "port": 80, "scheduler": "wrr" } ] }
            """));
        Assert.Empty(Cycle(r, doc, Table([Live(11, 3), Live(12, 0, active: 2)]), T0).Plan);
    }

    [Fact]
    public void One_changed_weight_is_exactly_one_operation_among_many_servers()
    {
        var r = new LvsReconciler();
        var doc = Doc(string.Join(",", Enumerable.Range(10, 40).Select(i => Rs(i, 2))));
        var live = Table(Enumerable.Range(10, 40).Select(i => Live(i, 2)));
        Assert.Empty(Cycle(r, doc, live, T0).Plan);
        r.Observe(Id(30), new ProbeOutcome(false, "refused"), () => T0);
        r.Observe(Id(30), new ProbeOutcome(false, "refused"), () => T0);
        r.Observe(Id(30), new ProbeOutcome(false, "refused"), () => T0);
        var step = Assert.Single(Cycle(r, doc, live, T0).Plan);
        Assert.Equal("weight 2 -> 0", step.Changes);
        Assert.Contains("10.0.1.30:80", step.Target);
    }

    [Fact]
    public void Without_a_health_check_a_server_is_never_probed_and_always_in()
    {
        var r = new LvsReconciler();
        var doc = ControlledDocuments.From(LvsConfigurationDocument.FromJson("""
            { "schemaVersion": 2, "services": [ { "protocol": "tcp", "address": "10.0.0.1", "port": 80, "scheduler": "wrr",
              "realServers": [ { "address": "10.0.1.11", "port": 80, "weight": 3 } ] } ] }
            """));
        Assert.Empty(r.Track(doc, Table([])));
        Assert.Contains("-w 3", Assert.Single(Cycle(r, doc, Table([]), T0).Plan).Operation);
    }
}
