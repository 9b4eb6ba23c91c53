using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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
public sealed class WriterLock : IDisposable
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
    public static string PathFor(NetNamespace ns) => $"{LockDirectory}/net-{NamespaceInode(ns)}.lock";

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
        if (!Posix.Stat(path, out var st, out int errno))
            throw errno == Errno.ENOENT
                ? new LvsException(LvsErrorKind.NotFound, "NetNamespaceNotFound", $"Network namespace '{ns}' does not exist ({path} not found).", ns.Name)
                : new LvsException(KernelErrors.Kind(errno), "NetNamespaceOpenFailed", $"Cannot open network namespace '{ns}' ({path}): {Errno.Describe(errno)}.", ns.Name);
        return st.Inode;
    }

    /// <summary>Takes the lock of a network namespace.</summary>
    public static WriterLock ForNamespace(NetNamespace ns, TimeSpan? timeout = null, CancellationToken cancellation = default) =>
        Acquire(PathFor(ns), ns.IsCurrent ? "the current network namespace" : $"network namespace '{ns}'", timeout, cancellation);

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
        int me = Environment.CurrentManagedThreadId;
        lock (gate)
        {
            if (gate.Owner == me)
            {
                gate.Depth++;
                return new WriterLock(gate, description);
            }
        }
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
                Posix.close(fd);
            gate.Turn.Release();
            throw;
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
            Posix.flock(_gate.Fd, Posix.LOCK_UN);
            Posix.close(_gate.Fd);
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
                if (Posix.flock(fd, Posix.LOCK_EX | Posix.LOCK_NB) == 0)
                    break;
                int errno = Posix.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                if (errno != Errno.EAGAIN)
                {
                    Posix.close(fd);
                    throw new LvsException(KernelErrors.Kind(errno), "LvsLockFailed", $"Cannot lock {path} for {description}: {Errno.Describe(errno)}.", path);
                }
                if (deadline.Elapsed >= wait)
                {
                    Posix.close(fd);
                    throw TimedOut(path, description, wait, Holder(path));
                }
                if (cancellation.WaitHandle.WaitOne(Math.Min(pause, Math.Max(1, (int)(wait - deadline.Elapsed).TotalMilliseconds))))
                {
                    Posix.close(fd);
                    cancellation.ThrowIfCancellationRequested();
                }
                pause = Math.Min(pause * 2, 16);
            }
            // Locked. If the file was removed or replaced meanwhile, a newcomer would lock another file: start over.
            if (Posix.FStat(fd, out var mine) && Posix.Stat(path, out var now, out _) && mine.Inode == now.Inode && mine.Device == now.Device)
                return fd;
            Posix.close(fd);
        }
    }

    private static int Open(string path, string description)
    {
        bool created = false;
        while (true)
        {
            int fd = Posix.open(path, Posix.O_RDWR | Posix.O_CREAT | Native.O_CLOEXEC, 0x180 /* 0600 */);
            if (fd >= 0)
                return fd;
            int errno = Posix.LastErrno;
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
            if (Posix.mkdir(d, mode) == 0)
                continue;
            int errno = Posix.LastErrno;
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

    private static LvsException TimedOut(string path, string description, TimeSpan wait, int? holder) =>
        new(LvsErrorKind.ResourceBusy, "LvsLockTimeout",
            $"Another writer has held the lock of {description} for more than {wait.TotalSeconds:0.###} s " +
            $"({(holder is { } pid ? HolderText(pid) : "holder unknown")}; lock file {path}). " +
            "This change was not made. Try again when it has finished, or set LVSTOOLS_LOCK_TIMEOUT (seconds) to wait longer.", path);

    private static string HolderText(int pid)
    {
        if (pid == Environment.ProcessId)
            return $"held by this process, pid {pid}: another runspace or thread";
        string comm = "";
        try { comm = File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return comm.Length > 0 ? $"held by pid {pid} ({comm})" : $"held by pid {pid}";
    }

    /// <summary>The pid that holds the flock on <paramref name="path"/>, from /proc/locks, or null.</summary>
    public static int? Holder(string path)
    {
        if (!Posix.Stat(path, out var st, out _))
            return null;
        try
        {
            foreach (var line in File.ReadLines("/proc/locks"))
            {
                // "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; a waiter's line has "->" before FLOCK.
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int at = Array.IndexOf(f, "FLOCK");
                if (at < 1 || f[at - 1] == "->" || f.Length < at + 5)
                    continue;
                var id = f[at + 4].Split(':');
                if (id.Length == 3 && ulong.TryParse(id[2], out var ino) && ino == st.Inode
                    && uint.TryParse(id[0], NumberStyles.HexNumber, null, out var major) && major == st.DeviceMajor
                    && uint.TryParse(id[1], NumberStyles.HexNumber, null, out var minor) && minor == st.DeviceMinor
                    && int.TryParse(f[at + 3], out var pid))
                    return pid;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private sealed class Gate(string path)
    {
        public readonly string Path = path;
        public readonly SemaphoreSlim Turn = new(1, 1);
        public int Owner;
        public int Depth;
        public int Fd = -1;
    }

    /// <summary>The few libc calls the lock needs (statx's layout is the same on every architecture).</summary>
    private static unsafe class Posix
    {
        private const string Libc = "libc";
        public const int LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
        public const int O_RDWR = 2, O_CREAT = 0x40;
        private const int AT_FDCWD = -100, AT_EMPTY_PATH = 0x1000, STATX_INO = 0x100;

        public readonly record struct FileId(ulong Inode, uint DeviceMajor, uint DeviceMinor)
        {
            public ulong Device => ((ulong)DeviceMajor << 32) | DeviceMinor;
        }

        [DllImport(Libc, SetLastError = true)]
        public static extern int flock(int fd, int operation);

        [DllImport(Libc, SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

        [DllImport(Libc, SetLastError = true)]
        public static extern int close(int fd);

        [DllImport(Libc, SetLastError = true)]
        public static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

        [DllImport(Libc, SetLastError = true)]
        private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);

        public static int LastErrno => Marshal.GetLastPInvokeError();

        public static bool Stat(string path, out FileId id, out int errno) => Statx(AT_FDCWD, path, 0, out id, out errno);

        public static bool FStat(int fd, out FileId id) => Statx(fd, "", AT_EMPTY_PATH, out id, out _);

        // struct statx: stx_ino at offset 32, stx_dev_major and stx_dev_minor at 136 and 140; 256 bytes in all.
        private static bool Statx(int dirfd, string path, int flags, out FileId id, out int errno)
        {
            byte* buf = stackalloc byte[256];
            while (true)
            {
                if (statx(dirfd, path, flags, STATX_INO, buf) == 0)
                {
                    id = new FileId(*(ulong*)(buf + 32), *(uint*)(buf + 136), *(uint*)(buf + 140));
                    errno = 0;
                    return true;
                }
                errno = LastErrno;
                if (errno != Errno.EINTR)
                {
                    id = default;
                    return false;
                }
            }
        }
    }
}
