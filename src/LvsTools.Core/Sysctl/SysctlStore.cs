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

    /// <summary>
    /// The caller knows that host-wide keys (see <see cref="SysctlName.Scope"/>) change the whole host and means it,
    /// even though this store is bound to a named network namespace (the cmdlets' -HostWide).
    /// </summary>
    public bool AllowHostWide { get; init; }

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

    /// <summary>
    /// Refuses a host-wide key (see <see cref="SysctlName.Scope"/>) in a store bound to a named network namespace,
    /// unless <see cref="AllowHostWide"/> says the caller means the whole host. Writing kernel.printk_ratelimit
    /// "in" a namespace would change it for every namespace.
    /// </summary>
    /// <exception cref="LvsException">SysctlNotNamespaced (OperationFailed: the key and value are each fine; the
    /// combination with a namespace is not).</exception>
    public void CheckScope(SysctlName name)
    {
        if (Namespace.IsCurrent || AllowHostWide || name.Scope == SysctlScope.NetNamespace)
            return;
        throw new LvsException(LvsErrorKind.OperationFailed, "SysctlNotNamespaced",
            $"Sysctl '{name.Dotted}' is host-wide, not per network namespace: setting it with -NetNamespace '{Namespace.Name}' would change it " +
            "for the whole host and every namespace. Set it without -NetNamespace, or add -HostWide to say that the whole host is meant.", name.Dotted);
    }

    /// <summary>Writes one key and returns what it reads back. Equivalent to: sysctl -w NAME=VALUE.</summary>
    /// <exception cref="LvsException">SysctlNotNamespaced, SysctlNotFound, SysctlReadOnly, SysctlCapabilityMissing,
    /// PermissionDenied, InvalidSysctlValue (the kernel refused the value), SysctlWriteFailed.</exception>
    public SysctlEntry Set(SysctlName name, string value)
    {
        CheckScope(name);
        return Namespace.Run(() =>
        {
            var file = FileOf(name);
            if (Directory.Exists(file))
                throw LvsException.Invalid("SysctlIsDirectory", $"'{name.Dotted}' is a directory of keys, not a key.", name.Dotted);
            if (!File.Exists(file))
                throw NotFound(name);
            if (value.Contains('\n') || value.Contains('\0'))
                throw LvsException.Invalid("InvalidSysctlValue", $"The value {Shorten(value)} for '{name.Dotted}' contains a line break or NUL.", name.Dotted);
            Write(file, name, value);
            return Read(name, throwOnError: true)!;
        });
    }

    // open + write through libc, so that the exact errno (EACCES, EPERM, EINVAL ...) decides the message.
    private unsafe void Write(string file, SysctlName name, string value)
    {
        int fd = Netlink.Native.open(file, Netlink.Native.O_WRONLY | Netlink.Native.O_CLOEXEC);
        if (fd < 0)
            throw WriteFailure(Netlink.Native.LastErrno, file, name, value);
        try
        {
            var bytes = Encoding.UTF8.GetBytes(value + "\n");
            fixed (byte* p = bytes)
            {
                nint n = Netlink.Native.write(fd, p, bytes.Length);
                if (n < 0)
                    throw WriteFailure(Netlink.Native.LastErrno, file, name, value);
            }
        }
        finally
        {
            Netlink.Native.close(fd);
        }
    }

    private LvsException WriteFailure(int errno, string file, SysctlName name, string value)
    {
        string where = Namespace.IsCurrent ? "" : $" in network namespace '{Namespace.Name}'";
        bool root = Environment.IsPrivilegedProcess; // euid 0
        bool readOnly = !OperatingSystem.IsWindows() && File.Exists(file) && (File.GetUnixFileMode(file) & UnixFileMode.UserWrite) == 0;
        switch (errno)
        {
            case Netlink.Errno.EACCES or Netlink.Errno.EPERM when readOnly:
                return new LvsException(LvsErrorKind.OperationFailed, "SysctlReadOnly",
                    $"Sysctl '{name.Dotted}' is read-only{where}" +
                    (name.Scope == SysctlScope.Host && !Namespace.IsCurrent
                        ? ": it is a host-wide value, which a network namespace only shows; set it without -NetNamespace."
                        : ": the kernel does not let anyone change it."), name.Dotted);
            case Netlink.Errno.EACCES or Netlink.Errno.EPERM when !root:
                return new LvsException(LvsErrorKind.PermissionDenied, "PermissionDenied",
                    $"Cannot write sysctl '{name.Dotted}'{where}: permission denied (writing kernel parameters needs root).", name.Dotted);
            case Netlink.Errno.EACCES or Netlink.Errno.EPERM:
                string cap = name.Components[0] == "net" ? "CAP_NET_ADMIN" : "CAP_SYS_ADMIN";
                return new LvsException(LvsErrorKind.PermissionDenied, "SysctlCapabilityMissing",
                    $"Cannot write sysctl '{name.Dotted}'{where}: the process runs as root but without the capability the kernel asks for " +
                    $"({cap}; effective capabilities {EffectiveCapabilities()}). Run it with full root capabilities (not in a restricted container or under capsh --drop).", name.Dotted);
            case Netlink.Errno.EINVAL or Netlink.Errno.ERANGE:
                return new LvsException(LvsErrorKind.InvalidArgument, "InvalidSysctlValue",
                    $"The kernel refused value {Shorten(value)} for '{name.Dotted}'{where} ({Netlink.Errno.Name(errno)}: out of range or not of the key's type).", name.Dotted);
            case Netlink.Errno.ENOENT:
                return NotFound(name);
            default:
                return new LvsException(KernelErrors.Kind(errno), "SysctlWriteFailed",
                    $"Writing {Shorten(value)} to sysctl '{name.Dotted}'{where} failed: {Netlink.Errno.Describe(errno)}.", name.Dotted);
        }
    }

    private static string EffectiveCapabilities()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            return line is null ? "unknown" : "0x" + line[7..].Trim();
        }
        catch (IOException) { return "unknown"; }
    }

    /// <summary>
    /// A value as messages quote it: in quotes, and cut after 64 characters with the full length said
    /// ('aaaa…(5000 characters)'), so that a huge value never floods a message.
    /// </summary>
    public static string Shorten(string value) => $"'{LvsException.Shown(value)}'";

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
    /// <summary>
    /// NetNamespace when the value belongs to the namespace it was read in; Host when it is the same for the whole
    /// host, whatever <see cref="NetNamespace"/> says it was read from (kernel.*, vm.*, net.core.rmem_max ...).
    /// </summary>
    public SysctlScope Scope { get; init; } = SysctlName.ScopeOf(Name);

    public override string ToString() => $"{Name} = {Value}";
}
