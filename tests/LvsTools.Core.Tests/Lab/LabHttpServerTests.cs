using System.Diagnostics;
using LvsTools.Core.Lab;

namespace LvsTools.Core.Tests.Lab;

public sealed class LabHttpServerTests
{
    // A Slow lab server promises its delay as a lower bound (tests/Pester/LvsLab.Tests.ps1 checks the latency against
    // it). 7.5 ms is a delay that Task.Delay alone cuts to 7 ms; other delays end up to a millisecond early by its
    // coarser clock.
    [Theory]
    [InlineData(7.5)]
    [InlineData(3)]
    [InlineData(20.25)]
    public async Task A_slow_answer_waits_at_least_its_delay_by_the_monotonic_clock(double milliseconds)
    {
        var delay = TimeSpan.FromMilliseconds(milliseconds);
        for (int i = 0; i < 20; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await LabHttpServer.DelayAtLeast(delay);
            var waited = Stopwatch.GetElapsedTime(start);
            Assert.True(waited >= delay, $"waited {waited.TotalMilliseconds} ms for a delay of {milliseconds} ms (round {i})");
        }
    }

    [Fact]
    public async Task No_delay_does_not_wait()
    {
        long start = Stopwatch.GetTimestamp();
        await LabHttpServer.DelayAtLeast(TimeSpan.Zero);
        Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(1));
    }
}
