using LvsTools.Core.Netlink;

namespace LvsTools.Core.Lab;

/// <summary>
/// Named network namespaces as `ip netns` keeps them: an nsfs bind mount on /run/netns/NAME, with /run/netns a shared
/// mount point so that other mount namespaces see the names too.
/// </summary>
public static class NamedNetNamespace
{
    public const string Directory = "/run/netns";

    /// <summary>Whether /run/netns/NAME exists.</summary>
    public static bool Exists(string name) => File.Exists(NetNamespace.PathOf(name));

    /// <summary>
    /// Creates a new, empty network namespace under a name (only lo, down). Equivalent to: ip netns add NAME.
    /// </summary>
    /// <exception cref="LvsException">NetNamespaceExists when the name is taken; PermissionDenied without CAP_SYS_ADMIN.</exception>
    public static void Create(string name)
    {
        var path = NetNamespace.PathOf(name);
        PrepareDirectory();
        int fd = Native.open(path, Native.O_RDONLY | Native.O_CREAT | LabNative.O_EXCL | Native.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Native.LastErrno;
            if (errno == Errno.EEXIST)
                throw new LvsException(LvsErrorKind.AlreadyExists, "NetNamespaceExists", $"Network namespace '{name}' exists already.", name);
            throw Failure("NetNamespaceCreateFailed", $"Cannot create {path}", errno, name);
        }
        Native.close(fd);
        int failed = 0;
        // unshare(CLONE_NEWNET) moves only the calling thread: a thread of our own that ends right after.
        var thread = new Thread(() =>
        {
            if (LabNative.unshare(Native.CLONE_NEWNET) != 0 ||
                LabNative.mount("/proc/thread-self/ns/net", path, "none", LabNative.MS_BIND, 0) != 0)
                failed = Native.LastErrno;
        }, 256 * 1024) { IsBackground = true, Name = "LvsTools netns add " + name };
        thread.Start();
        thread.Join();
        if (failed != 0)
        {
            LabNative.unlink(path);
            throw Failure("NetNamespaceCreateFailed", $"Cannot create network namespace '{name}'", failed, name);
        }
    }

    /// <summary>
    /// Deletes a named namespace (the namespace itself goes when its last process and socket leave it).
    /// Equivalent to: ip netns del NAME. Returns false when there was no such name.
    /// </summary>
    public static bool Delete(string name)
    {
        var path = NetNamespace.PathOf(name);
        if (!File.Exists(path))
            return false;
        LabNative.umount2(path, LabNative.MNT_DETACH);
        if (LabNative.unlink(path) != 0 && Native.LastErrno is int errno && errno != Errno.ENOENT)
            throw Failure("NetNamespaceDeleteFailed", $"Cannot delete network namespace '{name}'", errno, name);
        return true;
    }

    /// <summary>The processes whose network namespace is <paramref name="ns"/> (this one excepted). Equivalent to: ip netns pids NAME.</summary>
    public static List<int> ProcessesIn(NetNamespace ns)
    {
        var found = new List<int>();
        if (ns.Identity is not { } inode)
            return found;
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId)
                continue;
            if (Native.Stat(dir + "/ns/net", out var id, out _) && id.Inode == inode)
                found.Add(pid);
        }
        return found;
    }

    // As iproute2's netns_add: /run/netns exists and is a shared mount (made a bind mount of itself first if it is none).
    private static void PrepareDirectory()
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (LabNative.mount("", Directory, "none", LabNative.MS_SHARED | LabNative.MS_REC, 0) == 0)
            return;
        int errno = Native.LastErrno;
        if (errno != Errno.EINVAL)
            throw Failure("NetNamespaceCreateFailed", $"Cannot make {Directory} a shared mount", errno, Directory);
        if (LabNative.mount(Directory, Directory, "none", LabNative.MS_BIND | LabNative.MS_REC, 0) != 0 ||
            LabNative.mount("", Directory, "none", LabNative.MS_SHARED | LabNative.MS_REC, 0) != 0)
            throw Failure("NetNamespaceCreateFailed", $"Cannot make {Directory} a shared mount", Native.LastErrno, Directory);
    }

    private static LvsException Failure(string id, string what, int errno, string target) =>
        new(KernelErrors.Kind(errno), errno == Errno.EPERM ? "PermissionDenied" : id,
            $"{what}: {Errno.Describe(errno)}" + (errno == Errno.EPERM ? " (CAP_SYS_ADMIN is needed: run as root)." : "."), target);
}
