using System.Diagnostics;
using LvsTools.Core.Tests.Kernel;

namespace LvsTools.Core.Tests;

/// <summary>
/// The writers' lock against the running kernel, cross-checked with util-linux: `stat -L` for the namespace's nsfs
/// inode and `flock(1)` as an independent holder (it uses flock(2) too, so the two exclude each other).
/// </summary>
[Trait("Category", "Kernel")]
public sealed class WriterLockTests : IDisposable
{
    private readonly TestNamespace? _ns = TestNamespace.Unavailable is null ? new TestNamespace(veth: false) : null;

    private TestNamespace Ns => _ns!;

    private static void Need() => Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);

    public void Dispose() => _ns?.Dispose();

    [SkippableFact]
    public void The_key_is_the_nsfs_inode_whatever_the_namespace_is_called()
    {
        Need();
        var inode = TestNamespace.Run("stat", "-L", "-c", "%i", "/run/netns/" + Ns.Name).Trim();
        Assert.Equal(inode, WriterLock.NamespaceInode(Ns.Namespace).ToString());
        Assert.Equal($"/run/lvstools/lock/net-{inode}.lock", WriterLock.PathFor(Ns.Namespace));
        // The same namespace named by a process in it: /proc/PID/ns/net.
        using var sleeper = Process.Start("ip", ["netns", "exec", Ns.Name, "sleep", "30"]);
        try
        {
            string? viaProc = null;
            for (int i = 0; i < 100 && viaProc != inode; i++)
            {
                Thread.Sleep(50);
                var path = $"/proc/{ChildPid(sleeper.Id)}/ns/net";
                try { viaProc = WriterLock.NamespaceInode(NetNamespace.Resolve(path)).ToString(); }
                catch (LvsException) { }
            }
            Assert.Equal(inode, viaProc);
        }
        finally
        {
            sleeper.Kill();
        }
        // The current namespace is another one, with another lock.
        var mine = TestNamespace.Run("stat", "-L", "-c", "%i", "/proc/self/ns/net").Trim();
        Assert.Equal(mine, WriterLock.NamespaceInode(NetNamespace.Current).ToString());
        Assert.NotEqual(inode, mine);
    }

    // `ip netns exec` execs the command, so the pid is the command's; older iproute2 forks: take a child then.
    private static int ChildPid(int pid)
    {
        var children = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(children) && File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var c, ..]
            ? int.Parse(c) : pid;
    }

    [SkippableFact]
    public void Lock_file_and_directory_are_root_only()
    {
        Need();
        using (WriterLock.ForNamespace(Ns.Namespace))
        {
        }
        var path = WriterLock.PathFor(Ns.Namespace);
        Assert.Equal("600 0", TestNamespace.Run("stat", "-c", "%a %u", path).Trim());
        Assert.Equal("700 0", TestNamespace.Run("stat", "-c", "%a %u", WriterLock.LockDirectory).Trim());
    }

    [SkippableFact]
    public void Threads_exclude_each_other_and_one_thread_reenters()
    {
        Need();
        int inside = 0, most = 0;
        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                using (WriterLock.ForNamespace(Ns.Namespace))
                using (WriterLock.ForNamespace(Ns.Namespace)) // nested on one thread: no deadlock
                {
                    int now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref most, now);
                    Thread.SpinWait(2000);
                    Interlocked.Decrement(ref inside);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(1, most);
        // Released: another process can take it at once.
        Assert.Equal("0", FlockStatus("-n", WriterLock.PathFor(Ns.Namespace)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [SkippableFact]
    public void Another_process_holding_it_makes_a_writer_wait_then_time_out_naming_that_process()
    {
        Need();
        var path = WriterLock.PathFor(Ns.Namespace);
        using (WriterLock.ForNamespace(Ns.Namespace)) { } // creates the file
        // -o: flock(1) itself holds the lock, its child does not inherit it.
        using var holder = Process.Start("flock", ["-o", "-x", path, "sleep", "30"]);
        try
        {
            WaitUntilHeld(path);
            var watch = Stopwatch.StartNew();
            var e = Assert.Throws<LvsException>(() => WriterLock.ForNamespace(Ns.Namespace, TimeSpan.FromMilliseconds(300)));
            Assert.InRange(watch.ElapsedMilliseconds, 250, 5000);
            Assert.Equal("LvsLockTimeout", e.ErrorId);
            Assert.Equal(LvsErrorKind.ResourceBusy, e.Kind);
            Assert.Contains($"pid {holder.Id} (flock)", e.Message);
            Assert.Contains(path, e.Message);
            Assert.Equal(holder.Id, WriterLock.Holder(path));
        }
        finally
        {
            int child = ChildPid(holder.Id);
            holder.Kill();
            holder.WaitForExit();
            if (child != holder.Id)
                Process.GetProcessById(child).Kill();
        }
        // The kernel released it with the process, killed as it was.
        using (WriterLock.ForNamespace(Ns.Namespace, TimeSpan.FromSeconds(5))) { }
    }

    [SkippableFact]
    public void While_held_here_another_process_cannot_take_it()
    {
        Need();
        var path = WriterLock.PathFor(Ns.Namespace);
        using (WriterLock.ForNamespace(Ns.Namespace))
        {
            Assert.Equal("1", FlockStatus("-n", path));
            Assert.Equal(Environment.ProcessId, WriterLock.Holder(path));
        }
        Assert.Equal("0", FlockStatus("-n", path));
    }

    [SkippableFact]
    public void A_waiter_in_this_process_times_out_naming_this_process()
    {
        Need();
        using var held = WriterLock.ForNamespace(Ns.Namespace);
        LvsException? e = null;
        var t = new Thread(() => e = Assert.Throws<LvsException>(() => WriterLock.ForNamespace(Ns.Namespace, TimeSpan.FromMilliseconds(200))));
        t.Start();
        t.Join();
        Assert.Equal("LvsLockTimeout", e!.ErrorId);
        Assert.Contains($"held by this process, pid {Environment.ProcessId}", e.Message);
    }

    [SkippableFact]
    public void A_namespace_that_is_gone_is_NetNamespaceNotFound()
    {
        Need();
        var ns = Ns.Namespace;
        TestNamespace.Run("ip", "netns", "del", Ns.Name);
        var e = Assert.Throws<LvsException>(() => WriterLock.ForNamespace(ns));
        Assert.Equal("NetNamespaceNotFound", e.ErrorId);
        Assert.Equal(LvsErrorKind.NotFound, e.Kind);
    }

    [SkippableFact]
    public void Files_have_a_lock_each_keyed_by_full_path()
    {
        Need();
        var dir = Path.Combine(Path.GetTempPath(), "lvst-" + Guid.NewGuid().ToString("N")[..8]);
        using var a = WriterLock.ForFile(Path.Combine(dir, "a.conf"));
        using var b = WriterLock.ForFile(Path.Combine(dir, "b.conf"));
        Assert.NotEqual(a.Path, b.Path);
        Assert.StartsWith(WriterLock.LockDirectory + "/file-", a.Path);
        Assert.Equal(a.Path, WriterLock.PathForFile(Path.Combine(dir, ".", "a.conf")));
    }

    // `flock -n PATH true`: 0 when free, 1 when held elsewhere.
    private static string FlockStatus(string mode, string path)
    {
        using var p = Process.Start("flock", [mode, "-E", "1", path, "true"]);
        p.WaitForExit();
        return p.ExitCode.ToString();
    }

    private static void WaitUntilHeld(string path)
    {
        for (int i = 0; i < 200; i++)
        {
            if (FlockStatus("-n", path) == "1")
                return;
            Thread.Sleep(25);
        }
        throw new TimeoutException("flock(1) did not take the lock");
    }
}

/// <summary>sysctl.d files rewritten by many writers at once (no kernel needed beyond /run for the lock).</summary>
[Trait("Category", "Kernel")]
public sealed class SysctlPersistenceConcurrencyTests
{
    [SkippableFact]
    public void Eight_threads_saving_at_once_lose_no_line()
    {
        Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);
        var dir = Path.Combine(Path.GetTempPath(), "lvst-" + Guid.NewGuid().ToString("N")[..8]);
        var file = Path.Combine(dir, "90-test.conf");
        try
        {
            var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
            {
                for (int i = 0; i < 25; i++)
                    LvsTools.Core.Sysctl.SysctlPersistence.Save(file, [(LvsTools.Core.Sysctl.SysctlName.Parse($"net.ipv4.conf.w{t}x{i}.arp_ignore"), "1")]);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            var keys = File.ReadAllLines(file).Where(l => l.StartsWith("net.", StringComparison.Ordinal)).ToList();
            Assert.Equal(200, keys.Count);
            Assert.Equal(200, keys.Distinct().Count());
            Assert.Empty(Directory.GetFiles(dir, ".*.tmp"));
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }
}
