namespace LvsTools.Core.Keepalived;

/// <summary>What a conversion to or from keepalived.conf says beside its result.</summary>
public enum KeepalivedNoteKind
{
    /// <summary>Something LvsTools does not manage and leaves out on purpose (global_defs, vrrp_*): a verbose message.</summary>
    Skipped,
    /// <summary>An option the other side cannot express: a warning naming the option and the service.</summary>
    CannotExpress,
}

/// <summary>One thing a conversion left out, and why.</summary>
public sealed record KeepalivedNote(KeepalivedNoteKind Kind, string Message);

/// <summary>A document read from keepalived.conf, and what it left out.</summary>
public sealed record KeepalivedReadResult(LvsConfigurationDocument Document, IReadOnlyList<KeepalivedNote> Notes);

/// <summary>keepalived.conf text written from a document (one line an item), and what it could not express.</summary>
public sealed record KeepalivedWriteResult(IReadOnlyList<string> Lines, IReadOnlyList<KeepalivedNote> Notes);

/// <summary>The optional `vrrp_instance` of <see cref="KeepalivedConfig.Write"/> (keepalived.conf(5), "VRRP instance(s)").</summary>
public sealed record KeepalivedVrrpOptions
{
    /// <summary>The interface VRRP runs on (`interface`).</summary>
    public required string Interface { get; init; }
    /// <summary>`virtual_router_id`, 1 to 255, the same on every director of the pair.</summary>
    public int VirtualRouterId { get; init; } = 51;
    /// <summary>`priority`, 1 to 254: the higher wins the VIPs.</summary>
    public int Priority { get; init; } = 100;
    /// <summary>`state`: MASTER or BACKUP, the state the instance starts in.</summary>
    public string State { get; init; } = "BACKUP";
}

/// <summary>
/// keepalived.conf (as Debian's keepalived 2.2.7 reads it) to and from configuration documents: the `virtual_server` and
/// `real_server` blocks with their checkers, `virtual_server_group`, `include`; the other blocks of keepalived are skipped
/// with a note. Equivalent to writing or reading keepalived.conf by hand.
/// </summary>
public static class KeepalivedConfig
{
    /// <summary>Reads a keepalived.conf file and what it includes into a document.</summary>
    /// <exception cref="LvsException">Errors whose ids start with "Keepalived" (KeepalivedSyntaxError, KeepalivedUnknownKeyword,
    /// KeepalivedIncludeLoop, KeepalivedIncludeNotFound, KeepalivedValueOutOfRange, KeepalivedInvalidValue,
    /// KeepalivedUnknownGroup, KeepalivedDuplicateService, KeepalivedConfigFileNotFound), each naming the file and line;
    /// InputTooLarge.</exception>
    public static KeepalivedReadResult Read(string path)
    {
        var notes = new List<string>();
        var nodes = KeepalivedSyntax.ParseFile(path, notes);
        return new KeepalivedReader(notes).Read(nodes);
    }

    /// <summary>Reads keepalived.conf text (named <paramref name="name"/> in messages; includes relative to <paramref name="folder"/>).</summary>
    public static KeepalivedReadResult ReadText(string text, string name, string folder)
    {
        ArgumentNullException.ThrowIfNull(text);
        var notes = new List<string>();
        var nodes = KeepalivedSyntax.ParseText(text, name, folder, notes);
        return new KeepalivedReader(notes).Read(nodes);
    }

    /// <summary>The keepalived.conf text of a document's services (and, with <paramref name="vrrp"/>, a vrrp_instance for its VIPs).</summary>
    /// <exception cref="LvsException">What the document's own entries refuse (InvalidConfigurationDocument, InvalidProtocol ...);
    /// InvalidVrrpOption for a router id or priority out of range, or a state other than MASTER or BACKUP.</exception>
    public static KeepalivedWriteResult Write(LvsConfigurationDocument document, KeepalivedVrrpOptions? vrrp = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new KeepalivedWriter(document, vrrp).Write();
    }
}
