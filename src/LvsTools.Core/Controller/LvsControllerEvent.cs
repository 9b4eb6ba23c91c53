using System.Text.Json;
using System.Text.Json.Serialization;

namespace LvsTools;

/// <summary>What happened, in a controller event.</summary>
public enum LvsControllerEventKind
{
    /// <summary>A real server failed its health check Fall times in a row: it is taken out (weight 0 or removed).</summary>
    ServerDown,
    /// <summary>A failed real server passed its health check Rise times in a row: it is put back.</summary>
    ServerUp,
    /// <summary>The sum of a service's healthy weights fell below its quorum: the sorry server goes in.</summary>
    QuorumLost,
    /// <summary>The sum reached quorum + hysteresis again: the sorry server goes out.</summary>
    QuorumRegained,
    /// <summary>A real server the document no longer lists is held at weight 0 until its connections end.</summary>
    DrainStarted,
    /// <summary>A drained real server was deleted (its connections ended, or the drain timeout passed).</summary>
    DrainCompleted,
    /// <summary>The document was read and accepted (at start, and each time the file changed).</summary>
    ConfigLoaded,
    /// <summary>A changed document failed validation: the last good one stays in force.</summary>
    ConfigRejected,
    /// <summary>A cycle sent changes to the kernel.</summary>
    Applied,
    /// <summary>A weight someone changed by hand was set back to the one the document and the health checks call for.</summary>
    WeightRestored,
    /// <summary>A cycle failed (a kernel error, a lock that could not be taken); the loop goes on.</summary>
    Error,
    /// <summary>Ctrl+C or SIGTERM ended the loop, after the cycle under way; the table is left as it is.</summary>
    Stopped,
}

/// <summary>
/// One thing the controller did or saw, as Start-LvsController writes it to the pipeline and (with -EventLogPath) as
/// one JSON line: {"time":"2026-11-30T07:00:00.123+00:00","kind":"ServerDown","service":"TCP  10.0.0.1:80",
/// "realServer":"10.0.1.11:80","detail":"..."}.
/// </summary>
/// <param name="Time">When it happened (UTC).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Service">The virtual service as ipvsadm -Ln prints it ("TCP  10.0.0.1:80"), or null.</param>
/// <param name="RealServer">The real server's endpoint ("10.0.1.11:80"), or null.</param>
/// <param name="Detail">Why, or what changed.</param>
public sealed record LvsControllerEvent(DateTimeOffset Time, LvsControllerEventKind Kind, string? Service, string? RealServer, string Detail)
{
    /// <summary>The network namespace the controller runs in (null: the current one).</summary>
    public string? NetNamespace { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        // Quotes and apostrophes stay readable in a log line (control characters are still escaped).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The event as one line of JSON (no line break inside).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public override string ToString() =>
        $"{Time:u} {Kind} {Service}{(RealServer is null ? "" : " -> " + RealServer)}: {Detail}";
}
