using System.Diagnostics;
using System.Runtime.InteropServices;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Harness;

/// <summary>What to run, where, and with how much.</summary>
public sealed record LabRunRequest
{
    /// <summary>The folder the command runs in (visible in the guest at the same path).</summary>
    public required string Folder { get; init; }
    /// <summary>The pwsh that runs the command (the guest's / is the host's, so the same path works there).</summary>
    public required string Pwsh { get; init; }
    /// <summary>PowerShell text: the module import and the user's command.</summary>
    public required string Script { get; init; }
    /// <summary>The folder holding uml-run.sh and guest-init.sh.</summary>
    public required string HarnessFolder { get; init; }
    public long MemoryBytes { get; init; } = 2L << 30;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>Variables the command gets (in the guest everything else is a fixed, minimal environment).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    /// <summary>Host folders the guest must show besides <see cref="Folder"/> (the module's, pwsh's).</summary>
    public IReadOnlyList<string> Expose { get; init; } = [];
}

/// <summary>
/// Runs a command with a real IPVS kernel: here when the running kernel has the IPVS family, else in the User-mode Linux
/// guest that uml-run.sh boots (the host's / as root file system, the IPVS modules loaded). The command's stdout and
/// stderr come back merged, line by line, as they are written; the result is its exit status.
/// Equivalent to: uml-run.sh --cwd FOLDER -- pwsh -Command SCRIPT.
/// </summary>
public static class LabRunner
{
    /// <summary>uml-run.sh: the guest failed to boot or never reported a status.</summary>
    public const int ExitHarness = 125;
    /// <summary>uml-run.sh: the command did not finish in time.</summary>
    public const int ExitTimeout = 124;

    public const string InstallHint = "apt-get install --no-install-recommends user-mode-linux kmod iproute2";

    /// <summary>The UML kernel binary (LVSTOOLS_UML_KERNEL, else Debian's /usr/bin/linux.uml).</summary>
    public static string UmlKernel => System.Environment.GetEnvironmentVariable("LVSTOOLS_UML_KERNEL") is { Length: > 0 } k ? k : "/usr/bin/linux.uml";

    /// <summary>Whether the running kernel has IPVS: the generic netlink family "IPVS" resolves (loaded, or autoloaded on the lookup).</summary>
    public static bool HostHasIpvs()
    {
        try
        {
            using var client = IpvsClient.Open(NetNamespace.Resolve(""));
            return true;
        }
        catch (Exception e) when (KernelErrors.ToLvsException(e) is { Kind: LvsErrorKind.NotInstalled })
        {
            return false;
        }
    }

    /// <summary>Whether ip_vs is a module of the running kernel that is not loaded (modules.dep names it).</summary>
    public static bool IpvsModuleNotLoaded()
    {
        try
        {
            string dep = $"/lib/modules/{File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}/modules.dep";
            return File.Exists(dep) && File.ReadLines(dep).Any(l => l.Contains("/ip_vs.ko", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// What stops a run before it starts, as an exception to throw; null when nothing does. Root (the command works
    /// with network namespaces and IPVS, and the guest reads the host's file system as this user), the folder, pwsh,
    /// and for UML the kernel, its modules, bash and room for the guest's RAM.
    /// </summary>
    public static LvsException? Check(LabRunRequest request, bool uml)
    {
        if (!Directory.Exists(request.Folder))
            return new LvsException(LvsErrorKind.NotFound, "LvsLabPathNotFound", $"The folder '{request.Folder}' does not exist: -Path names the folder the command runs in.", request.Folder);
        if (!System.Environment.IsPrivilegedProcess)
            return new LvsException(LvsErrorKind.PermissionDenied, "LvsLabNeedsRoot",
                "Invoke-LvsLab needs root: the command works with network namespaces and IPVS, and the guest's root is the host's file system as this user sees it. Run it with sudo.", null);
        if (!File.Exists(request.Pwsh))
            return new LvsException(LvsErrorKind.NotFound, "LvsLabPwshNotFound", $"pwsh was not found at '{request.Pwsh}'.", request.Pwsh);
        if (!uml)
            return null;
        if (!File.Exists(UmlKernel) || !Directory.Exists("/usr/lib/uml/modules"))
            return new LvsException(LvsErrorKind.NotInstalled, "UmlNotInstalled",
                $"User-mode Linux is not installed ({(File.Exists(UmlKernel) ? "/usr/lib/uml/modules" : UmlKernel)} is missing) and the running kernel has no IPVS: " +
                $"install the Debian package user-mode-linux: {InstallHint}", UmlKernel);
        if (!File.Exists("/bin/bash"))
            return new LvsException(LvsErrorKind.NotInstalled, "LvsLabBashNotFound", "/bin/bash (5.1 or later) is needed to boot User-mode Linux.", "/bin/bash");
        foreach (var script in new[] { "uml-run.sh", "guest-init.sh" })
            if (!File.Exists(System.IO.Path.Combine(request.HarnessFolder, script)))
                return new LvsException(LvsErrorKind.NotInstalled, "LvsLabHarnessMissing", $"{script} is missing from '{request.HarnessFolder}': reinstall the module.", request.HarnessFolder);
        return CheckRoom(request.MemoryBytes);
    }

    // The guest's RAM is a file in /dev/shm when that has room (and allows exec), else in TMPDIR (as uml-run.sh decides).
    private static LvsException? CheckRoom(long memory)
    {
        static long Free(string path)
        {
            try
            {
                return Directory.Exists(path) ? new DriveInfo(path).AvailableFreeSpace : 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                return 0;
            }
        }
        string tmp = System.Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } t ? t : "/tmp";
        long shm = Free("/dev/shm"), tmpFree = Free(tmp);
        if (shm > memory + (64L << 20) || tmpFree > memory + (64L << 20))
            return null;
        return new LvsException(LvsErrorKind.LimitsExceeded, "LvsLabMemoryTooLarge",
            $"The guest's RAM (-Memory {memory >> 20} MiB) is a file in /dev/shm or in TMPDIR, and neither has room: /dev/shm has {shm >> 20} MiB free, " +
            $"{tmp} {tmpFree >> 20} MiB. Give a smaller -Memory, enlarge /dev/shm (docker run --shm-size=3g), or set TMPDIR to a larger folder that allows exec.",
            memory);
    }

    /// <summary>
    /// Runs the request here (<paramref name="uml"/> false) or in the guest, sending each line of the command's merged
    /// output to <paramref name="output"/> and each line uml-run.sh itself writes (its own messages) to
    /// <paramref name="harness"/>, from reader threads. Cancellation ends the run: the guest is stopped and cleaned up
    /// by uml-run.sh (SIGTERM). Returns the exit status: the command's, or 124/125 from uml-run.sh.
    /// </summary>
    public static int Run(LabRunRequest request, bool uml, Action<string> output, Action<string> harness, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = request.Folder,
        };
        if (uml)
        {
            start.FileName = "/bin/bash";
            foreach (var a in new[] { System.IO.Path.Combine(request.HarnessFolder, "uml-run.sh"), "--timeout", ((long)Math.Ceiling(request.Timeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "--mem", $"{request.MemoryBytes >> 20}M", "--cwd", request.Folder })
                start.ArgumentList.Add(a);
            // The module may live where the guest hides the host's files (/tmp, /run): shown again.
            foreach (var folder in request.Expose)
            {
                start.ArgumentList.Add("--expose");
                start.ArgumentList.Add(folder);
            }
            foreach (var (name, value) in request.Environment)
            {
                start.ArgumentList.Add("--env");
                start.ArgumentList.Add($"{name}={value}");
            }
            start.ArgumentList.Add("--");
        }
        else
        {
            // stdout and stderr in one pipe, in the order written, as in the guest.
            start.FileName = "/bin/sh";
            foreach (var a in new[] { "-c", "exec \"$0\" \"$@\" 2>&1" })
                start.ArgumentList.Add(a);
            foreach (var (name, value) in request.Environment)
                start.Environment[name] = value;
        }
        foreach (var a in new[] { request.Pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", request.Script })
            start.ArgumentList.Add(a);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        process.StandardInput.Close();
        var readers = new[]
        {
            Task.Run(() => Pump(process.StandardOutput, output)),
            Task.Run(() => Pump(process.StandardError, harness)),
        };
        using (cancellation.Register(() => Stop(process, uml)))
        {
            var deadline = uml ? Timeout.InfiniteTimeSpan : request.Timeout; // uml-run.sh keeps its own time
            if (!process.WaitForExit(deadline))
            {
                harness($"the command did not finish within {request.Timeout.TotalSeconds} s: stopped");
                Stop(process, uml);
                process.WaitForExit();
                Task.WaitAll(readers, TimeSpan.FromSeconds(5));
                return ExitTimeout;
            }
            process.WaitForExit(); // the readers have seen EOF
        }
        Task.WaitAll(readers, TimeSpan.FromSeconds(5));
        return process.ExitCode;
    }

    private static void Pump(StreamReader reader, Action<string> sink)
    {
        while (reader.ReadLine() is { } line)
            sink(line);
    }

    // uml-run.sh stops the guest and removes its run folder on SIGTERM; a local command gets SIGTERM as well.
    private static void Stop(Process process, bool uml)
    {
        try
        {
            if (!process.HasExited && kill(process.Id, 15) != 0)
                process.Kill(entireProcessTree: !uml);
        }
        catch (InvalidOperationException)
        {
            // it ended meanwhile
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
