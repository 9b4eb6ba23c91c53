using System.Diagnostics;

namespace LvsTools.Core.Tests.Kernel;

/// <summary>
/// A network namespace of the test's own (`ip netns add lvst-XXXXXXXX`), with lo up and optionally a veth
/// pair, deleted on Dispose. Tests never touch the host's own interfaces or sysctls. iproute2 and sysctl
/// are used here only to build the sandbox and as independent cross-checks.
/// </summary>
public sealed class TestNamespace : IDisposable
{
    public TestNamespace(bool veth = true)
    {
        Name = "lvst-" + Guid.NewGuid().ToString("N")[..8];
        Run("ip", "netns", "add", Name);
        Ip("link", "set", "lo", "up");
        if (veth)
        {
            Ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
            Ip("link", "set", "veth0", "up");
            Ip("link", "set", "veth1", "up");
        }
        Namespace = NetNamespace.Resolve(Name);
    }

    public string Name { get; }
    public NetNamespace Namespace { get; }

    /// <summary>Why kernel tests cannot run here, or null when they can.</summary>
    public static string? Unavailable { get; } = Probe();

    private static string? Probe()
    {
        if (Environment.UserName != "root" && LvsTools.Core.Tests.Kernel.Posix.Geteuid() != 0)
            return "kernel tests need root (network namespaces)";
        try
        {
            Run("ip", "-V");
        }
        catch (Exception e)
        {
            return "iproute2 is not installed: " + e.Message;
        }
        return null;
    }

    /// <summary>Runs `ip -n NS ARGS` and returns its output.</summary>
    public string Ip(params string[] args) => Run("ip", ["-n", Name, .. args]);

    /// <summary>Runs a command inside the namespace (`ip netns exec NS ...`).</summary>
    public string Exec(params string[] args) => Run("ip", ["netns", "exec", Name, .. args]);

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 60 s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }

    public void Dispose()
    {
        try { Run("ip", "netns", "del", Name); } catch (Exception) { /* best effort */ }
    }
}

internal static class Posix
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    public static extern uint Geteuid();
}
