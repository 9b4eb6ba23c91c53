using System.Diagnostics;
using System.Globalization;
using LvsTools.Core.Netlink;

namespace LvsTools.Core;

/// <summary>
/// The lock LvsTools writers take around a read-modify-write: one per network namespace, and one per persistence
/// file. It is an advisory <c>flock(2)</c> on a file under <see cref="LockDirectory"/> (created 0700, files 0600,
/// both root's), so that it excludes other processes and, because every acquisition opens the file afresh, other
/// runspaces and threads of this process too. The kernel drops it when the holder exits, however it exits.
/// The wait is bounded (<see cref="DefaultTimeout"/>); a timeout names the process that holds it. Within one thread the
/// lock is re-entrant, so a pipeline whose cmdlets nest cannot deadlock on itself.
/// Equivalent to: flock -w 60 /run/lvstools/lock/net-INODE.lock COMMAND.
/// </summary>
public sealed partial class WriterLock : IDisposable
{
    /// <summary>Where lock files live.</summary>
    public const string LockDirectory = "/run/lvstools/lock";

    private static readonly Dictionary<string, Gate> Gates = new(StringComparer.Ordinal);

    private readonly Gate _gate;
    private bool _released;

    private WriterLock(Gate gate, string description)
    {
        _gate = gate;
        Description = description;
    }

    /// <summary>The lock file.</summary>
    public string Path => _gate.Path;

    /// <summary>What the lock protects, for messages ("network namespace f5").</summary>
    public string Description { get; }

    /// <summary>How long a writer waits: LVSTOOLS_LOCK_TIMEOUT (seconds) or 60 s.</summary>
    public static TimeSpan DefaultTimeout =>
        Environment.GetEnvironmentVariable("LVSTOOLS_LOCK_TIMEOUT") is { Length: > 0 } s
        && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue / 1000))
            : TimeSpan.FromSeconds(60);

    /// <summary>
    /// The lock file of a network namespace: net-INODE.lock, INODE being the namespace's nsfs inode (what
    /// `readlink /proc/PID/ns/net` shows as net:[INODE]), so that every name and path of one namespace share it.
    /// </summary>
    public static string PathFor(NetNamespace ns) => PathForInode(NamespaceInode(ns));

    private static string PathForInode(ulong inode) => $"{LockDirectory}/net-{inode}.lock";

    /// <summary>The nsfs inode that identifies a network namespace.</summary>
    public static ulong NamespaceInode(NetNamespace ns)
    {
        // A named namespace carries the identity it was resolved with: a namespace deleted (or replaced under the same
        // name) since then is NetNamespaceNotFound ("disappeared while the command ran"), not another namespace's lock.
        if (!ns.IsCurrent)
        {
            ns.Verify();
            if (ns.Identity is { } pinned)
                return pinned;
        }
        string path = ns.Path ?? "/proc/thread-self/ns/net";
        if (!Native.Stat(path, out var st, out int errno))
            throw errno == Errno.ENOENT
                ? new LvsException(LvsErrorKind.NotFound, "NetNamespaceNotFound", $"Network namespace '{ns}' does not exist ({path} not found).", ns.Name)
                : new LvsException(KernelErrors.Kind(errno), "NetNamespaceOpenFailed", $"Cannot open network namespace '{ns}' ({path}): {Errno.Describe(errno)}.", ns.Name);
        return st.Inode;
    }

    /// <summary>
    /// Takes the lock of a network namespace. A thread that holds it already (a cycle inside a probe's or a pipeline's
    /// hold) takes it again without looking at the namespace a second time: its first acquisition did, and every write
    /// does (<see cref="Ipvs.IpvsClient"/>).
    /// </summary>
    public static WriterLock ForNamespace(NetNamespace ns, TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        string description = ns.IsCurrent ? "the current network namespace" : $"network namespace '{ns}'";
        if (!ns.IsCurrent && ns.Identity is { } pinned && Find(PathForInode(pinned)) is { } held && Nest(held, description) is { } nested)
            return nested;
        return Acquire(PathFor(ns), description, timeout, cancellation);
    }

    /// <summary>The lock file of a file that LvsTools rewrites (a sysctl.d file): file-HASH.lock, HASH of its full path.</summary>
    public static string PathForFile(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..16];
        return $"{LockDirectory}/file-{hash.ToLowerInvariant()}.lock";
    }

    /// <summary>Takes the lock of a file that LvsTools rewrites.</summary>
    public static WriterLock ForFile(string path, TimeSpan? timeout = null, CancellationToken cancellation = default) =>
        Acquire(PathForFile(path), $"file '{System.IO.Path.GetFullPath(path)}'", timeout, cancellation);

    /// <summary>Takes the lock at <paramref name="path"/>, waiting at most <paramref name="timeout"/>.</summary>
    public static WriterLock Acquire(string path, string description, TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        var wait = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        Gate gate;
        lock (Gates)
        {
            if (!Gates.TryGetValue(path, out gate!))
                Gates[path] = gate = new Gate(path);
        }
        if (Nest(gate, description) is { } nested)
            return nested;
        int me = Environment.CurrentManagedThreadId;
        // Threads of this process queue on the gate; only its holder competes with other processes for the flock.
        if (!gate.Turn.Wait(wait, cancellation))
            throw TimedOut(path, description, wait, Holder(path) ?? Environment.ProcessId);
        int fd = -1;
        try
        {
            fd = Lock(path, description, wait - watch.Elapsed, cancellation);
            lock (gate)
            {
                gate.Fd = fd;
                gate.Owner = me;
                gate.Depth = 1;
            }
            return new WriterLock(gate, description);
        }
        catch
        {
            if (fd >= 0)
                Native.close(fd);
            gate.Turn.Release();
            throw;
        }
    }

    // The gate of the lock at PATH, or null when this process has not taken that lock yet.
    private static Gate? Find(string path)
    {
        lock (Gates)
            return Gates.GetValueOrDefault(path);
    }

    // The gate's lock taken again by the thread that holds it (re-entrant), or null when this thread does not hold it.
    private static WriterLock? Nest(Gate gate, string description)
    {
        lock (gate)
        {
            if (gate.Owner != Environment.CurrentManagedThreadId)
                return null;
            gate.Depth++;
            return new WriterLock(gate, description);
        }
    }

    /// <summary>Releases the lock (the last release of a thread's nested holds unlocks the file).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_released)
                return;
            _released = true;
            if (--_gate.Depth > 0)
                return;
            Native.flock(_gate.Fd, Native.LOCK_UN);
            Native.close(_gate.Fd);
            _gate.Fd = -1;
            _gate.Owner = 0;
        }
        _gate.Turn.Release();
    }

    private static int Lock(string path, string description, TimeSpan wait, CancellationToken cancellation)
    {
        var deadline = Stopwatch.StartNew();
        int pause = 1;
        while (true)
        {
            int fd = Open(path, description);
            while (true)
            {
                if (Native.flock(fd, Native.LOCK_EX | Native.LOCK_NB) == 0)
                    break;
                int errno = Native.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                if (errno != Errno.EAGAIN)
                {
                    Native.close(fd);
                    throw new LvsException(KernelErrors.Kind(errno), "LvsLockFailed", $"Cannot lock {path} for {description}: {Errno.Describe(errno)}.", path);
                }
                if (deadline.Elapsed >= wait)
                {
                    Native.close(fd);
                    throw TimedOut(path, description, wait, Holder(path));
                }
                if (cancellation.WaitHandle.WaitOne(Math.Min(pause, Math.Max(1, (int)(wait - deadline.Elapsed).TotalMilliseconds))))
                {
                    Native.close(fd);
                    cancellation.ThrowIfCancellationRequested();
                }
                pause = Math.Min(pause * 2, 16);
            }
            // Locked. If the file was removed or replaced meanwhile, a newcomer would lock another file: start over.
            if (Native.FStat(fd, out var mine, out _) && Native.Stat(path, out var now, out _) && mine.Inode == now.Inode && mine.Device == now.Device)
                return fd;
            Native.close(fd);
        }
    }

    private static int Open(string path, string description)
    {
        bool created = false;
        while (true)
        {
            int fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_CLOEXEC, 0x180 /* 0600 */);
            if (fd >= 0)
                return fd;
            int errno = Native.LastErrno;
            if (errno == Errno.EINTR)
                continue;
            if (errno == Errno.ENOENT && !created)
            {
                CreateDirectory(path, description);
                created = true;
                continue;
            }
            if (errno is Errno.EACCES or Errno.EPERM or Errno.EROFS)
                throw Denied(path, description, Errno.Describe(errno));
            throw new LvsException(KernelErrors.Kind(errno), "LvsLockFailed", $"Cannot open {path} for the lock of {description}: {Errno.Describe(errno)}.", path);
        }
    }

    // /run/lvstools (0755) and /run/lvstools/lock (0700), as root creates them; an existing one is left as it is.
    private static void CreateDirectory(string path, string description)
    {
        var dir = System.IO.Path.GetDirectoryName(path)!;
        foreach (var (d, mode) in new[] { (System.IO.Path.GetDirectoryName(dir)!, 0x1ed /* 0755 */), (dir, 0x1c0 /* 0700 */) })
        {
            if (Native.mkdir(d, mode) == 0)
                continue;
            int errno = Native.LastErrno;
            if (errno == Errno.EEXIST)
                continue;
            if (errno is Errno.EACCES or Errno.EPERM or Errno.EROFS)
                throw Denied(path, description, $"cannot create {d}: {Errno.Describe(errno)}");
            throw new LvsException(KernelErrors.Kind(errno), "LvsLockFailed", $"Cannot create {d} for the lock of {description}: {Errno.Describe(errno)}.", d);
        }
    }

    private static LvsException Denied(string path, string description, string reason) =>
        new(LvsErrorKind.PermissionDenied, "PermissionDenied",
            $"Changing {description} needs root: the writers' lock {path} cannot be opened ({reason}).", path);

    private sealed class Gate(string path)
    {
        public readonly string Path = path;
        public readonly SemaphoreSlim Turn = new(1, 1);
        public int Owner;
        public int Depth;
        public int Fd = -1;
    }
}
