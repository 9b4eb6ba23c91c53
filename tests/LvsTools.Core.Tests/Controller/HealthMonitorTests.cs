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
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(100) + HealthMonitor.Grace + TimeSpan.FromSeconds(1), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task A_server_is_probed_again_after_its_own_interval_and_a_changed_check_is_due_at_once()
    {
        int probes = 0;
        var monitor = new HealthMonitor((check, address, port, ct) =>
        {
            Interlocked.Increment(ref probes);
            return Task.FromResult(new ProbeOutcome(true, null));
        }, 4, TimeProvider.System, (id, o) => { });
        var fast = new HealthCheck { Timeout = TimeSpan.FromMilliseconds(50), Interval = TimeSpan.FromMilliseconds(200) };
        monitor.SetTargets([Server(1, fast)]);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(1100));
        await monitor.RunAsync(stop.Token);
        Assert.InRange(probes, 4, 7); // at 0, 200, 400, 600, 800, 1000 ms
        await Task.Delay(50);
        int before = probes;
        monitor.SetTargets([Server(1, fast with { Interval = TimeSpan.FromSeconds(30) })]);
        var started = monitor.StartDue(CancellationToken.None);
        var only = Assert.Single(started);
        await only;
        Assert.Equal(before + 1, probes);
    }
}
