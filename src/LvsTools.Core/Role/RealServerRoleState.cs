using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace LvsTools.Core.Role;

/// <summary>
/// What Enable-LvsRealServerRole changed in a namespace, with the values it found, so that Disable-LvsRealServerRole
/// undoes that and only that. One JSON file per namespace, named by the namespace's nsfs inode (net-INODE.json, as the
/// writer lock names its file), under /run/lvstools/realserver-role (tmpfs: it goes with a reboot, as the runtime
/// settings it describes do); LVSTOOLS_ROLE_STATE_DIR points it elsewhere. The kernel reuses the inode of a deleted
/// namespace, so the record also carries the namespace's cookie (SO_NETNS_COOKIE, never reused while the host runs): a
/// record left by a namespace that is gone is not taken for the new one's.
/// </summary>
public sealed class RealServerRoleStateStore(string directory)
{
    /// <summary>LVSTOOLS_ROLE_STATE_DIR, or /run/lvstools/realserver-role.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("LVSTOOLS_ROLE_STATE_DIR") is { Length: > 0 } d ? d : "/run/lvstools/realserver-role";

    public string Directory { get; } = directory;

    public string PathFor(NetNamespace ns) => System.IO.Path.Combine(Directory, $"net-{WriterLock.NamespaceInode(ns)}.json");

    /// <summary>The record of a namespace, or null when Enable changed nothing there (or it was undone).</summary>
    /// <exception cref="LvsException">RealServerRoleStateUnreadable: the file is not what this store writes.</exception>
    public RealServerRoleRecord? Load(NetNamespace ns)
    {
        var path = PathFor(ns);
        if (!File.Exists(path))
            return null;
        try
        {
            var stored = JsonSerializer.Deserialize<RealServerRoleRecord.Stored>(File.ReadAllText(path)) ?? throw new JsonException("empty");
            return stored.Cookie is { } then && Cookie(ns) is { } now && then != now ? null : stored.ToRecord();
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or NotSupportedException)
        {
            throw new LvsException(LvsErrorKind.OperationFailed, "RealServerRoleStateUnreadable",
                $"The real server role's state file '{path}' cannot be read ({e.Message}): remove it to forget what Enable-LvsRealServerRole recorded.", path, e);
        }
    }

    /// <summary>Writes the record (beside, then renamed over the file); an empty record deletes the file.</summary>
    public void Save(NetNamespace ns, RealServerRoleRecord record)
    {
        var path = PathFor(ns);
        if (record.Steps.Count == 0 && record.Persisted.Count == 0)
        {
            File.Delete(path);
            return;
        }
        System.IO.Directory.CreateDirectory(Directory);
        var tmp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(RealServerRoleRecord.Stored.From(record) with { Cookie = Cookie(ns) }));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// The namespace's cookie: a 64-bit number the kernel gives each network namespace and never reuses while it runs
    /// (getsockopt SO_NETNS_COOKIE, Linux 5.14+); null where the kernel has none.
    /// </summary>
    public static ulong? Cookie(NetNamespace ns) => ns.Run<ulong?>(() =>
    {
        const int SO_NETNS_COOKIE = 71;
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            Span<byte> value = stackalloc byte[8];
            return socket.GetRawSocketOption(1 /* SOL_SOCKET */, SO_NETNS_COOKIE, value) == 8 ? BitConverter.ToUInt64(value) : null;
        }
        catch (SocketException)
        {
            return null;
        }
    });
}

/// <summary>A sysctl line -Persist wrote, with what the file said before (null: no line).</summary>
public sealed record PersistedSysctl(string Name, string? Previous);

/// <summary>The steps Enable took in a namespace (with the values found before each), and the sysctl.d lines it wrote.</summary>
public sealed record RealServerRoleRecord
{
    public required RealServerMode Mode { get; init; }
    public string? Interface { get; init; }
    public required IReadOnlyList<IPAddress> VirtualAddress { get; init; }
    public required IReadOnlyList<RealServerRoleStep> Steps { get; init; }
    public string? PersistPath { get; init; }
    public IReadOnlyList<PersistedSysctl> Persisted { get; init; } = [];

    /// <summary>
    /// This record with more of Enable's work: a step already recorded keeps the value found first (the one before
    /// any Enable), new steps and VIPs are added.
    /// </summary>
    public RealServerRoleRecord Add(IEnumerable<RealServerRoleStep> steps, IEnumerable<IPAddress> vips, IEnumerable<PersistedSysctl> persisted, string? persistPath)
    {
        var all = Steps.ToList();
        foreach (var s in steps)
            if (!all.Any(a => a.Kind == s.Kind && a.Target == s.Target))
                all.Add(s);
        var lines = Persisted.ToList();
        foreach (var p in persisted)
            if (!lines.Any(l => l.Name == p.Name))
                lines.Add(p);
        return this with
        {
            Steps = all, VirtualAddress = VirtualAddress.Concat(vips).Distinct().ToList(), Persisted = lines,
            PersistPath = persistPath ?? PersistPath,
        };
    }

    // The file's shape: plain strings, so that the format is readable and stable.
    internal sealed record Stored(string Mode, string? Interface, string[] VirtualAddress, StoredStep[] Steps, string? PersistPath, PersistedSysctl[]? Persisted)
    {
        /// <summary>The namespace's SO_NETNS_COOKIE when the record was written.</summary>
        public ulong? Cookie { get; init; }

        public static Stored From(RealServerRoleRecord r) => new(r.Mode.ToString(), r.Interface,
            r.VirtualAddress.Select(a => a.ToString()).ToArray(),
            r.Steps.Select(s => new StoredStep(s.Kind.ToString(), s.Target, s.Value, s.Previous, s.Command, s.Reason,
                s.Address?.ToString(), s.InterfaceName, s.PrefixLength)).ToArray(), r.PersistPath, r.Persisted.ToArray());

        public RealServerRoleRecord ToRecord() => new()
        {
            Mode = Enum.Parse<RealServerMode>(Mode),
            Interface = Interface,
            VirtualAddress = VirtualAddress.Select(IPAddress.Parse).ToList(),
            Steps = Steps.Select(s => new RealServerRoleStep
            {
                Kind = Enum.Parse<RealServerRoleStepKind>(s.Kind), Target = s.Target, Value = s.Value, Previous = s.Previous,
                Command = s.Command, Reason = s.Reason, Address = s.Address is null ? null : IPAddress.Parse(s.Address),
                InterfaceName = s.InterfaceName, PrefixLength = s.PrefixLength,
            }).ToList(),
            PersistPath = PersistPath,
            Persisted = Persisted ?? [],
        };
    }

    internal sealed record StoredStep(string Kind, string Target, string Value, string? Previous, string Command, string Reason,
        string? Address, string? InterfaceName, int PrefixLength);
}
