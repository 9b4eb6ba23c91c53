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
public sealed partial class NetNamespace : IEquatable<NetNamespace>, IDisposable
{
    /// <summary>The namespace of the calling process (no switch at all).</summary>
    public static readonly NetNamespace Current = new(null, null, null, null);

    // An open descriptor of the namespace resolved: it keeps that namespace, and so its inode number, alive.
    // Without it a namespace deleted and re-created at once could get the freed number back, and the check
    // of Identity would take the new namespace for the old one.
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _pin;

    private NetNamespace(string? name, string? path, ulong? identity, Microsoft.Win32.SafeHandles.SafeFileHandle? pin)
    {
        Name = name;
        Path = path;
        Identity = identity;
        _pin = pin;
    }

    /// <summary>The name given (`ip netns` name or path); null for the current namespace.</summary>
    public string? Name { get; }

    /// <summary>The file that identifies the namespace (/run/netns/NAME or /proc/PID/ns/net); null for the current namespace.</summary>
    public string? Path { get; }

    /// <summary>
    /// The namespace's nsfs inode number (what `readlink /proc/PID/ns/net` prints as net:[N], and `ls -i` shows
    /// for /run/netns/NAME), taken when the name was resolved. Every entry into the namespace checks it again,
    /// so a namespace deleted, or deleted and re-created under the same name, is never written to by mistake.
    /// Null for the current namespace, which cannot disappear.
    /// </summary>
    public ulong? Identity { get; }

    public bool IsCurrent => Path is null;

    /// <summary>
    /// Validates a name or path. Names are looked up under /run/netns; paths must be /proc/PID/ns/net
    /// (PID may be "self" or "thread-self") or /run/netns/NAME (/var/run/netns/NAME is the same file).
    /// Nothing outside those can be named.
    /// </summary>
    public static NetNamespace Resolve(string? nameOrPath)
    {
        if (string.IsNullOrEmpty(nameOrPath))
            return Current;
        var path = PathOf(nameOrPath);
        int fd = OpenFd(path, nameOrPath, vanished: false);
        var pin = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return new NetNamespace(nameOrPath, path, IdentityOf(fd, path, nameOrPath), pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>Lets the namespace go (the descriptor that pinned it); the object cannot enter it afterwards.</summary>
    public void Dispose() => _pin?.Dispose();

    /// <summary>
    /// The file a name or path stands for: "f5", "/run/netns/f5" and "/var/run/netns/f5" all give /run/netns/f5.
    /// </summary>
    /// <exception cref="LvsException">InvalidNetNamespace.</exception>
    public static string PathOf(string nameOrPath)
    {
        if (nameOrPath.StartsWith('/'))
        {
            if (ProcPath().IsMatch(nameOrPath))
                return nameOrPath;
            if (RunPath().Match(nameOrPath) is { Success: true } m && ValidName(m.Groups[1].Value))
                return "/run/netns/" + m.Groups[1].Value;
            throw LvsException.Invalid("InvalidNetNamespace",
                $"'{nameOrPath}' is not a network namespace: give a name from /run/netns or a /proc/PID/ns/net path.", nameOrPath);
        }
        if (!ValidName(nameOrPath))
            throw LvsException.Invalid("InvalidNetNamespace",
                $"'{nameOrPath}' is not a valid network namespace name (letters, digits, '.', '_', '-', '@', at most 255 characters, not '.' or '..').", nameOrPath);
        return "/run/netns/" + nameOrPath;
    }

    /// <summary>
    /// Whether two spellings name the same namespace: null or "" is the current one; "f5", "/run/netns/f5" and
    /// "/var/run/netns/f5" are one; so are two paths (a /proc/PID/ns/net and a /run/netns name, say) that lead
    /// to the same namespace now.
    /// </summary>
    public static bool Same(string? a, string? b)
    {
        if (string.IsNullOrEmpty(a) && string.IsNullOrEmpty(b))
            return true;
        string? pa = Canonical(a), pb = Canonical(b);
        if (pa is not null && pa == pb)
            return true;
        ulong? ia = CurrentIdentity(pa, a), ib = CurrentIdentity(pb, b);
        return ia is not null && ia == ib;
    }

    private static string? Canonical(string? nameOrPath)
    {
        if (string.IsNullOrEmpty(nameOrPath))
            return null;
        try { return PathOf(nameOrPath); }
        catch (LvsException) { return nameOrPath; }
    }

    // The identity a spelling leads to now (the process's own namespace for null), or null when it leads nowhere.
    private static ulong? CurrentIdentity(string? path, string? given)
    {
        path ??= "/proc/self/ns/net";
        try { return Open(path, given ?? "(current)", vanished: false, fd => IdentityOf(fd, path, given ?? "(current)")); }
        catch (LvsException) { return null; }
    }

    /// <summary>
    /// Checks that the name still leads to the namespace it led to when resolved, once per write or batch: one statx(2)
    /// of the path (to the nsfs inode behind the bind mount or /proc's link, as `ip netns identify` compares them).
    /// </summary>
    /// <exception cref="LvsException">NetNamespaceNotFound: the namespace was deleted or replaced while the command ran.</exception>
    public void Verify()
    {
        if (IsCurrent)
            return;
        if (!Native.Stat(Path!, out var id, out int errno))
            throw OpenFailed(errno, Path!, Name!, vanished: true);
        Check(id.Inode);
    }

    private void Check(int fd) => Check(IdentityOf(fd, Path!, Name!));

    private void Check(ulong now)
    {
        if (Identity is { } then && now != then)
            throw new LvsException(LvsErrorKind.NotFound, "NetNamespaceNotFound",
                $"Network namespace '{Name}' disappeared while the command ran: {Path} now leads to another namespace " +
                $"(net:[{now}], not net:[{then}]), so nothing more is done there. Run the command again to act in the new one.", Name);
    }

    private static T Open<T>(string path, string name, bool vanished, Func<int, T> use)
    {
        int fd = OpenFd(path, name, vanished);
        try
        {
            return use(fd);
        }
        finally
        {
            Native.close(fd);
        }
    }

    private static int OpenFd(string path, string name, bool vanished)
    {
        int fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC);
        if (fd < 0)
            throw OpenFailed(Native.LastErrno, path, name, vanished);
        return fd;
    }

    private static LvsException OpenFailed(int errno, string path, string name, bool vanished) =>
        errno is Errno.ENOENT or Errno.ESRCH
            ? new LvsException(LvsErrorKind.NotFound, "NetNamespaceNotFound", vanished
                ? $"Network namespace '{name}' disappeared while the command ran ({path} no longer exists); nothing more is done there."
                : $"Network namespace '{name}' does not exist ({path} not found).", name)
            : new LvsException(KernelErrors.Kind(errno), "NetNamespaceOpenFailed",
                $"Cannot open network namespace '{name}' ({path}): {Errno.Describe(errno)}.", name);

    // The nsfs inode of an open namespace file (fstat's st_ino; `readlink /proc/PID/ns/net` prints it as net:[N]).
    // A file that is not a namespace (a plain file bind-mounted under /run/netns, say) fails setns later.
    private static ulong IdentityOf(int fd, string path, string name)
    {
        if (!Native.FStat(fd, out var id, out int errno))
            throw new LvsException(KernelErrors.Kind(errno), "NetNamespaceOpenFailed",
                $"Cannot read the identity of network namespace '{name}' ({path}): {Errno.Describe(errno)}.", name);
        return id.Inode;
    }

    private static bool ValidName(string name) =>
        name.Length is > 0 and <= 255 && name is not "." and not ".." && NameChars().IsMatch(name);

    /// <summary>Runs <paramref name="work"/> inside the namespace and returns its result.</summary>
    /// <exception cref="LvsException">NetNamespaceNotFound when the namespace was deleted or replaced since it was resolved.</exception>
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

    /// <summary>
    /// Opens a netlink connection whose sockets live in this namespace. Every socket it opens (the first, and any
    /// reopened after a timeout or ENOBUFS) is opened only after the namespace's identity is checked again.
    /// </summary>
    public NetlinkConnection Connect(NetlinkProtocol protocol) =>
        new(() => Run<INetlinkTransport>(() => NetlinkSocket.Open(protocol)));

    /// <summary>
    /// Opens <paramref name="count"/> connections at once, their sockets opened in one visit to the namespace (one thread,
    /// one setns, instead of one each). The kernel runs one dump per socket at a time: reading several tables in parallel
    /// (the real servers of many services, say) takes one connection per reader. A socket reopened later (after a timeout
    /// or ENOBUFS) is opened as <see cref="Connect(NetlinkProtocol)"/> opens it.
    /// </summary>
    public NetlinkConnection[] Connect(NetlinkProtocol protocol, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var sockets = Run(() =>
        {
            var opened = new List<NetlinkSocket>(count);
            try
            {
                while (opened.Count < count)
                    opened.Add(NetlinkSocket.Open(protocol));
                return opened;
            }
            catch
            {
                opened.ForEach(s => s.Dispose());
                throw;
            }
        });
        return sockets.Select(s => new NetlinkConnection(() => Run<INetlinkTransport>(() => NetlinkSocket.Open(protocol)), s)).ToArray();
    }

    // Only ever called on a thread of our own, which ends right after: the caller's thread never moves.
    // The file descriptor checked is the one entered, so no replacement can slip in between.
    private void Enter() => Open(Path!, Name!, vanished: Identity is not null, fd =>
    {
        Check(fd);
        if (Native.setns(fd, Native.CLONE_NEWNET) != 0)
            throw EnterFailed(Native.LastErrno);
        return 0;
    });

    /// <summary>Moves the calling thread, one of our own that lives on, into the process's own namespace when it is in
    /// another; nothing when it is there, or when that cannot be told.</summary>
    /// <exception cref="LvsException">As <see cref="Run{T}"/>: NetNamespaceOpenFailed, PermissionDenied, NetNamespaceEnterFailed.</exception>
    internal static void EnterProcessNamespace()
    {
        const string process = "/proc/self/ns/net";
        if (Native.Stat("/proc/thread-self/ns/net", out var mine, out _) && Native.Stat(process, out var theirs, out _) && mine != theirs)
            new NetNamespace(process, process, null, null).Enter();
    }

    /// <summary>Runs <paramref name="use"/> with an open descriptor of the namespace (what IFLA_NET_NS_FD takes), checked
    /// as <see cref="Verify"/> checks it.</summary>
    /// <exception cref="LvsException">NetNamespaceNotFound, NetNamespaceOpenFailed.</exception>
    internal T WithDescriptor<T>(Func<int, T> use) => Open(Path ?? "/proc/self/ns/net", ToString(), vanished: Identity is not null,
        fd => { if (Identity is not null) Check(fd); return use(fd); });

    public bool Equals(NetNamespace? other) => other is not null && Path == other.Path && Identity == other.Identity;
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
