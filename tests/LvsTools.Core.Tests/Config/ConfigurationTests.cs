using LvsTools.Core.Config;

namespace LvsTools.Core.Tests.Config;

/// <summary>Documents, ipvsadm rules and sync plans, without a kernel.</summary>
public class ConfigurationTests
{
    // As `ipvsadm -S -n` writes them (plus thresholds and tunnel options, which it drops).
    private static readonly string[] Rules =
    [
        "-A -t 10.0.0.1:80 -s wrr -p 600 -M 255.255.255.0",
        "-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3 -x 100 -y 10",
        "-a -t 10.0.0.1:80 -r 10.0.1.12:8080 -m -w 0",
        "-A -u [2001:db8::1]:53 -s rr -o",
        "-a -u [2001:db8::1]:53 -r [2001:db8::11]:53 -m -w 1",
        "-A -f 7 -s sh -b sh-fallback,sh-port",
        "-a -f 7 -r 10.0.2.1:0 -g -w 1",
        "-A -u 10.0.0.2:5060 -s wlc -p 300 --pe sip",
        "-A --sctp-service 10.0.0.3:3868 -s lc",
        "-a --sctp-service 10.0.0.3:3868 -r 10.0.3.1:3868 -i -w 5 --tun-type gue --tun-port 6080 --tun-csum",
    ];

    [Fact]
    public void Rules_round_trip_through_a_document_in_canonical_order()
    {
        var doc = IpvsadmRules.Parse(Rules);
        Assert.Equal(5, doc.Services!.Count);
        Assert.Equal(5, doc.RealServerCount);
        var again = IpvsadmRules.Format(doc).ToList();
        Assert.Equal(Rules.Order(StringComparer.Ordinal), again.Order(StringComparer.Ordinal));
        // and the text of the rules written back parses to the same document
        Assert.Equal(doc.ToJson(), IpvsadmRules.Parse(again).ToJson());
    }

    [Fact]
    public void Document_keeps_what_ipvsadm_save_drops()
    {
        var doc = IpvsadmRules.Parse(Rules);
        var http = doc.Services!.Single(s => s.Port == 80);
        Assert.Equal("wrr", http.Scheduler);
        Assert.Equal(600, http.Persistence!.Timeout);
        Assert.Equal("255.255.255.0", http.Persistence.Netmask);
        var rs = http.RealServers!.Single(r => r.Address == "10.0.1.11");
        Assert.Equal((100u, 10u), (rs.UpperThreshold, rs.LowerThreshold));
        var sctp = doc.Services!.Single(s => s.Protocol == "sctp").RealServers!.Single();
        Assert.Equal("tunnel", sctp.Forwarding);
        Assert.Equal("gue", sctp.Tunnel!.Type);
        Assert.Equal(6080, sctp.Tunnel.Port);
        Assert.Equal("checksum", sctp.Tunnel.Checksum);
        Assert.Equal(["sh-fallback", "sh-port"], doc.Services!.Single(s => s.FirewallMark == 7).SchedulerFlags!);
        Assert.Equal("sip", doc.Services!.Single(s => s.Port == 5060).PersistenceEngine);
        Assert.True(doc.Services!.Single(s => s.Family == "ipv6").OnePacket);
    }

    [Fact]
    public void Json_round_trips_to_identical_text()
    {
        var json = IpvsadmRules.Parse(Rules).ToJson();
        Assert.Equal(json, LvsConfigurationDocument.FromJson(json).ToJson());
        Assert.Contains("\"schemaVersion\": 1", json);
        Assert.DoesNotContain("\r", json);
    }

    [Fact]
    public void Json_streamed_to_a_file_is_the_text_byte_for_byte()
    {
        var doc = IpvsadmRules.Parse(Rules);
        using var stream = new MemoryStream();
        doc.WriteJson(stream);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(doc.ToJson()), stream.ToArray());
    }

    [Theory]
    [InlineData("{ not json", "InvalidConfigurationDocument")]
    [InlineData("{\"schemaVersion\": 99}", "UnsupportedConfigurationVersion")]
    [InlineData("null", "InvalidConfigurationDocument")]
    [InlineData("{\"services\": []}", "InvalidConfigurationDocument")]                                  // no schemaVersion
    [InlineData("{\"schemaVersion\": 1, \"services\": [{\"address\": \"10.0.0.1\", \"port\": 80, \"protocol\": \"tcp\", \"wieght\": 5}]}", "InvalidConfigurationDocument")]
    public void Bad_documents_are_invalid_arguments(string json, string id)
    {
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(json));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData("-A -t 10.0.0.1:80 -s wrr --frobnicate", 1, "--frobnicate")]
    [InlineData("-A -t www.example.com:80", 1, "numeric")]
    [InlineData("-a -t 10.0.0.9:80 -r 10.0.1.1", 1, "no -A line")]
    [InlineData("# saved\n-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80", 3, "added twice")]
    [InlineData("-A -t 10.0.0.1:80 -s bogus", 1, "scheduler")]
    public void Bad_rules_name_their_line(string text, int line, string says)
    {
        var e = Assert.Throws<LvsException>(() => IpvsadmRules.Parse(text.Split('\n')));
        Assert.Equal("InvalidIpvsadmRule", e.ErrorId);
        Assert.Contains($"Line {line} ", e.Message);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void Rules_apply_edits_deletes_and_clear_in_order()
    {
        var doc = IpvsadmRules.Parse([
            "-A -t 10.0.0.1:80 -s rr", "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g", "-e -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 9",
            "-E -t 10.0.0.1:80 -s wlc", "-A -t 10.0.0.2:80", "-D -t 10.0.0.2:80",
            "-A -t 10.0.0.3:80", "-C", "-A -t 10.0.0.4:443 -s sed", "-a -t 10.0.0.4:443 -r 10.0.1.4 -m",
        ]);
        var s = Assert.Single(doc.Services!);
        Assert.Equal(("10.0.0.4", 443, "sed"), (s.Address, s.Port, s.Scheduler));
        var r = Assert.Single(s.RealServers!);
        Assert.Equal((443, "masquerade"), (r.Port, r.Forwarding)); // port defaults to the service's, as ipvsadm
    }

    private static LvsConfigurationDocument Doc(params string[] rules) => IpvsadmRules.Parse(rules);

    [Fact]
    public void Identical_documents_plan_nothing()
    {
        var plan = LvsConfigurationSync.Plan(Doc(Rules), Doc(Rules), prune: true);
        Assert.Empty(plan);
    }

    [Fact]
    public void Sync_plans_exactly_the_differences_in_a_sendable_order()
    {
        var current = Doc("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1", "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 1",
            "-A -t 10.0.0.9:80 -s rr");
        var desired = Doc("-A -t 10.0.0.1:80 -s wrr", "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 3", "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -g -w 1",
            "-A -u 10.0.0.1:53 -s rr", "-a -u 10.0.0.1:53 -r 10.0.1.1:53 -m");
        var plan = LvsConfigurationSync.Plan(current, desired, prune: true);
        Assert.Equal([
            "Delete RealServer ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.2:80",
            "Delete Service ipvsadm -D -t 10.0.0.9:80",
            "Update Service ipvsadm -E -t 10.0.0.1:80 -s wrr",
            "Create Service ipvsadm -A -u 10.0.0.1:53 -s rr",
            "Update RealServer ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 3",
            "Create RealServer ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:80 -g -w 1",
            "Create RealServer ipvsadm -a -u 10.0.0.1:53 -r 10.0.1.1:53 -m -w 1",
        ], plan.Select(s => $"{s.Action} {s.Object} {s.Operation}"));
        Assert.Equal("scheduler wlc -> wrr", plan.Single(s => s.Action == LvsPlanAction.Update && s.Object == LvsPlanObject.Service).Changes);
        Assert.Equal("weight 1 -> 3", plan.Single(s => s.Action == LvsPlanAction.Update && s.Object == LvsPlanObject.RealServer).Changes);
        Assert.All(plan, s => Assert.Equal(LvsPlanStatus.Planned, s.Status));
    }

    [Fact]
    public void Import_never_deletes()
    {
        var current = Doc("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g", "-A -t 10.0.0.9:80");
        var desired = Doc("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g");
        var plan = LvsConfigurationSync.Plan(current, desired, prune: false);
        var step = Assert.Single(plan);
        Assert.Equal(LvsPlanAction.Create, step.Action);
    }

    [Fact]
    public void Timeouts_and_daemons_are_planned_when_they_differ()
    {
        var current = new LvsConfigurationDocument
        {
            Timeouts = new LvsTimeoutsEntry { Tcp = 900, TcpFin = 120, Udp = 300 },
            SyncDaemons = [new LvsSyncDaemonEntry { State = "master", MulticastInterface = "eth0", SyncId = 1 }],
        };
        var desired = new LvsConfigurationDocument
        {
            Timeouts = new LvsTimeoutsEntry { Tcp = 600, TcpFin = 120, Udp = 300 },
            SyncDaemons = [new LvsSyncDaemonEntry { State = "master", MulticastInterface = "eth0", SyncId = 2 }],
        };
        var plan = LvsConfigurationSync.Plan(current, desired, prune: true);
        Assert.Equal(["ipvsadm --stop-daemon master", "ipvsadm --set 600 120 300", "ipvsadm --start-daemon master --mcast-interface eth0 --syncid 2"],
            plan.Select(s => s.Operation));
    }

    [Fact]
    public void Rules_leave_daemons_and_timeouts_alone()
    {
        var current = Doc("-A -t 10.0.0.1:80");
        current.SyncDaemons = [new LvsSyncDaemonEntry { State = "backup", MulticastInterface = "eth0", SyncId = 3 }];
        current.Timeouts = new LvsTimeoutsEntry { Tcp = 900, TcpFin = 120, Udp = 300 };
        var fromRules = Doc("-A -t 10.0.0.1:80");
        Assert.Null(fromRules.SyncDaemons);
        Assert.Null(fromRules.Timeouts);
        Assert.Empty(LvsConfigurationSync.Plan(current, fromRules, prune: true));
        Assert.DoesNotContain("syncDaemons", fromRules.ToJson());
    }

    [Fact]
    public void A_bad_value_stops_the_plan_before_anything_is_sent_and_names_the_step()
    {
        var doc = Doc("-A -t 10.0.0.1:80");
        doc.Services![0].RealServers!.Add(new LvsRealServerEntry { Address = "2001:db8::5", Port = 80, Forwarding = "masquerade" });
        var e = Assert.Throws<LvsException>(() => LvsConfigurationSync.Plan(new LvsConfigurationDocument(), doc, prune: true));
        Assert.Equal("InvalidRealServerFamily", e.ErrorId);
        Assert.Contains("10.0.0.1:80 -> [2001:db8::5]:80", e.Message);
    }

    [Fact]
    public void Duplicates_in_a_document_are_rejected()
    {
        var doc = Doc("-A -t 10.0.0.1:80");
        doc.Services!.Add(doc.Services[0]);
        Assert.Equal("DuplicateService", Assert.Throws<LvsException>(() => LvsConfigurationSync.Plan(new LvsConfigurationDocument(), doc, true)).ErrorId);
    }
}
