using System.Net;

namespace LvsTools;

/// <summary>One request sent by Invoke-LvsLabRequest.</summary>
public sealed record LvsLabRequest
{
    /// <summary>1 for the first request.</summary>
    public required int Index { get; init; }
    /// <summary>When the request was started (UTC).</summary>
    public DateTimeOffset Time { get; init; }
    /// <summary>The lab whose server answered (labs never see each other's servers).</summary>
    public string? Lab { get; init; }
    /// <summary>The server that answered (rs1, rs2, sorry), or null.</summary>
    public string? Server { get; init; }
    /// <summary>The client address the server saw (the client's own in NAT, DR and TUN; another when something rewrites it).</summary>
    public IPAddress? ClientAddress { get; init; }
    /// <summary>The client port the server saw (the client's own local port when nothing rewrites it).</summary>
    public int? ClientPort { get; init; }
    public int? StatusCode { get; init; }
    public required TimeSpan Latency { get; init; }
    /// <summary>Why the request failed (ConnectionRefused, Timeout, ...), or null.</summary>
    public string? Error { get; init; }
    public bool Ok => Error is null && StatusCode == 200;
}

/// <summary>The counts of a batch of requests: Sent, Ok, Failed, and per server how many it answered.</summary>
public sealed record LvsLabRequestSummary(int Sent, int Ok, int Failed, IReadOnlyDictionary<string, int> Servers);

/// <summary>What Invoke-LvsLabRequest returns.</summary>
public sealed record LvsLabRequestResult(string Lab, string Target, LvsLabRequest[] Requests, LvsLabRequestSummary Summary, TimeSpan Elapsed)
{
    public double RequestsPerSecond => Elapsed > TimeSpan.Zero ? Requests.Length / Elapsed.TotalSeconds : 0;
}

/// <summary>How Invoke-LvsLabRequest sends: how many (or for how long), how many at once, the pause between two, the timeout, the path.</summary>
public sealed record LabRequestPlan
{
    /// <summary>How many requests in all (when <see cref="Duration"/> is null).</summary>
    public int Count { get; init; } = 1;
    /// <summary>Send until this much time has passed (no request starts after it), whatever <see cref="Count"/> says.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>How many senders at once.</summary>
    public int Parallel { get; init; } = 1;
    /// <summary>How long each sender waits between an answer and its next request.</summary>
    public TimeSpan Interval { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    public string Path { get; init; } = "/";
}
