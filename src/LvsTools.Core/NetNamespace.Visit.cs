using LvsTools.Core.Netlink;

namespace LvsTools.Core;

public sealed partial class NetNamespace
{
    private LvsException EnterFailed(int errno) =>
        new(KernelErrors.Kind(errno), errno is Errno.EPERM ? "PermissionDenied" : "NetNamespaceEnterFailed",
            $"Cannot enter network namespace '{Name}': {Errno.Describe(errno)}" +
            (errno == Errno.EPERM ? " (CAP_SYS_ADMIN is needed: run as root)." : "."), Name);

    /// <summary>
    /// A way into the namespace and back for a long-lived thread of our own that makes many sockets there: both
    /// namespaces' descriptors held open, so that a visit is two setns(2) and one statx(2) of the name, where
    /// <see cref="Run{T}"/> costs a thread and opening the namespace again. Only for such a thread, started in the
    /// process's namespace, never one of the pool. Dispose it on that thread's way out.
    /// </summary>
    /// <exception cref="LvsException">As <see cref="Run{T}"/>: NetNamespaceNotFound, NetNamespaceOpenFailed.</exception>
    internal Visitor OpenVisitor()
    {
        if (IsCurrent)
            return new Visitor(this, -1, -1);
        int into = OpenFd(Path!, Name!, vanished: Identity is not null);
        int back = -1;
        try
        {
            Check(into);
            back = OpenFd("/proc/self/ns/net", "(process)", vanished: false);
            return new Visitor(this, into, back);
        }
        catch
        {
            Native.close(into);
            throw;
        }
    }

    /// <summary>See <see cref="OpenVisitor"/>.</summary>
    internal sealed class Visitor(NetNamespace netNamespace, int into, int back) : IDisposable
    {
        private bool _disposed;

        /// <summary>
        /// Runs <paramref name="work"/> on the calling thread inside the namespace, its name checked first to lead there
        /// still, then moves the thread back to the process's namespace.
        /// </summary>
        /// <exception cref="LvsException">NetNamespaceNotFound (deleted or replaced), PermissionDenied, NetNamespaceEnterFailed: the thread has not moved.</exception>
        /// <exception cref="NamespaceStrandedException">The thread could not return to the process's namespace: it must end.</exception>
        public T Visit<T>(Func<T> work)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (into < 0)
                return work();
            netNamespace.Verify();
            if (Native.setns(into, Native.CLONE_NEWNET) != 0)
                throw netNamespace.EnterFailed(Native.LastErrno);
            try
            {
                return work();
            }
            finally
            {
                if (Native.setns(back, Native.CLONE_NEWNET) != 0)
                    throw new NamespaceStrandedException(netNamespace, Errno.Describe(Native.LastErrno));
            }
        }

        public void Dispose()
        {
            if (_disposed)
                return;
            _disposed = true;
            if (into >= 0)
            {
                Native.close(into);
                Native.close(back);
            }
        }
    }
}

/// <summary>A thread that visited a namespace could not return to the process's own (<see cref="NetNamespace.Visitor"/>): it must end.</summary>
internal sealed class NamespaceStrandedException(NetNamespace netNamespace, string reason)
    : InvalidOperationException($"A thread that visited network namespace '{netNamespace}' could not return to the process's own: {reason}.");
