using System.Runtime.ExceptionServices;
using System.Text.RegularExpressions;
using LvsTools.Core.Netlink;

namespace LvsTools.Core;

/// <summary>
/// A network namespace to work in: a name under /run/netns (what `ip netns add NAME` creates) or a
/// /proc/PID/ns/net path. Work runs on a dedicated thread that has entered the namespace, so the caller's
/// thread and every other thread stay where they are. Sockets opened there stay bound to that namespace;
/// files under /proc/sys/net opened there show that namespace's values.
/// </summary>
public sealed partial class NetNamespace : IEquatable<NetNamespace>
{
    /// <summary>The namespace of the calling process (no switch at all).</summary>
    public static readonly NetNamespace Current = new(null, null);

    private NetNamespace(string? name, string? path)
    {
        Name = name;
        Path = path;
    }

    /// <summary>The name given (`ip netns` name or path); null for the current namespace.</summary>
    public string? Name { get; }

    /// <summary>The file that identifies the namespace; null for the current namespace.</summary>
    public string? Path { get; }

    public bool IsCurrent => Path is null;

    /// <summary>
    /// Validates a name or path. Names are looked up under /run/netns; paths must be /proc/PID/ns/net
    /// (PID may be "self" or "thread-self") or /run/netns/NAME. Nothing outside those can be named.
    /// </summary>
    public static NetNamespace Resolve(string? nameOrPath)
    {
        if (string.IsNullOrEmpty(nameOrPath))
            return Current;
        string path;
        if (nameOrPath.StartsWith('/'))
        {
            if (ProcPath().IsMatch(nameOrPath))
                path = nameOrPath;
            else if (RunPath().Match(nameOrPath) is { Success: true } m && ValidName(m.Groups[1].Value))
                path = nameOrPath;
            else
                throw LvsException.Invalid("InvalidNetNamespace",
                    $"'{nameOrPath}' is not a network namespace: give a name from /run/netns or a /proc/PID/ns/net path.", nameOrPath);
        }
        else
        {
            if (!ValidName(nameOrPath))
                throw LvsException.Invalid("InvalidNetNamespace",
                    $"'{nameOrPath}' is not a valid network namespace name (letters, digits, '.', '_', '-', '@', at most 255 characters, not '.' or '..').", nameOrPath);
            path = "/run/netns/" + nameOrPath;
        }
        if (!File.Exists(path))
            throw new LvsException(LvsErrorKind.NotFound, "NetNamespaceNotFound",
                $"Network namespace '{nameOrPath}' does not exist ({path} not found).", nameOrPath);
        return new NetNamespace(nameOrPath, path);
    }

    private static bool ValidName(string name) =>
        name.Length is > 0 and <= 255 && name is not "." and not ".." && NameChars().IsMatch(name);

    /// <summary>Runs <paramref name="work"/> inside the namespace and returns its result.</summary>
    public T Run<T>(Func<T> work)
    {
        if (IsCurrent)
            return work();
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter();
                result = work();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, 1 << 20)
        { IsBackground = true, Name = "LvsTools netns " + Name };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="work"/> inside the namespace.</summary>
    public void Run(Action work) => Run(() => { work(); return 0; });

    /// <summary>Opens a netlink connection whose sockets live in this namespace.</summary>
    public NetlinkConnection Connect(NetlinkProtocol protocol) =>
        new(() => Run<INetlinkTransport>(() => NetlinkSocket.Open(protocol)));

    // Only ever called on a thread of our own, which ends right after: the caller's thread never moves.
    private void Enter()
    {
        int fd = Native.open(Path!, Native.O_RDONLY | Native.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Native.LastErrno;
            throw new LvsException(Errno.Kind(errno), errno == Errno.ENOENT ? "NetNamespaceNotFound" : "NetNamespaceOpenFailed",
                $"Cannot open network namespace '{Name}' ({Path}): {Errno.Describe(errno)}.", Name);
        }
        try
        {
            if (Native.setns(fd, Native.CLONE_NEWNET) != 0)
            {
                int errno = Native.LastErrno;
                throw new LvsException(Errno.Kind(errno), errno is Errno.EPERM ? "PermissionDenied" : "NetNamespaceEnterFailed",
                    $"Cannot enter network namespace '{Name}': {Errno.Describe(errno)}" +
                    (errno == Errno.EPERM ? " (CAP_SYS_ADMIN is needed: run as root)." : "."), Name);
            }
        }
        finally
        {
            Native.close(fd);
        }
    }

    public bool Equals(NetNamespace? other) => other is not null && Path == other.Path;
    public override bool Equals(object? obj) => Equals(obj as NetNamespace);
    public override int GetHashCode() => Path?.GetHashCode() ?? 0;
    public override string ToString() => Name ?? "(current)";

    [GeneratedRegex(@"^/proc/(self|thread-self|[0-9]+)/ns/net$")]
    private static partial Regex ProcPath();

    [GeneratedRegex(@"^/(?:var/)?run/netns/([^/]+)$")]
    private static partial Regex RunPath();

    [GeneratedRegex(@"^[A-Za-z0-9._@+-]+$")]
    private static partial Regex NameChars();
}
