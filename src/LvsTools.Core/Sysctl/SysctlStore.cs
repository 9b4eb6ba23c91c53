using System.Text;
using System.Text.RegularExpressions;

namespace LvsTools.Core.Sysctl;

/// <summary>
/// Reads and writes kernel parameters under /proc/sys, in a network namespace when one is given (files under
/// /proc/sys/net show the namespace of the thread that opens them). Equivalent to: sysctl -n NAME / sysctl -w NAME=VALUE.
/// </summary>
public sealed class SysctlStore
{
    private readonly string _root;

    /// <param name="ns">The namespace to read /proc/sys/net in.</param>
    /// <param name="root">The directory that stands for /proc/sys (tests may point it elsewhere).</param>
    public SysctlStore(NetNamespace? ns = null, string root = SysctlName.Root)
    {
        Namespace = ns ?? NetNamespace.Current;
        _root = root;
    }

    public NetNamespace Namespace { get; }

    private string FileOf(SysctlName name) => _root + "/" + string.Join('/', name.Components);

    /// <summary>Reads one key. Equivalent to: sysctl -n NAME.</summary>
    public SysctlEntry Get(SysctlName name) => Namespace.Run(() => Read(name, throwOnError: true)!);

    /// <summary>
    /// Every key that matches a pattern (wildcards per component), or every key below a directory
    /// (sysctl net.ipv4.vs). Unreadable keys (write-only ones such as net.ipv4.route.flush) are left out.
    /// Equivalent to: sysctl -a --pattern.
    /// </summary>
    public List<SysctlEntry> Find(SysctlName pattern) => Namespace.Run(() =>
    {
        var found = new List<SysctlEntry>();
        foreach (var path in Expand(pattern))
        {
            if (Directory.Exists(FileOf(path)))
                Walk(path, found);
            else if (Read(path, throwOnError: false) is { } e)
                found.Add(e);
        }
        return found;
    });

    /// <summary>Whether a key exists (in the namespace).</summary>
    public bool Exists(SysctlName name) => Namespace.Run(() => File.Exists(FileOf(name)));

    /// <summary>Writes one key and returns what it reads back. Equivalent to: sysctl -w NAME=VALUE.</summary>
    public SysctlEntry Set(SysctlName name, string value) => Namespace.Run(() =>
    {
        var file = FileOf(name);
        if (Directory.Exists(file))
            throw LvsException.Invalid("SysctlIsDirectory", $"'{name.Dotted}' is a directory of keys, not a key.", name.Dotted);
        if (!File.Exists(file))
            throw NotFound(name);
        if (value.Contains('\n') || value.Contains('\0'))
            throw LvsException.Invalid("InvalidSysctlValue", $"The value for '{name.Dotted}' contains a line break or NUL.", value);
        try
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
            var bytes = Encoding.UTF8.GetBytes(value + "\n");
            fs.Write(bytes);
            fs.Flush();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new LvsException(LvsErrorKind.PermissionDenied, "PermissionDenied",
                $"Cannot write sysctl '{name.Dotted}': permission denied (writing kernel parameters needs root).", name.Dotted, e);
        }
        catch (IOException e)
        {
            int errno = e.HResult & 0xffff;
            throw new LvsException(errno == Netlink.Errno.EINVAL ? LvsErrorKind.InvalidArgument : LvsErrorKind.OperationFailed,
                errno == Netlink.Errno.EINVAL ? "InvalidSysctlValue" : "SysctlWriteFailed",
                $"The kernel refused '{value}' for sysctl '{name.Dotted}': {e.Message}", value, e);
        }
        return Read(name, throwOnError: true)!;
    });

    private SysctlEntry? Read(SysctlName name, bool throwOnError)
    {
        var file = FileOf(name);
        try
        {
            if (Directory.Exists(file))
                return throwOnError ? throw LvsException.Invalid("SysctlIsDirectory", $"'{name.Dotted}' is a directory of keys; use a wildcard or Get-Sysctl -Name '{name.Dotted}.*'.", name.Dotted) : null;
            var text = File.ReadAllText(file);
            return new SysctlEntry(name.Dotted, text.TrimEnd('\n'), Namespace.Name);
        }
        catch (FileNotFoundException) when (throwOnError) { throw NotFound(name); }
        catch (DirectoryNotFoundException) when (throwOnError) { throw NotFound(name); }
        catch (UnauthorizedAccessException e) when (throwOnError)
        {
            throw new LvsException(LvsErrorKind.PermissionDenied, "PermissionDenied", $"Cannot read sysctl '{name.Dotted}': permission denied.", name.Dotted, e);
        }
        catch (Exception e) when (!throwOnError && e is IOException or UnauthorizedAccessException) { return null; }
        catch (IOException e)
        {
            throw new LvsException(LvsErrorKind.OperationFailed, "SysctlReadFailed", $"Cannot read sysctl '{name.Dotted}': {e.Message}", name.Dotted, e);
        }
    }

    private LvsException NotFound(SysctlName name) =>
        new(LvsErrorKind.NotFound, "SysctlNotFound",
            $"There is no sysctl '{name.Dotted}'" + (Namespace.IsCurrent ? "." : $" in network namespace '{Namespace.Name}'."), name.Dotted);

    private void Walk(SysctlName dir, List<SysctlEntry> found)
    {
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(FileOf(dir)).Order(StringComparer.Ordinal).ToList(); }
        catch (IOException) { return; }
        catch (UnauthorizedAccessException) { return; }
        foreach (var e in entries)
        {
            var child = SysctlName.FromComponents([.. dir.Components, System.IO.Path.GetFileName(e)]);
            if (Directory.Exists(e))
                Walk(child, found);
            else if (Read(child, throwOnError: false) is { } entry)
                found.Add(entry);
        }
    }

    // Expands wildcards component by component, listing only the directories the pattern reaches.
    private IEnumerable<SysctlName> Expand(SysctlName pattern)
    {
        var level = new List<string[]> { Array.Empty<string>() };
        foreach (var component in pattern.Components)
        {
            var next = new List<string[]>();
            bool wild = component.IndexOfAny(['*', '?', '[']) >= 0;
            var regex = wild ? Glob(component) : null;
            foreach (var prefix in level)
            {
                var dir = prefix.Length == 0 ? _root : _root + "/" + string.Join('/', prefix);
                if (!wild)
                {
                    if (Path.Exists(dir + "/" + component))
                        next.Add([.. prefix, component]);
                    continue;
                }
                if (!Directory.Exists(dir))
                    continue;
                foreach (var e in Directory.EnumerateFileSystemEntries(dir).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal))
                    if (regex!.IsMatch(e!))
                        next.Add([.. prefix, e!]);
            }
            level = next;
        }
        return level.Where(p => p.Length > 0).Select(p => SysctlName.FromComponents(p));
    }

    private static Regex Glob(string pattern)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '*': sb.Append(".*"); break;
                case '?': sb.Append('.'); break;
                case '[':
                    int end = pattern.IndexOf(']', i + 1);
                    if (end < 0) { sb.Append(@"\["); break; }
                    sb.Append('[').Append(pattern[(i + 1)..end].Replace(@"\", @"\\")).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}

/// <summary>One kernel parameter and its value, as `sysctl NAME` prints it.</summary>
public sealed record SysctlEntry(string Name, string Value, string? NetNamespace)
{
    public override string ToString() => $"{Name} = {Value}";
}
