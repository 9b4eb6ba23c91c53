using System.Net;
using LvsTools.Core.Config;
using LvsTools.Core.Controller;

namespace LvsTools.Core.Tests.Controller;

/// <summary>
/// The controller's reconcile of one service alone (what it runs at once when a server crosses its fall or rise) and
/// its schedule (when the whole table is read): injected probe results, a hand-moved clock, no kernel.
/// </summary>
public class PartialReconcileTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);
    private static readonly ServiceKey Web = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly ServiceKey Api = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.2"), 80);

    // Two services (10.0.0.1:80 and 10.0.0.2:80), each with real servers .11 and .12 at weight 3, TCP checks with fall 3.
    private static readonly ControlledDocument Doc = ControlledDocuments.From(LvsConfigurationDocument.FromJson("""
        { "schemaVersion": 2, "services": [
          { "protocol": "tcp", "address": "10.0.0.1", "port": 80, "scheduler": "wrr",
            "healthCheck": { "type": "tcp", "timeout": 1, "interval": 1, "rise": 2, "fall": 3 },
            "realServers": [ { "address": "10.0.1.11", "port": 80, "weight": 3 }, { "address": "10.0.1.12", "port": 80, "weight": 3 } ] },
          { "protocol": "tcp", "address": "10.0.0.2", "port": 80, "scheduler": "wrr",
            "healthCheck": { "type": "tcp", "timeout": 1, "interval": 1, "rise": 2, "fall": 3 },
            "realServers": [ { "address": "10.0.1.11", "port": 80, "weight": 3 }, { "address": "10.0.1.12", "port": 80, "weight": 3 } ] } ] }
        """));

    private static LvsRealServer Live(ServiceKey service, int last, int weight) => new()
    {
        Service = service, Address = IPAddress.Parse($"10.0.1.{last}"), Port = 80, Weight = weight,
    };

    // The kernel holding both services with the given weights of .11 and .12 (web first, then api).
    private static LvsKernelState Table(int web11, int web12 = 3, int api11 = 3, int api12 = 3) => new()
    {
        Services = new Dictionary<ServiceKey, LvsKernelService>
        {
            [Web] = new(ServiceSettings.New(Web, "wrr", null, false, null, null, null, false),
                new[] { Live(Web, 11, web11), Live(Web, 12, web12) }.ToDictionary(r => (r.Address, r.Port))),
            [Api] = new(ServiceSettings.New(Api, "wrr", null, false, null, null, null, false),
                new[] { Live(Api, 11, api11), Live(Api, 12, api12) }.ToDictionary(r => (r.Address, r.Port))),
        },
    };

    private static (List<LvsPlanStep> Plan, IReadOnlyList<LvsControllerEvent> Events) Full(LvsReconciler r, LvsKernelState live)
    {
        r.Track(Doc, live);
        var result = r.Reconcile(Doc, live, T0);
        r.Applied(result, complete: true);
        return (result.Plan(), result.Events);
    }

    private static (List<LvsPlanStep> Plan, IReadOnlyList<LvsControllerEvent> Events) Partial(LvsReconciler r, ServiceKey key, LvsKernelState live)
    {
        var result = r.Reconcile(Doc.Only(new HashSet<ServiceKey> { key }), live, T0, partial: true);
        r.Applied(result, complete: true);
        return (result.Plan(), result.Events);
    }

    private static LvsControllerEvent? Fail(LvsReconciler r, ServiceKey service, int last, int times)
    {
        LvsControllerEvent? e = null;
        for (int i = 0; i < times; i++)
            e = r.Observe(new RealServerId(service, IPAddress.Parse($"10.0.1.{last}"), 80), new ProbeOutcome(false, "connection refused"), () => T0) ?? e;
        return e;
    }

    [Fact]
    public void A_fall_crossing_is_one_write_for_its_service_alone_and_an_unchanged_service_is_none()
    {
        var r = new LvsReconciler();
        Assert.Empty(Full(r, Table(3)).Plan);
        Assert.Null(Fail(r, Web, 11, 2));
        Assert.Empty(Partial(r, Web, Table(3)).Plan); // two failures of three: nothing to write
        Assert.Equal(LvsControllerEventKind.ServerDown, Fail(r, Web, 11, 1)?.Kind);
        // The table holds api too: a reconcile of web alone never plans a step for it (no prune of what it was not given).
        var step = Assert.Single(Partial(r, Web, Table(3)).Plan);
        Assert.Equal((LvsPlanAction.Update, LvsPlanObject.RealServer, "weight 3 -> 0"), (step.Action, step.Object, step.Changes));
        Assert.Contains("10.0.0.1:80", step.Target);
        var again = Partial(r, Web, Table(0));
        Assert.Empty(again.Plan); // applied: the same reconcile again writes nothing
        Assert.Empty(again.Events);
        Assert.Empty(Partial(r, Api, Table(0)).Plan);
    }

    [Fact]
    public void A_partial_reconcile_keeps_what_the_full_one_recorded_of_the_other_services()
    {
        var r = new LvsReconciler();
        Full(r, Table(3));
        Fail(r, Web, 11, 3);
        Assert.Single(Partial(r, Web, Table(3)).Plan);
        // The next full read: web .11 at 0 is the controller's own change, no hand change; api untouched.
        var full = Full(r, Table(0));
        Assert.Empty(full.Plan);
        Assert.Empty(full.Events);
        // A hand change on api after the partial reconcile is still known as one: set back, with its event.
        var hand = Full(r, Table(0, api12: 7));
        Assert.Equal("weight 7 -> 3", Assert.Single(hand.Plan).Changes);
        Assert.Equal(LvsControllerEventKind.WeightRestored, Assert.Single(hand.Events).Kind);
    }

    [Fact]
    public void A_partial_reconcile_of_a_service_the_kernel_lacks_creates_it_with_its_servers()
    {
        var r = new LvsReconciler();
        Full(r, Table(3));
        var empty = new LvsKernelState { Services = new Dictionary<ServiceKey, LvsKernelService>() };
        var plan = Partial(r, Api, empty).Plan;
        Assert.Equal(3, plan.Count);
        Assert.All(plan, s => Assert.Equal(LvsPlanAction.Create, s.Action));
        Assert.All(plan, s => Assert.Contains("10.0.0.2:80", s.Target));
    }

    [Fact]
    public void A_state_change_is_reconciled_at_once_between_ticks_and_a_cheap_table_is_read_every_interval()
    {
        var s = new CycleSchedule(TimeSpan.FromSeconds(1));
        Assert.Equal(CycleKind.Full, s.Next(T0));
        s.FullCycleDone(T0, TimeSpan.FromMilliseconds(50));
        // A probe result 100 ms later does not wait for the next tick: the loop runs the pending services now.
        Assert.Equal(CycleKind.Pending, s.Next(T0.AddMilliseconds(100)));
        Assert.Equal(TimeSpan.FromMilliseconds(900), s.Wait(T0.AddMilliseconds(100)));
        // The second read half an interval late (out of step with the probes' rounds), a tick at the interval meanwhile.
        Assert.Equal(T0.AddSeconds(1.5), s.NextRead);
        Assert.Equal(CycleKind.Tick, s.Next(T0.AddSeconds(1)));
        Assert.Equal(CycleKind.Full, s.Next(T0.AddSeconds(1.5)));
    }

    [Fact]
    public void Reads_go_on_at_a_fixed_rate_from_when_they_were_due_not_from_a_late_start()
    {
        var s = new CycleSchedule(TimeSpan.FromSeconds(1));
        s.Next(T0);
        s.FullCycleDone(T0, TimeSpan.FromMilliseconds(50));
        // Started 30 ms late: the next read is still due at 2.5 s, not 2.53 s.
        Assert.Equal(CycleKind.Full, s.Next(T0.AddSeconds(1.53)));
        s.FullCycleDone(T0.AddSeconds(1.53), TimeSpan.FromMilliseconds(50));
        Assert.Equal(T0.AddSeconds(2.5), s.NextRead);
        // After a stall longer than the interval: an interval from the late start.
        s.FullCycleDone(T0.AddSeconds(4), TimeSpan.FromMilliseconds(50));
        Assert.Equal(T0.AddSeconds(5), s.NextRead);
    }

    [Fact]
    public void A_table_that_takes_long_to_read_is_read_every_ten_times_that_with_ticks_every_interval_between()
    {
        var s = new CycleSchedule(TimeSpan.FromSeconds(1));
        Assert.Equal(CycleKind.Full, s.Next(T0));
        s.FullCycleDone(T0, TimeSpan.FromSeconds(3));
        Assert.Equal(T0.AddSeconds(30.5), s.NextRead);
        Assert.Equal(CycleKind.Tick, s.Next(T0.AddSeconds(3)));
        Assert.Equal(CycleKind.Pending, s.Next(T0.AddSeconds(3.5)));
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.Wait(T0.AddSeconds(3.5)));
        Assert.Equal(CycleKind.Tick, s.Next(T0.AddSeconds(4)));
        Assert.Equal(CycleKind.Full, s.Next(T0.AddSeconds(30.5)));
    }
}
