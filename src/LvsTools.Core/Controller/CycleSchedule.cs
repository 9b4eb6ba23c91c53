namespace LvsTools.Core.Controller;

/// <summary>What the controller's loop does next.</summary>
internal enum CycleKind
{
    /// <summary>The document looked at, the whole table read and reconciled.</summary>
    Full,

    /// <summary>An interval passed, the table is not due: the document's file looked at (a change makes it Full), and the
    /// services with a server that changed state or a drain under way reconciled alone.</summary>
    Tick,

    /// <summary>Between ticks: the services with a server that changed state reconciled alone, at once.</summary>
    Pending,
}

/// <summary>
/// When the controller reads the whole table: every interval, unless reading it takes longer than <see cref="ReadShare"/>
/// of that; then every <c>1 / ReadShare</c> times its reading time (a big table is not read back to back: keepalived never
/// reads it at all). Ticks come every interval whatever the table's size. Pure: the loop gives it the time.
/// The reads keep out of step with the probes: the loop's first read follows the probes' first round, and a check whose
/// interval is the controller's is due at that same time every interval, and a probe that sees a server fail while a read
/// is under way cannot apply the change itself: it waits for the end of the read (a full read of a big table takes
/// seconds). So the second read comes half an interval late, and the reads go on at a fixed rate from there, as the probes
/// do (<see cref="HealthMonitor"/>), half an interval from the rounds of checks that share the interval.
/// </summary>
internal sealed class CycleSchedule(TimeSpan interval)
{
    /// <summary>The part of the time spent at most on reading the whole table.</summary>
    public const double ReadShare = 0.1;

    private DateTimeOffset? _nextRead, _nextTick;

    /// <summary>When the whole table is read next (null: at once).</summary>
    public DateTimeOffset? NextRead => _nextRead;

    /// <summary>What to do at <paramref name="now"/>; a tick that is due counts as done.</summary>
    public CycleKind Next(DateTimeOffset now)
    {
        bool tick = _nextTick is not { } t || now >= t;
        if (tick)
            _nextTick = now + interval;
        if (_nextRead is not { } r || now >= r)
            return CycleKind.Full;
        return tick ? CycleKind.Tick : CycleKind.Pending;
    }

    /// <summary>A full cycle that started at <paramref name="started"/> took <paramref name="took"/>: the next one is due an interval after this one was (the first: one and a half), or later still for a slow read.</summary>
    public void FullCycleDone(DateTimeOffset started, TimeSpan took)
    {
        var period = took / ReadShare;
        if (period < interval)
            period = interval;
        if (_nextRead is not { } due)
            _nextRead = started + period + interval / 2;
        else
            // At a fixed rate: a period after the read was due, not after it started (a little late each time, which would
            // bring the reads back onto the probes); after a stall longer than that, a period from its start.
            _nextRead = due + period > started ? due + period : started + period;
    }

    /// <summary>How long the loop may sleep at <paramref name="now"/> before the next tick or read (zero: none).</summary>
    public TimeSpan Wait(DateTimeOffset now)
    {
        var next = _nextTick is { } t && _nextRead is { } r ? (t < r ? t : r) : now;
        return next > now ? next - now : TimeSpan.Zero;
    }
}
