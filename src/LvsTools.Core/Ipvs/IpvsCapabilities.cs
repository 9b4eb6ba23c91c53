namespace LvsTools.Core.Ipvs;

/// <summary>
/// What the running kernel's IPVS offers, as far as can be told without changing anything. Values that could not be
/// observed are null rather than guessed.
/// </summary>
public sealed record IpvsCapabilities
{
    /// <summary>The IPVS version (IPVS_INFO_ATTR_VERSION; 1.2.1 on every kernel since 2.6.x).</summary>
    public required Version IpvsVersion { get; init; }

    /// <summary>The connection hash table's size.</summary>
    public uint ConnectionTableSize { get; init; }

    /// <summary>The kernel release (/proc/sys/kernel/osrelease, i.e. uname -r).</summary>
    public string KernelVersion { get; init; } = "";

    /// <summary>
    /// Whether real servers come with IPVS_DEST_ATTR_ADDR_FAMILY (kernel ≥ 3.18; needed for mixed-family tunnel
    /// servers). Null when the table had no real server to look at.
    /// </summary>
    public bool? ReportsRealServerAddressFamily { get; init; }

    /// <summary>Whether statistics come as 64-bit STATS64 (kernel ≥ 4.1). Null when the table had no service to look at.</summary>
    public bool? ReportsStatistics64 { get; init; }

    /// <summary>Scheduler modules loaded now (/proc/modules).</summary>
    public IReadOnlyList<string> LoadedSchedulers { get; init; } = [];

    /// <summary>Schedulers loaded, built in (modules.builtin) or on disk under /lib/modules/RELEASE (loadable on demand).</summary>
    public IReadOnlyList<string> AvailableSchedulers { get; init; } = [];

    /// <summary>Persistence engines loaded, built in or on disk (ip_vs_pe_sip → "sip").</summary>
    public IReadOnlyList<string> AvailablePersistenceEngines { get; init; } = [];

    /// <summary>The network namespace probed (null: the current one). The modules are the kernel's, shared by all.</summary>
    public string? NetNamespace { get; init; }
}

/// <summary>
/// Which IPVS kernel modules exist: loaded ones from /proc/modules, built-in ones from modules.builtin, loadable ones
/// from /lib/modules/RELEASE/kernel/net/netfilter/ipvs. The kernel loads a scheduler module on demand (request_module
/// "ip_vs_NAME") when a service asks for it, so "on disk" means "usable".
/// </summary>
public static class IpvsModules
{
    /// <summary>The running kernel's release: /proc/sys/kernel/osrelease (uname -r).</summary>
    public static string KernelRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return Environment.OSVersion.Version.ToString();
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.OSVersion.Version.ToString();
        }
    }

    /// <summary>Names of loaded modules that start with ip_vs (from /proc/modules).</summary>
    public static IReadOnlySet<string> Loaded(string procModules = "/proc/modules")
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(procModules))
            {
                int sp = line.IndexOf(' ');
                var name = sp < 0 ? line : line[..sp];
                if (name.StartsWith("ip_vs", StringComparison.Ordinal))
                    set.Add(name);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return set;
    }

    /// <summary>Names of ip_vs modules built in or installed for <paramref name="release"/>.</summary>
    public static IReadOnlySet<string> Installed(string release, string modulesRoot = "/lib/modules")
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var root = Path.Combine(modulesRoot, release);
        try
        {
            var builtin = Path.Combine(root, "modules.builtin");
            if (File.Exists(builtin))
                foreach (var line in File.ReadLines(builtin))
                    if (ModuleName(line) is { } n && n.StartsWith("ip_vs", StringComparison.Ordinal))
                        set.Add(n);
            var dir = Path.Combine(root, "kernel", "net", "netfilter", "ipvs");
            if (Directory.Exists(dir))
                foreach (var file in Directory.EnumerateFiles(dir))
                    if (ModuleName(file) is { } n)
                        set.Add(n);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return set;
    }

    private static string? ModuleName(string path)
    {
        var file = Path.GetFileName(path.Trim());
        int ko = file.IndexOf(".ko", StringComparison.Ordinal);
        return ko > 0 ? file[..ko].Replace('-', '_') : null;
    }

    /// <summary>Schedulers among <paramref name="modules"/>, in <see cref="IpvsValidation.KnownSchedulers"/> order.</summary>
    public static IReadOnlyList<string> Schedulers(IReadOnlySet<string> modules) =>
        IpvsValidation.KnownSchedulers.Where(s => s != "none" && modules.Contains("ip_vs_" + s)).ToList();

    /// <summary>Persistence engines among <paramref name="modules"/>.</summary>
    public static IReadOnlyList<string> PersistenceEngines(IReadOnlySet<string> modules) =>
        modules.Where(m => m.StartsWith("ip_vs_pe_", StringComparison.Ordinal)).Select(m => m["ip_vs_pe_".Length..]).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every scheduler this kernel has or can load.</summary>
    public static IReadOnlyList<string> AvailableSchedulers()
    {
        var all = new HashSet<string>(Loaded(), StringComparer.Ordinal);
        all.UnionWith(Installed(KernelRelease()));
        return Schedulers(all);
    }

    /// <summary>
    /// Whether a scheduler is loaded, built in or installed; null when nothing could be learnt (no /proc/modules and no
    /// /lib/modules). "none" always is.
    /// </summary>
    public static bool? IsSchedulerAvailable(string scheduler)
    {
        if (scheduler == "none")
            return true;
        var loaded = Loaded();
        var installed = Installed(KernelRelease());
        if (loaded.Count == 0 && installed.Count == 0)
            return null;
        return loaded.Contains("ip_vs_" + scheduler) || installed.Contains("ip_vs_" + scheduler);
    }
}
