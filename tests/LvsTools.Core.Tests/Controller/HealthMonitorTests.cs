using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using System.Net;
using LvsTools.Core.Controller;

namespace LvsTools.Core.Tests.Controller;

/// <summary>The probe scheduler with a fake probe: the concurrency bound, the timeout, one probe per server at a time.</summary>
public class HealthMonitorTests
{
    private static readonly ServiceKey Web = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    private static ControlledRealServer Server(int last, HealthCheck check) =>
        new(new LvsRealServer { Service = Web, Address = IPAddress.Parse($"10.0.1.{last}"), Port = 80, Weight = 1 }, check, false);

    [Fact]
    public async Task A_round_probes_every_server_once_never_more_at_a_time_than_the_bound()
    {
        int running = 0, most = 0;
        var results = new ConcurrentDictionary<RealServerId, ProbeOutcome>();
        var monitor = new HealthMonitor(async (check, address, port, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            lock (results)
                most = Math.Max(most, now);
            await Task.Delay(30, ct);
            Interlocked.Decrement(ref running);
            return new ProbeOutcome(address.GetAddressBytes()[3] % 2 == 0, $"port {port}");
        }, maxConcurrent: 3, TimeProvider.System, (id, o) => results[id] = o);
        var check = new HealthCheck { Port = 8080, Timeout = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(5) };
        monitor.SetTargets(Enumerable.Range(1, 12).Select(i => Server(i, check)));
        await monitor.RoundAsync(CancellationToken.None);
        Assert.Equal(12, results.Count);
        Assert.InRange(most, 1, 3);
        Assert.True(results[new RealServerId(Web, IPAddress.Parse("10.0.1.2"), 80)].Healthy);
        Assert.Equal("port 80", results[new RealServerId(Web, IPAddress.Parse("10.0.1.3"), 80)].Detail); // the prober applies the check's port
        // nothing is due again before its interval
        Assert.Empty(monitor.StartDue(CancellationToken.None));
    }

    [Fact]
    public async Task A_probe_that_outlives_its_timeout_counts_as_failed()
    {
        var results = new ConcurrentBag<ProbeOutcome>();
        var monitor = new HealthMonitor((check, address, port, ct) => new TaskCompletionSource<ProbeOutcome>().Task, // never answers
            maxConcurrent: 4, TimeProvider.System, (id, o) => results.Add(o));
        monitor.SetTargets([Server(1, new HealthCheck { Timeout = TimeSpan.FromMilliseconds(100), Interval = TimeSpan.FromSeconds(1) })]);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await monitor.RoundAsync(CancellationToken.None);
        var outcome = Assert.Single(results);
        Assert.False(outcome.Healthy);
        Assert.Contains("timeout", outcome.Detail);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(100) + HealthMonitor.Grace + TimeSpan.FromSeconds(3), watch.Elapsed.ToString()); // not the probe's forever
    }

    [Fact]
    public async Task A_round_goes_on_off_the_thread_that_ended_its_last_probe()
    {
        // The TCP checks end their probes on their own thread (TcpConnector); what follows a round must not run there.
        var answer = new TaskCompletionSource<ProbeOutcome>(); // continuations inline, as the connector's checks
        var monitor = new HealthMonitor((check, address, port, ct) => answer.Task, maxConcurrent: 4, TimeProvider.System, (id, o) => { });
        monitor.SetTargets([Server(1, new HealthCheck { Timeout = TimeSpan.FromSeconds(5), Interval = TimeSpan.FromSeconds(10) })]);
        var round = monitor.RoundAsync(CancellationToken.None);
        int prober = 0;
        var thread = new Thread(() =>
        {
            prober = Environment.CurrentManagedThreadId;
            Thread.Sleep(100); // the round's caller is waiting by now
            answer.SetResult(new ProbeOutcome(true, "ok"));
            Thread.Sleep(200); // still busy when the round's caller goes on: it must not be waiting for this thread
        });
        thread.Start();
        int after = await ThreadAfter(round);
        thread.Join();
        Assert.NotEqual(prober, after);
    }

    // The thread that goes on after TASK when nothing asks for one (no context captured).
    private static async Task<int> ThreadAfter(Task task)
    {
        await task.ConfigureAwait(false);
        return Environment.CurrentManagedThreadId;
    }

    /// <summary>A clock the test moves by hand: the schedule is checked without depending on how busy the machine is.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>A monitor on <paramref name="clock"/> whose every probe succeeds at once; <paramref name="probes"/> counts them.</summary>
    private static HealthMonitor Healthy(ManualClock clock, out StrongBox<int> probes)
    {
        var count = probes = new StrongBox<int>();
        return new HealthMonitor((check, address, port, ct) =>
        {
            Interlocked.Increment(ref count.Value);
            return Task.FromResult(new ProbeOutcome(true, null));
        }, 4, clock, (id, o) => { });
    }

    [Fact]
    public async Task A_server_is_probed_again_after_its_own_interval_and_a_changed_check_is_due_at_once()
    {
        var clock = new ManualClock();
        var monitor = Healthy(clock, out var probes);
        var fast = new HealthCheck { Timeout = TimeSpan.FromMilliseconds(50), Interval = TimeSpan.FromMilliseconds(200) };
        monitor.SetTargets([Server(1, fast)]);
        await Task.WhenAll(Assert.Single(monitor.StartDue(CancellationToken.None))); // a new server is due at once
        Assert.Empty(monitor.StartDue(CancellationToken.None));
        clock.Now += TimeSpan.FromMilliseconds(199);
        Assert.Empty(monitor.StartDue(CancellationToken.None)); // not before its interval
        clock.Now += TimeSpan.FromMilliseconds(1);
        await Task.WhenAll(Assert.Single(monitor.StartDue(CancellationToken.None)));
        Assert.Equal(2, probes.Value);
        monitor.SetTargets([Server(1, fast)]); // the same check keeps its schedule
        Assert.Empty(monitor.StartDue(CancellationToken.None));
        monitor.SetTargets([Server(1, fast with { Interval = TimeSpan.FromSeconds(30) })]); // a changed one is due now
        await Task.WhenAll(Assert.Single(monitor.StartDue(CancellationToken.None)));
        Assert.Equal(3, probes.Value);
        clock.Now += TimeSpan.FromSeconds(29);
        Assert.Empty(monitor.StartDue(CancellationToken.None));
    }

    [Fact]
    public async Task The_run_loop_probes_as_servers_fall_due_and_stops_when_cancelled()
    {
        int probes = 0;
        var monitor = new HealthMonitor((check, address, port, ct) =>
        {
            Interlocked.Increment(ref probes);
            return Task.FromResult(new ProbeOutcome(true, null));
        }, 4, TimeProvider.System, (id, o) => { });
        monitor.SetTargets([Server(1, new HealthCheck { Timeout = TimeSpan.FromMilliseconds(50), Interval = TimeSpan.FromMilliseconds(200) })]);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(1100));
        await monitor.RunAsync(stop.Token); // returns once cancelled
        // At 0, 200, ..., 1000 ms on an idle machine; a busy one probes less often, never more.
        Assert.InRange(probes, 2, 6);
    }

    [Fact]
    public async Task A_dropped_server_is_never_probed_again_and_servers_come_up_in_the_order_they_fall_due()
    {
        var probed = new List<int>();
        var clock = new ManualClock();
        var monitor = new HealthMonitor((check, address, port, ct) =>
        {
            lock (probed)
                probed.Add(address.GetAddressBytes()[3]);
            return Task.FromResult(new ProbeOutcome(true, null));
        }, 4, clock, (id, o) => { });
        HealthCheck Every(int ms) => new() { Timeout = TimeSpan.FromMilliseconds(50), Interval = TimeSpan.FromMilliseconds(ms) };
        HealthCheck slow = Every(300), fast = Every(100);
        monitor.SetTargets([Server(1, slow), Server(2, fast), Server(3, Every(200))]);
        await monitor.RoundAsync(CancellationToken.None);
        Assert.Equal([1, 2, 3], probed.Order());
        probed.Clear();
        monitor.SetTargets([Server(1, slow), Server(2, fast)]); // 3 is dropped; 1 and 2 keep their schedules
        for (int i = 0; i < 6; i++)
        {
            clock.Now += TimeSpan.FromMilliseconds(100);
            await Task.WhenAll(monitor.StartDue(CancellationToken.None));
        }
        // 600 ms: 2 every 100 ms (6), 1 every 300 ms (2), 3 never.
        Assert.Equal(6, probed.Count(a => a == 2));
        Assert.Equal(2, probed.Count(a => a == 1));
        Assert.DoesNotContain(3, probed);
        Assert.Equal(2, monitor.Count);
    }

    [Fact]
    public async Task A_late_start_does_not_push_the_later_probes_back()
    {
        var clock = new ManualClock();
        var monitor = Healthy(clock, out var probes);
        var check = new HealthCheck { Timeout = TimeSpan.FromMilliseconds(50), Interval = TimeSpan.FromSeconds(1) };
        monitor.SetTargets([Server(1, check)]);
        await Task.WhenAll(monitor.StartDue(CancellationToken.None)); // due at 0
        clock.Now += TimeSpan.FromMilliseconds(1300); // due at 1 s, started 300 ms late
        await Task.WhenAll(Assert.Single(monitor.StartDue(CancellationToken.None)));
        clock.Now += TimeSpan.FromMilliseconds(700); // 2 s: due again, as at a fixed rate (not at 2.3 s)
        await Task.WhenAll(Assert.Single(monitor.StartDue(CancellationToken.None)));
        clock.Now += TimeSpan.FromSeconds(5); // after a long stall: once, then an interval from then
        await Task.WhenAll(Assert.Single(monitor.StartDue(CancellationToken.None)));
        clock.Now += TimeSpan.FromMilliseconds(999);
        Assert.Empty(monitor.StartDue(CancellationToken.None));
        Assert.Equal(4, probes.Value);
    }
    [Fact]
    public async Task The_run_loop_sleeps_until_the_next_due_time_of_a_probe_that_was_running_when_it_looked()
    {
        var clock = new ManualClock();
        var answer = new TaskCompletionSource<ProbeOutcome>();
        var monitor = new HealthMonitor((check, address, port, ct) => answer.Task, 4, clock, (id, o) => { });
        monitor.SetTargets([Server(1, new HealthCheck { Timeout = TimeSpan.FromMilliseconds(50), Interval = TimeSpan.FromSeconds(1) })]);
        Assert.True(monitor.WakePending); // a new target wakes the loop
        var probe = Assert.Single(monitor.StartDue(CancellationToken.None)); // due at 0, running
        clock.Now += TimeSpan.FromMilliseconds(30); // the loop's own work before it plans its sleep
        Assert.Equal(TimeSpan.FromSeconds(1), monitor.PlanWake()); // nothing queued: a second, i.e. until 1.03 s
        while (monitor.WakePending)
            await monitor.WaitForWakeAsync(); // the wake of SetTargets, taken
        answer.SetResult(new ProbeOutcome(true, null));
        await probe;
        // The probe is due again at 1 s, before the loop meant to look: it is woken and plans for 1 s, not 1.03 s.
        Assert.True(monitor.WakePending);
        Assert.Equal(TimeSpan.FromMilliseconds(970), monitor.PlanWake());
        // A probe due no earlier than the planned look wakes nobody.
        answer = new TaskCompletionSource<ProbeOutcome>();
        clock.Now += TimeSpan.FromMilliseconds(970);
        while (monitor.WakePending)
            await monitor.WaitForWakeAsync();
        probe = Assert.Single(monitor.StartDue(CancellationToken.None)); // due at 1 s, next at 2 s
        Assert.Equal(TimeSpan.FromSeconds(1), monitor.PlanWake()); // looks at 2 s, when the probe is due again
        answer.SetResult(new ProbeOutcome(true, null));
        await probe;
        Assert.False(monitor.WakePending);
    }
}
