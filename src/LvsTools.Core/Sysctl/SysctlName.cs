namespace LvsTools.Core.Sysctl;

/// <summary>
/// A validated sysctl key. Accepts the dotted form (net.ipv4.conf.eth0/100.rp_filter, where '/' stands for a
/// '.' inside one component, as sysctl(8) has it) and the slashed form (net/ipv4/conf/eth0.100/rp_filter); the
/// first separator decides which. Every component is checked, so the key can only ever name a file under
/// /proc/sys: no "..", no ".", no empty component, no NUL or control character, no leading "/proc/sys" tricks.
/// </summary>
public sealed class SysctlName : IEquatable<SysctlName>
{
    public const string Root = "/proc/sys";

    private SysctlName(string[] components) => Components = components;

    /// <summary>The path components below /proc/sys.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>The dotted name, with '.' inside a component written as '/'.</summary>
    public string Dotted => string.Join('.', Components.Select(c => c.Replace('.', '/')));

    /// <summary>The file under /proc/sys.</summary>
    public string Path => Root + "/" + string.Join('/', Components);

    /// <summary>Parses and validates <paramref name="name"/>; wildcards (* ? [ ]) only when <paramref name="allowWildcards"/>.</summary>
    /// <exception cref="LvsException">InvalidSysctlName.</exception>
    public static SysctlName Parse(string name, bool allowWildcards = false)
    {
        string n = name?.Trim() ?? "";
        if (n.StartsWith(Root + "/", StringComparison.Ordinal))
            n = n[(Root.Length + 1)..];
        int dot = n.IndexOf('.'), slash = n.IndexOf('/');
        bool slashed = slash >= 0 && (dot < 0 || slash < dot);
        string[] parts = slashed
            ? n.Split('/')
            : n.Split('.').Select(p => p.Replace('/', '.')).ToArray();
        if (n.Length == 0 || n.Length > 4096)
            throw Invalid(name ?? "", "it is empty or too long");
        foreach (var p in parts)
        {
            if (p.Length == 0)
                throw Invalid(name!, "it has an empty component (a leading, trailing or doubled separator)");
            if (p is "." or "..")
                throw Invalid(name!, $"the component '{p}' would leave the key's directory");
            if (p.Any(c => char.IsControl(c) || c == '\\' || char.IsWhiteSpace(c)))
                throw Invalid(name!, "it contains a control, white-space or backslash character");
            if (p.Length > 255)
                throw Invalid(name!, "a component is longer than 255 characters");
            if (!allowWildcards && p.IndexOfAny(['*', '?', '[', ']']) >= 0)
                throw Invalid(name!, "wildcards are not allowed here");
        }
        // Belt and braces: the resolved path must still be below /proc/sys.
        var full = System.IO.Path.GetFullPath(Root + "/" + string.Join('/', parts));
        if (!full.StartsWith(Root + "/", StringComparison.Ordinal))
            throw Invalid(name!, "it resolves outside /proc/sys");
        return new SysctlName(parts);
    }

    /// <summary>Builds a key from components that are already known to be safe (interface names validated by the caller).</summary>
    public static SysctlName FromComponents(params string[] components) => Parse(string.Join('/', components));

    public bool HasWildcards => Components.Any(c => c.IndexOfAny(['*', '?', '[']) >= 0);

    private static LvsException Invalid(string name, string why) =>
        LvsException.Invalid("InvalidSysctlName", $"'{name}' is not a valid sysctl name: {why}.", name);

    public bool Equals(SysctlName? other) => other is not null && Path == other.Path;
    public override bool Equals(object? obj) => Equals(obj as SysctlName);
    public override int GetHashCode() => Path.GetHashCode();
    public override string ToString() => Dotted;
}
