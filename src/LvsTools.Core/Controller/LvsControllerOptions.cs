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

    /// <summary>How many probes run at once at most: so many TCP connects on the TCP checks' loop, and so many other checks besides.</summary>
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
/// <param name="Kind">Which cycle: the whole table, some services by the loop, or by a probe.</param>
public sealed record LvsControllerCycle(long Number, DateTimeOffset Started, TimeSpan Elapsed, int Planned, int Failed, long RequestsSent, long WritesSent,
    LvsControllerCycleKind Kind)
{
    public override string ToString() =>
        $"cycle {Number} ({Kind.ToString().ToLowerInvariant()}): {Planned} change(s) planned, {Failed} failed, {RequestsSent} netlink request(s), {WritesSent} write(s), {Elapsed.TotalMilliseconds:0} ms";
}

/// <summary>Which services a controller cycle reconciled, and on which thread.</summary>
public enum LvsControllerCycleKind
{
    /// <summary>The loop's: the document looked at, the whole table read.</summary>
    Full,

    /// <summary>The loop's, of some services only, read and reconciled alone: those with a server that crossed its rise or
    /// fall (when its probe could not apply it itself) or a drain under way.</summary>
    Partial,

    /// <summary>A probe's: the service of a server that crossed its rise or fall, applied by the probe that saw it, on its
    /// own thread (with any other service pending then).</summary>
    Probe,
}
