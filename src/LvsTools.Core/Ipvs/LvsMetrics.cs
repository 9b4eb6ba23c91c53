using System.Globalization;
using System.Net;
using System.Text;

namespace LvsTools;

/// <summary>
/// The IPVS table of one namespace, as <see cref="LvsMetrics"/> exports it: services and real servers as read
/// (with their statistics), and optionally the health of real servers (true: healthy).
/// </summary>
public sealed record LvsMetricsTable(
    string? NetNamespace,
    IReadOnlyList<LvsService> Services,
    IReadOnlyList<LvsRealServer> RealServers,
    IReadOnlyDictionary<(ServiceKey Service, IPAddress Address, ushort Port), bool>? Health = null);

/// <summary>
/// Writes IPVS tables in the Prometheus text exposition format (version 0.0.4), what node_exporter's textfile
/// collector reads. Names and units follow node_exporter's ipvs collector with "lvs_" for "node_ipvs_": per service
/// lvs_connections_total, lvs_incoming_packets_total, lvs_outgoing_bytes_total ...; per real server
/// lvs_backend_connections_active, lvs_backend_connections_inactive, lvs_backend_weight (with node_exporter's labels
/// local_address, local_port, remote_address, remote_port, proto, local_mark) and lvs_backend_... counters; the
/// kernel's 2-second rate estimates as ..._per_second gauges; lvs_backend_health (1 healthy, 0 not) for the servers a
/// health map names. Every series carries a netns label ("" for the current namespace). HELP and TYPE come once per
/// metric, before all its series, whatever the number of namespaces. Equivalent to: ipvsadm -Ln --stats --rate.
/// </summary>
public static class LvsMetrics
{
    private sealed record Metric(string Name, string Type, string Help, Func<IpvsStatistics, ulong> Value);

    private static readonly Metric[] Traffic =
    [
        new("connections_total", "counter", "The total number of connections made.", s => s.Connections),
        new("incoming_packets_total", "counter", "The total number of incoming packets.", s => s.InPackets),
        new("outgoing_packets_total", "counter", "The total number of outgoing packets.", s => s.OutPackets),
        new("incoming_bytes_total", "counter", "The total amount of incoming data, in bytes.", s => s.InBytes),
        new("outgoing_bytes_total", "counter", "The total amount of outgoing data, in bytes.", s => s.OutBytes),
        new("connections_per_second", "gauge", "The kernel's estimate of new connections per second.", s => s.ConnectionsPerSecond),
        new("incoming_packets_per_second", "gauge", "The kernel's estimate of incoming packets per second.", s => s.InPacketsPerSecond),
        new("outgoing_packets_per_second", "gauge", "The kernel's estimate of outgoing packets per second.", s => s.OutPacketsPerSecond),
        new("incoming_bytes_per_second", "gauge", "The kernel's estimate of incoming bytes per second.", s => s.InBytesPerSecond),
        new("outgoing_bytes_per_second", "gauge", "The kernel's estimate of outgoing bytes per second.", s => s.OutBytesPerSecond),
    ];

    /// <summary>Writes one namespace's table (see <see cref="Write(TextWriter, IEnumerable{LvsMetricsTable})"/>).</summary>
    /// <param name="writer">Where the text goes (lines end in "\n", as the format wants).</param>
    /// <param name="services">The services, as read (with statistics).</param>
    /// <param name="realServers">Their real servers, as read.</param>
    /// <param name="health">Health by real server (true: healthy); only the servers it names get lvs_backend_health.</param>
    /// <param name="netns">The netns label; null: each object's own NetNamespace ("" for the current namespace).</param>
    public static void Write(TextWriter writer, IEnumerable<LvsService> services, IEnumerable<LvsRealServer> realServers,
        IReadOnlyDictionary<(ServiceKey Service, IPAddress Address, ushort Port), bool>? health = null, string? netns = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(realServers);
        Write(writer, [new LvsMetricsTable(netns, services.ToList(), realServers.ToList(), health)]);
    }

    /// <summary>Writes the tables of several namespaces, metric by metric.</summary>
    public static void Write(TextWriter writer, IEnumerable<LvsMetricsTable> tables)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tables);
        var list = tables.ToList();
        var services = list.SelectMany(t => t.Services.Select(s => (Labels: ServiceLabels(s.Key, Netns(t, s.NetNamespace)), s))).ToList();
        var servers = list.SelectMany(t => t.RealServers.Select(r => (Labels: BackendLabels(r, Netns(t, r.NetNamespace)), r, t))).ToList();
        foreach (var m in Traffic)
            Family(writer, "lvs_" + m.Name, m.Type, "Per virtual service: " + m.Help, services.Select(x => (x.Labels, m.Value(x.s.Statistics))));
        Family(writer, "lvs_backend_connections_active", "gauge", "The current active connections by local and remote address.",
            servers.Select(x => (x.Labels, (ulong)x.r.ActiveConnections)));
        Family(writer, "lvs_backend_connections_inactive", "gauge", "The current inactive connections by local and remote address.",
            servers.Select(x => (x.Labels, (ulong)x.r.InactiveConnections)));
        Family(writer, "lvs_backend_connections_persistent", "gauge", "The persistence templates pointing at the backend.",
            servers.Select(x => (x.Labels, (ulong)x.r.PersistentConnections)));
        Family(writer, "lvs_backend_weight", "gauge", "The current backend weight by local and remote address.",
            servers.Select(x => (x.Labels, (ulong)Math.Max(0, x.r.Weight))));
        foreach (var m in Traffic)
            Family(writer, "lvs_backend_" + m.Name, m.Type, "Per backend: " + m.Help, servers.Select(x => (x.Labels, m.Value(x.r.Statistics))));
        Family(writer, "lvs_backend_health", "gauge", "The backend's health check result: 1 healthy, 0 failed.",
            servers.Where(x => x.t.Health?.ContainsKey(Key(x.r)) == true).Select(x => (x.Labels, x.t.Health![Key(x.r)] ? 1UL : 0UL)));
    }

    /// <summary>The text <see cref="Write(TextWriter, IEnumerable{LvsMetricsTable})"/> writes.</summary>
    public static string ToText(IEnumerable<LvsMetricsTable> tables)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(w, tables);
        return w.ToString();
    }

    /// <summary>
    /// Writes the text to <paramref name="path"/> atomically, as the textfile collector needs (it may read at any
    /// moment): into a temporary file in the same folder, flushed, then renamed over the target, which keeps its mode.
    /// Equivalent to: ... &gt; lvs.prom.tmp &amp;&amp; mv lvs.prom.tmp lvs.prom.
    /// </summary>
    /// <exception cref="LvsException">LvsMetricFolderNotFound (the folder does not exist; nothing is written),
    /// LvsMetricWriteFailed (the file cannot be written; the target is left as it was).</exception>
    public static void WriteFile(string path, IEnumerable<LvsMetricsTable> tables)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? "/";
        if (!Directory.Exists(dir))
            throw new LvsException(LvsErrorKind.NotFound, "LvsMetricFolderNotFound",
                $"Cannot write '{full}': its folder '{dir}' does not exist (create it first).", path);
        string text = ToText(tables);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(full) && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(tmp, File.GetUnixFileMode(full));
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception) { /* nothing was created, or it is not ours */ }
            bool denied = e is UnauthorizedAccessException;
            string why = denied ? $"permission denied (writing needs write permission on the folder '{dir}')" : e.Message.Replace(tmp, full, StringComparison.Ordinal).TrimEnd('.');
            throw new LvsException(denied ? LvsErrorKind.PermissionDenied : LvsErrorKind.OperationFailed, "LvsMetricWriteFailed",
                $"Cannot write '{full}': {why}.", path, e);
        }
    }

    private static (ServiceKey, IPAddress, ushort) Key(LvsRealServer r) => (r.Service, r.Address, r.Port);

    private static string Netns(LvsMetricsTable t, string? own) => t.NetNamespace ?? own ?? "";

    /// <summary>HELP and TYPE, then one line per series; nothing at all for a metric without series.</summary>
    private static void Family(TextWriter w, string name, string type, string help, IEnumerable<(string Labels, ulong Value)> series)
    {
        bool first = true;
        foreach (var (labels, value) in series)
        {
            if (first)
            {
                w.Write($"# HELP {name} {EscapeHelp(help)}\n# TYPE {name} {type}\n");
                first = false;
            }
            w.Write(name);
            w.Write('{');
            w.Write(labels);
            w.Write("} ");
            w.Write(value.ToString(CultureInfo.InvariantCulture));
            w.Write('\n');
        }
    }

    private static string ServiceLabels(ServiceKey key, string netns) => Labels(
        ("local_address", key.Address?.ToString() ?? ""), ("local_port", Port(key.Port)),
        ("proto", Proto(key)), ("local_mark", key.IsFirewallMark ? key.FirewallMark.ToString(CultureInfo.InvariantCulture) : ""),
        ("netns", netns));

    private static string BackendLabels(LvsRealServer r, string netns) => Labels(
        ("local_address", r.Service.Address?.ToString() ?? ""), ("local_port", Port(r.Service.Port)),
        ("remote_address", r.Address.ToString()), ("remote_port", Port(r.Port)),
        ("proto", Proto(r.Service)), ("local_mark", r.Service.IsFirewallMark ? r.Service.FirewallMark.ToString(CultureInfo.InvariantCulture) : ""),
        ("netns", netns));

    private static string Port(ushort p) => p.ToString(CultureInfo.InvariantCulture);

    /// <summary>As /proc/net/ip_vs (and so node_exporter) names it: TCP, UDP, SCTP, or FWM for a firewall-mark service.</summary>
    private static string Proto(ServiceKey key) => key.IsFirewallMark ? "FWM" : key.Protocol?.ToString().ToUpperInvariant() ?? "";

    private static string Labels(params (string Name, string Value)[] labels)
    {
        var b = new StringBuilder();
        foreach (var (name, value) in labels)
        {
            if (b.Length > 0)
                b.Append(',');
            b.Append(name).Append("=\"").Append(EscapeLabel(value)).Append('"');
        }
        return b.ToString();
    }

    /// <summary>A label value as the format wants it: backslash, double quote and line feed escaped.</summary>
    public static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>A HELP text as the format wants it: backslash and line feed escaped.</summary>
    private static string EscapeHelp(string value) => value.Replace("\\", "\\\\").Replace("\n", "\\n");
}
