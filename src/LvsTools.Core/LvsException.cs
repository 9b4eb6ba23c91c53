namespace LvsTools;

/// <summary>What kind of failure an <see cref="LvsException"/> is; the cmdlets map it to an ErrorCategory.</summary>
public enum LvsErrorKind
{
    /// <summary>The caller passed a value the kernel or LvsTools cannot accept.</summary>
    InvalidArgument,
    /// <summary>An interface, address, service, namespace or key does not exist.</summary>
    NotFound,
    /// <summary>The object to create exists already.</summary>
    AlreadyExists,
    /// <summary>The caller lacks CAP_NET_ADMIN or file permission.</summary>
    PermissionDenied,
    /// <summary>A kernel facility (the IPVS family, a scheduler module) is not available.</summary>
    NotInstalled,
    /// <summary>The kernel answered something that does not follow the protocol.</summary>
    ProtocolError,
    /// <summary>The kernel did not answer in time.</summary>
    Timeout,
    /// <summary>The object is in use, or the kernel is out of a resource.</summary>
    ResourceBusy,
    /// <summary>The running kernel does not support the requested option.</summary>
    NotSupported,
    /// <summary>Anything else the kernel refused.</summary>
    OperationFailed,
    /// <summary>An input is larger than LvsTools reads (a document, a rules file, a line).</summary>
    LimitsExceeded,
}

/// <summary>
/// The one exception type the core lets escape. <see cref="ErrorId"/> is stable and meant for scripts
/// (Pester's -ErrorId), <see cref="Target"/> names the offending value.
/// </summary>
public partial class LvsException : Exception
{
    public LvsException(LvsErrorKind kind, string errorId, string message, object? target = null, Exception? inner = null)
        : base(ClipValues(message, target), inner)
    {
        Kind = kind;
        ErrorId = errorId;
        Target = target;
    }

    /// <summary>The failure's kind.</summary>
    public LvsErrorKind Kind { get; }

    /// <summary>A stable identifier such as <c>InvalidIPAddress</c>; empty when the caller should pick one from context.</summary>
    public string ErrorId { get; }

    /// <summary>The value that caused the failure, if any.</summary>
    public object? Target { get; }

    public static LvsException Invalid(string errorId, string message, object? target) =>
        new(LvsErrorKind.InvalidArgument, errorId, message, target);

    /// <summary>Values longer than this are shown clipped in messages (the whole value stays in <see cref="Target"/>).</summary>
    public const int MaxShownValueLength = 64;

    /// <summary>
    /// A value as a message shows it: whole when short, else its first <see cref="MaxShownValueLength"/> characters and its
    /// length ("aaaa… (5000 characters)"). Control characters are shown escaped, so a value cannot break the message's lines.
    /// </summary>
    public static string Shown(string value)
    {
        string head = value.Length > MaxShownValueLength ? value[..MaxShownValueLength] : value;
        if (head.Length > 0 && char.IsHighSurrogate(head[^1]) && value.Length > MaxShownValueLength)
            head = head[..^1];
        var sb = new System.Text.StringBuilder(head.Length + 24);
        foreach (char c in head)
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        if (value.Length > MaxShownValueLength)
            sb.Append($"… ({value.Length} characters)");
        return sb.ToString();
    }

    /// <summary>
    /// Clips every long value a message echoes, once for every message of the module: the <paramref name="target"/> (and
    /// its trimmed form) wherever it appears, and any other quoted run ('…') longer than <see cref="MaxShownValueLength"/>.
    /// </summary>
    public static string ClipValues(string message, object? target)
    {
        if (message.Length <= MaxShownValueLength + 2)
            return message;
        if (target is string t && t.Length > MaxShownValueLength)
        {
            message = message.Replace(t, Shown(t), StringComparison.Ordinal);
            string trimmed = t.Trim();
            if (trimmed.Length > MaxShownValueLength && trimmed.Length != t.Length)
                message = message.Replace(trimmed, Shown(trimmed), StringComparison.Ordinal);
        }
        // A run clipped above (or by an inner exception whose message this one quotes) is left as it is.
        return LongQuoted().Replace(message, m => IsClipped(m.Groups[1].Value) ? m.Value : "'" + Shown(m.Groups[1].Value) + "'");
    }

    private static bool IsClipped(string shown)
    {
        int mark = shown.LastIndexOf("… (", StringComparison.Ordinal);
        return mark >= 0 && mark <= MaxShownValueLength * 6 && shown.EndsWith(" characters)", StringComparison.Ordinal);
    }

    // A quote that opens a value (after a space, bracket or start) and one that closes it (before a space, punctuation or
    // end): the apostrophes of "can't" or "won't" are neither, so prose between two of them is never taken for a value.
    [System.Text.RegularExpressions.GeneratedRegex("(?<=^|[\\s(\\[=:,])'([^'\\n]{65,})'(?=$|[\\s).,:;\\]])")]
    private static partial System.Text.RegularExpressions.Regex LongQuoted();
}
