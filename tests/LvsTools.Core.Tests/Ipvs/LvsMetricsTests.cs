using System.Net;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// The Prometheus text of a small table, compared line by line with the expected exposition: node_exporter's ipvs
/// names with lvs_, its backend labels plus netns, HELP and TYPE once per metric, label values escaped.
/// </summary>
public class LvsMetricsTests
{
    private static readonly ServiceKey Tcp80 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly ServiceKey Fwm7 = ServiceKey.ForFirewallMark(7, IPFamily.IPv6);

    private static LvsMetricsTable Table(string netns) => new(
        netns,
        [
            new LvsService
            {
                Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80,
                Statistics = new IpvsStatistics { Connections = 12, InPackets = 100, OutPackets = 90, InBytes = 6000, OutBytes = 54000, ConnectionsPerSecond = 2, InBytesPerSecond = 300 },
            },
            new LvsService { FirewallMark = 7, AddressFamily = IPFamily.IPv6, Scheduler = "sh" },
        ],
        [
            new LvsRealServer
            {
                Service = Tcp80, Address = IPAddress.Parse("10.0.1.11"), Port = 8080, Weight = 3, ActiveConnections = 2, InactiveConnections = 1,
                Statistics = new IpvsStatistics { Connections = 7, InPackets = 60, OutPackets = 50, InBytes = 3600, OutBytes = 30000 },
            },
            new LvsRealServer { Service = Tcp80, Address = IPAddress.Parse("10.0.1.12"), Port = 8080, Weight = 0, PersistentConnections = 4 },
            new LvsRealServer { Service = Fwm7, Address = IPAddress.Parse("2001:db8::11"), Port = 0, Weight = 1 },
        ],
        new Dictionary<(ServiceKey, IPAddress, ushort), bool>
        {
            [(Tcp80, IPAddress.Parse("10.0.1.11"), 8080)] = true,
            [(Tcp80, IPAddress.Parse("10.0.1.12"), 8080)] = false,
        });

    [Fact]
    public void A_small_table_in_the_exposition_format()
    {
        string text = LvsMetrics.ToText([Table("lb")]);
        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "lvs-metrics.prom.txt"));
        Assert.Equal(expected, text);
    }

    [Fact]
    public void HELP_and_TYPE_come_once_per_metric_across_namespaces_and_label_values_are_escaped()
    {
        string odd = "b\"x\\y\nz"; // b"x\y<LF>z
        string text = LvsMetrics.ToText([Table("a"), Table(odd)]);
        var lines = text.Split('\n');
        Assert.Single(lines, l => l == "# TYPE lvs_backend_weight gauge");
        Assert.Single(lines, l => l.StartsWith("# HELP lvs_connections_total ", StringComparison.Ordinal));
        Assert.Equal(6, lines.Count(l => l.StartsWith("lvs_backend_weight{", StringComparison.Ordinal)));
        Assert.Contains("netns=\"b\\\"x\\\\y\\nz\"", text);
        Assert.DoesNotContain(lines, l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("lvs_", StringComparison.Ordinal));
    }

    [Fact]
    public void Health_is_written_only_for_the_servers_a_map_names_and_an_empty_table_writes_nothing()
    {
        var noHealth = Table("a") with { Health = null };
        Assert.DoesNotContain("lvs_backend_health", LvsMetrics.ToText([noHealth]));
        Assert.Equal("", LvsMetrics.ToText([new LvsMetricsTable(null, [], [])]));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_file_is_replaced_atomically_and_a_missing_folder_writes_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("lvsmetrics");
        try
        {
            var file = Path.Combine(dir.FullName, "lvs.prom");
            File.WriteAllText(file, "old");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            LvsMetrics.WriteFile(file, [Table("lb")]);
            Assert.Equal(LvsMetrics.ToText([Table("lb")]), File.ReadAllText(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(file));
            Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary file left beside it

            var missing = Path.Combine(dir.FullName, "nope", "lvs.prom");
            var e = Assert.Throws<LvsException>(() => LvsMetrics.WriteFile(missing, [Table("lb")]));
            Assert.Equal(("LvsMetricFolderNotFound", LvsErrorKind.NotFound), (e.ErrorId, e.Kind));
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "nope")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
