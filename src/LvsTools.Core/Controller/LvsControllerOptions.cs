namespace LvsTools;

/// <summary>How a <see cref="LvsController"/> runs (what Start-LvsController's parameters say).</summary>
public sealed class LvsControllerOptions
{
    /// <summary>The document (a full path): re-read whenever the file changes.</summary>
    public required string Path { get; init; }

    /// <summary>The network namespace of the director (a name under /run/netns or a /proc/PID/ns/net path; null: the current one).</summary>
    public string? NetNamespace { get; init; }

    /// <summary>
    /// The cycle period: the table is reconciled this often (or every ten times its reading time when reading it takes
    /// longer than a tenth of this), and a server that changes state at once, with its service alone.
    /// </summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Plan and report, send nothing (the plan's steps go to the planned-step callback).</summary>
    public bool WhatIf { get; init; }

    /// <summary>A file that gets one JSON line per event, appended (null: none).</summary>
    public string? EventLogPath { get; init; }

    /// <summary>A file that gets the Prometheus text of the table every cycle, replaced atomically (null: none).</summary>
    public string? MetricsPath { get; init; }

    /// <summary>An HTTP prefix on a loopback address that serves the same text ("http://127.0.0.1:9478/"; null: none).</summary>
    public string? MetricsListenPrefix { get; init; }

    /// <summary>How many probes run at once at most.</summary>
    public int MaxConcurrentProbes { get; init; } = 64;
}

/// <summary>What one controller cycle did.</summary>
/// <param name="Number">1 for the first cycle.</param>
/// <param name="Started">When it started.</param>
/// <param name="Elapsed">How long it took (probes run apart and are not counted).</param>
/// <param name="Planned">Steps the plan held (0: the kernel matched).</param>
/// <param name="Failed">Steps the kernel refused.</param>
/// <param name="RequestsSent">Netlink requests sent, the read of the table included.</param>
/// <param name="WritesSent">Netlink requests that changed something (0 when nothing had to change, and under WhatIf).</param>
public sealed record LvsControllerCycle(long Number, DateTimeOffset Started, TimeSpan Elapsed, int Planned, int Failed, long RequestsSent, long WritesSent)
{
    public override string ToString() =>
        $"cycle {Number}: {Planned} change(s) planned, {Failed} failed, {RequestsSent} netlink request(s), {WritesSent} write(s), {Elapsed.TotalMilliseconds:0} ms";
}
