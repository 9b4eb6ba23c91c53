using LvsTools.Core.Config;
using LvsTools.Core.Keepalived;

namespace LvsTools.Core.Tests.Keepalived;

/// <summary>
/// keepalived.conf to and from documents without keepalived: round trips of every table option and every check type,
/// keepalived's defaults and port rules, groups, includes, and every error with its file and line. (That keepalived itself
/// reads the output the same way is the Kernel-tagged Pester test's part, and `keepalived -t` the host Pester test's.)
/// </summary>
public class KeepalivedConfigTests
{
    // Every table option: persistence with a mask, thresholds, IPv6, one-packet, sh flags, a fwmark, sip, sctp with a gue tunnel.
    private static readonly string[] Rules =
    [
        "-A -t 10.0.0.1:80 -s wrr -p 600 -M 255.255.255.0",
        "-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3 -x 100 -y 10",
        "-a -t 10.0.0.1:80 -r 10.0.1.12:8080 -m -w 0",
        "-A -u [2001:db8::1]:53 -s rr -o",
        "-a -u [2001:db8::1]:53 -r [2001:db8::11]:53 -m -w 1",
        "-A -f 7 -s sh -b sh-fallback,sh-port",
        "-a -f 7 -r 10.0.2.1:0 -g -w 1",
        "-A -f 8 -6 -s mh -p 30 -M 64 -b mh-port",
        "-a -f 8 -6 -r [2001:db8::21]:0 -i -w 2 --tun-type gre --tun-csum",
        "-A -u 10.0.0.2:5060 -s wlc -p 300 --pe sip",
        "-A --sctp-service 10.0.0.3:3868 -s lc",
        "-a --sctp-service 10.0.0.3:3868 -r 10.0.3.1:3868 -i -w 5 --tun-type gue --tun-port 6080 --tun-csum",
        "-a --sctp-service 10.0.0.3:3868 -r 10.0.3.2:3868 -g -w 2",
    ];

    private static KeepalivedReadResult Read(string text) => KeepalivedConfig.ReadText(text, "k.conf", Path.GetTempPath());

    private static string Text(LvsConfigurationDocument doc) => string.Join("\n", KeepalivedConfig.Write(doc).Lines);

    [Fact]
    public void Every_table_option_round_trips_through_keepalived_conf()
    {
        var result = KeepalivedConfig.Write(IpvsadmRules.Parse(Rules));
        Assert.Empty(result.Notes);
        var back = Read(string.Join("\n", result.Lines));
        Assert.Empty(back.Notes);
        Assert.Equal(1, back.Document.SchemaVersion);
        Assert.Equal(Rules.Order(StringComparer.Ordinal), IpvsadmRules.Format(back.Document).Order(StringComparer.Ordinal));
        Assert.Contains("    lvs_method TUN type gue port 6080 csum", result.Lines);
        Assert.Contains("        lvs_method DR", result.Lines);
        Assert.Contains("    ip_family inet6", result.Lines);
        Assert.Contains("    persistence_granularity 64", result.Lines);
        Assert.Contains("        uthreshold 100", result.Lines);
    }

    private const string Checked = """
        {"schemaVersion": 2, "services": [
          {"protocol": "tcp", "address": "10.0.0.1", "port": 80, "scheduler": "wrr", "onFailure": "inhibit", "quorum": 3, "hysteresis": 1,
           "alpha": true, "sorryServer": {"address": "10.0.9.9", "port": 80, "forwarding": "masquerade"},
           "healthCheck": {"type": "http", "path": "/health", "host": "www.example.org", "expectStatus": [200, 204], "expectBody": "ok",
                           "timeout": 1.5, "interval": 2, "rise": 1, "fall": 3},
           "realServers": [{"address": "10.0.1.1", "port": 80, "forwarding": "masquerade", "weight": 2},
                           {"address": "10.0.1.3", "port": 80, "forwarding": "masquerade", "weight": 5},
                           {"address": "10.0.1.2", "port": 80, "forwarding": "masquerade", "weight": 1,
                            "healthCheck": {"type": "https", "port": 443, "skipCertificateCheck": true, "path": "/", "expectStatus": [200],
                                            "timeout": 1, "interval": 1, "rise": 1, "fall": 1}}]},
          {"protocol": "udp", "address": "10.0.0.2", "port": 53, "scheduler": "rr", "onFailure": "remove",
           "realServers": [{"address": "10.0.2.1", "port": 53, "forwarding": "masquerade", "weight": 1,
                            "healthCheck": {"type": "dns", "query": "example.org", "queryType": "AAAA", "timeout": 1, "interval": 3, "rise": 1, "fall": 4}},
                           {"address": "10.0.2.2", "port": 53, "forwarding": "masquerade", "weight": 1,
                            "healthCheck": {"type": "command", "command": ["/usr/local/bin/check dns", "-q"], "timeout": 2, "interval": 5, "rise": 1, "fall": 1}},
                           {"address": "10.0.2.3", "port": 53, "forwarding": "masquerade", "weight": 1,
                            "healthCheck": {"type": "tcp", "port": 5353, "timeout": 3, "interval": 5, "rise": 1, "fall": 2}}]}]}
        """;

    [Fact]
    public void Health_checks_and_controller_settings_round_trip()
    {
        var doc = LvsConfigurationDocument.FromJson(Checked);
        var written = KeepalivedConfig.Write(doc);
        Assert.Empty(written.Notes);
        var text = string.Join("\n", written.Lines);
        Assert.Contains("misc_path \"'/usr/local/bin/check dns' -q 10.0.2.2 53\"", text);
        Assert.Contains("status_code 200 204", text);
        Assert.Contains("sorry_server 10.0.9.9 80", text);
        var back = Read(text);
        Assert.Equal(2, back.Document.SchemaVersion);
        Assert.Equal(LvsConfigurationDocument.FromJson(Checked).ToJson(), back.Document.ToJson().Replace(
            "\"generator\": \"LvsTools ConvertFrom-KeepalivedConfig\",\n  ", "", StringComparison.Ordinal));
    }

    [Fact]
    public void What_keepalived_cannot_express_is_a_note_and_a_comment_naming_the_option_and_the_service()
    {
        var doc = LvsConfigurationDocument.FromJson("""
            {"schemaVersion": 2, "sysctls": [{"name": "net.ipv4.vs.conntrack", "value": "1"}], "services": [
              {"protocol": "tcp", "address": "10.0.0.1", "port": 80, "drainTimeout": 30, "healthCheck": {"type": "tcp"},
               "realServers": [{"address": "10.0.1.1", "port": 80, "weight": 4, "maintenance": true},
                               {"address": "10.0.1.2", "port": 80, "healthCheck": {"type": "dns", "queryType": "PTR"}},
                               {"address": "10.0.1.3", "port": 80, "forwarding": "bypass"}]}]}
            """);
        var result = KeepalivedConfig.Write(doc);
        string[] expected = ["'sysctls'", "'drainTimeout'", "'maintenance'", "'healthCheck.rise 2'", "'healthCheck.queryType PTR'", "'forwarding bypass'"];
        foreach (var option in expected)
        {
            var note = Assert.Single(result.Notes, n => n.Message.Contains(option, StringComparison.Ordinal));
            Assert.Equal(KeepalivedNoteKind.CannotExpress, note.Kind);
            Assert.Contains(result.Lines, l => l == "# LvsTools: " + note.Message);
            if (option != "'sysctls'") Assert.StartsWith("TCP 10.0.0.1:80", note.Message, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(result.Lines, l => l.Contains("10.0.1.3", StringComparison.Ordinal) && !l.StartsWith('#'));
        Assert.Contains("        weight 0", result.Lines);
    }

    [Fact]
    public void Keepalived_defaults_and_its_port_rules_apply()
    {
        var doc = Read("""
            virtual_server 10.0.0.1 80 {
                real_server 10.0.1.1 { weight 2 }
                real_server 10.0.1.2 8080 { lvs_method DR }
            }
            virtual_server fwmark 9 {
                lvs_method DR
                persistence_timeout
                real_server 10.0.1.3 80 {
                }
            }
            """).Document;
        Assert.Equal(
            ["-A -f 9 -s wlc -p 360", "-a -f 9 -r 10.0.1.3:0 -g -w 1", "-A -u 10.0.0.1:80 -s wlc",
             "-a -u 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2", "-a -u 10.0.0.1:80 -r 10.0.1.2:80 -g -w 1"],
            IpvsadmRules.Format(doc).ToArray());
    }

    [Fact]
    public void A_group_expands_into_one_service_per_member()
    {
        var doc = Read("""
            virtual_server_group G {
                10.0.0.1-3 80
                10.0.1.250-10.0.2.1 81
                10.0.3.8/31 82
                2001:db8::fe-101 83
                fwmark 5 inet6
            }
            virtual_server group G {
                lvs_sched rr
                protocol TCP
                real_server 2001:db8:1::1 { lvs_method TUN }
            }
            """).Document;
        var keys = doc.Services!.Select(s => s.FirewallMark is { } m ? $"fwm {m} {s.Family}" : $"{s.Address}:{s.Port}").ToList();
        Assert.Equal(["fwm 5 ipv6", "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.1.250:81", "10.0.1.251:81", "10.0.1.252:81",
            "10.0.1.253:81", "10.0.1.254:81", "10.0.1.255:81", "10.0.2.0:81", "10.0.2.1:81", "10.0.3.8:82", "10.0.3.9:82",
            "2001:db8::fe:83", "2001:db8::ff:83", "2001:db8::100:83", "2001:db8::101:83"], keys);
        Assert.All(doc.Services!, s => Assert.Equal(s.FirewallMark is null ? s.Port : 0, Assert.Single(s.RealServers!).Port));
    }

    [Fact]
    public void Comments_quotes_skipped_blocks_and_dropped_options_are_reported()
    {
        var r = Read("""
            ! a comment
            global_defs { router_id "a # b" }   # skipped
            vrrp_instance VI { state MASTER
              virtual_ipaddress { 10.0.0.1 } }
            virtual_server 10.0.0.1 80 {   ! comment after a brace
                protocol "TCP"
                smtp_alert
                real_server 10.0.1.1 80 { notify_up "/bin/echo up"
                    TCP_CHECK { connect_timeout 2 }
                    SMTP_CHECK { }
                }
            }
            """);
        Assert.Equal("tcp", Assert.Single(r.Document.Services!).Protocol);
        Assert.Contains(r.Notes, n => n.Kind == KeepalivedNoteKind.Skipped && n.Message.StartsWith("k.conf:2: 'global_defs'", StringComparison.Ordinal));
        Assert.Contains(r.Notes, n => n.Kind == KeepalivedNoteKind.Skipped && n.Message.StartsWith("k.conf:3: 'vrrp_instance'", StringComparison.Ordinal));
        Assert.Contains(r.Notes, n => n.Kind == KeepalivedNoteKind.Skipped && n.Message.StartsWith("k.conf:7:", StringComparison.Ordinal));
        Assert.Contains(r.Notes, n => n.Kind == KeepalivedNoteKind.CannotExpress && n.Message.StartsWith("k.conf:8:", StringComparison.Ordinal) && n.Message.Contains("'notify_up'"));
        Assert.Contains(r.Notes, n => n.Kind == KeepalivedNoteKind.CannotExpress && n.Message.StartsWith("k.conf:10:", StringComparison.Ordinal) && n.Message.Contains("'SMTP_CHECK'"));
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        { "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lb_algo rr\n  bogus 1\n}", "KeepalivedUnknownKeyword", "k.conf:4:" },
        { "virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    TCP_CHECK {\n      connect_porrt 80\n    }\n  }\n}", "KeepalivedUnknownKeyword", "k.conf:4:" },
        { "frobnicate {\n}", "KeepalivedUnknownKeyword", "k.conf:1:" },
        { "virtual_server 10.0.0.1 80 {\n  protocol TCP\n", "KeepalivedSyntaxError", "k.conf:1:" },
        { "virtual_server 10.0.0.1 80 {\n}\n}", "KeepalivedSyntaxError", "k.conf:3:" },
        { "virtual_server 10.0.0.1 80 {\n  persistence_engine \"sip\n}", "KeepalivedSyntaxError", "k.conf:2:" },
        { "virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    weight -1\n  }\n}", "KeepalivedValueOutOfRange", "k.conf:3:" },
        { "virtual_server 10.0.0.1 70000 {\n}", "KeepalivedValueOutOfRange", "k.conf:1:" },
        { "virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    TCP_CHECK {\n      connect_timeout 0\n    }\n  }\n}", "KeepalivedValueOutOfRange", "k.conf:4:" },
        { "virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    weight many\n  }\n}", "KeepalivedInvalidValue", "k.conf:3:" },
        { "virtual_server 10.0.0.300 80 {\n}", "KeepalivedInvalidValue", "k.conf:1:" },
        { "virtual_server 10.0.0.1 80 {\n  lvs_method TUN type gue\n}", "KeepalivedInvalidValue", "k.conf:2:" },
        { "virtual_server 10.0.0.1 80 {\n  protocol ICMP\n}", "KeepalivedInvalidValue", "k.conf:2:" },
        { "virtual_server 10.0.0.1 80 {\n  lvs_sched rr\n  sh-port\n}", "KeepalivedInvalidValue", "k.conf:1:" },
        { "virtual_server group NOPE {\n}", "KeepalivedUnknownGroup", "k.conf:1:" },
        { "virtual_server 10.0.0.1 80 {\n}\nvirtual_server 10.0.0.1 80 {\n}", "KeepalivedDuplicateService", "k.conf:3:" },
        { "virtual_server_group G {\n  10.0.0.0/8 80\n}", "KeepalivedValueOutOfRange", "k.conf:2:" },
        { "virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    HTTP_GET {\n      connect_timeout 1\n    }\n  }\n}", "KeepalivedInvalidValue", "k.conf:3:" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void What_cannot_be_read_is_an_error_naming_the_file_and_line(string text, string id, string where)
    {
        var e = Assert.Throws<LvsException>(() => Read(text));
        Assert.Equal(id, e.ErrorId);
        Assert.StartsWith(where, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Includes_read_globs_relative_to_the_including_file_and_stop_at_a_loop()
    {
        var dir = Directory.CreateTempSubdirectory("lvst-kad-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "conf.d"));
            File.WriteAllText(Path.Combine(dir.FullName, "main.conf"), "include conf.d/*.conf\ninclude none/*.conf\n");
            File.WriteAllText(Path.Combine(dir.FullName, "conf.d", "b.conf"), "virtual_server 10.0.0.2 80 {\n protocol TCP\n}\n");
            File.WriteAllText(Path.Combine(dir.FullName, "conf.d", "a.conf"), "virtual_server 10.0.0.1 80 {\n protocol TCP\n include ../rs.inc\n}\n");
            File.WriteAllText(Path.Combine(dir.FullName, "rs.inc"), "real_server 10.0.1.1 80 {\n}\n");
            var r = KeepalivedConfig.Read(Path.Combine(dir.FullName, "main.conf"));
            Assert.Equal(["10.0.0.1", "10.0.0.2"], r.Document.Services!.Select(s => s.Address!));
            Assert.Single(r.Document.Services![0].RealServers!);
            Assert.Contains(r.Notes, n => n.Message.Contains("main.conf:2: include 'none/*.conf' matches no file", StringComparison.Ordinal));

            File.WriteAllText(Path.Combine(dir.FullName, "rs.inc"), "include conf.d/a.conf\n");
            var loop = Assert.Throws<LvsException>(() => KeepalivedConfig.Read(Path.Combine(dir.FullName, "conf.d", "a.conf")));
            Assert.Equal("KeepalivedIncludeLoop", loop.ErrorId);
            Assert.StartsWith(Path.Combine(dir.FullName, "rs.inc") + ":1:", loop.Message, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(dir.FullName, "main.conf"), "\ninclude missing.conf\n");
            var missing = Assert.Throws<LvsException>(() => KeepalivedConfig.Read(Path.Combine(dir.FullName, "main.conf")));
            Assert.Equal("KeepalivedIncludeNotFound", missing.ErrorId);
            Assert.StartsWith(Path.Combine(dir.FullName, "main.conf") + ":2:", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(0, 100, "BACKUP")]
    [InlineData(256, 100, "BACKUP")]
    [InlineData(51, 0, "BACKUP")]
    [InlineData(51, 255, "BACKUP")]
    [InlineData(51, 100, "LEADER")]
    public void A_vrrp_option_out_of_range_is_refused(int id, int priority, string state)
    {
        var e = Assert.Throws<LvsException>(() => KeepalivedConfig.Write(IpvsadmRules.Parse(Rules),
            new KeepalivedVrrpOptions { Interface = "eth0", VirtualRouterId = id, Priority = priority, State = state }));
        Assert.Equal("InvalidVrrpOption", e.ErrorId);
    }

    [Fact]
    public void The_vrrp_instance_holds_the_service_addresses()
    {
        var lines = KeepalivedConfig.Write(IpvsadmRules.Parse(Rules),
            new KeepalivedVrrpOptions { Interface = "eth1", VirtualRouterId = 7, Priority = 150, State = "MASTER" }).Lines;
        var text = string.Join("\n", lines);
        Assert.Contains("vrrp_instance LVSTOOLS_7 {\n    state MASTER\n    interface eth1\n    virtual_router_id 7\n    priority 150", text);
        Assert.Contains("    virtual_ipaddress {\n        10.0.0.3/32\n        10.0.0.1/32\n        10.0.0.2/32\n    }", text);
        Assert.Contains("    virtual_ipaddress_excluded {\n        2001:db8::1/128\n    }", text);
        Assert.Equal(Rules.Order(StringComparer.Ordinal), IpvsadmRules.Format(Read(text).Document).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Timeouts_round_trip_as_lvs_timeouts_in_global_defs()
    {
        var doc = IpvsadmRules.Parse(Rules);
        doc.Timeouts = new LvsTimeoutsEntry { Tcp = 900, TcpFin = 120, Udp = 300 };
        var lines = KeepalivedConfig.Write(doc).Lines;
        Assert.Contains("    lvs_timeouts tcp 900 tcpfin 120 udp 300", lines);
        var back = Read(string.Join("\n", lines));
        Assert.Equal((900, 120, 300), (back.Document.Timeouts!.Tcp, back.Document.Timeouts.TcpFin, back.Document.Timeouts.Udp));
        Assert.Contains(back.Notes, n => n.Kind == KeepalivedNoteKind.Skipped && n.Message.Contains("but for its lvs_timeouts", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"/a\\tb\"", "/a\tb")]
    [InlineData("\"/a\\qb\"", "/aqb")]
    [InlineData("\"/a\\x41\\101\\\\\\\"\"", "/aAA\\\"")]
    [InlineData("'/a\\n b'", "/a\\n b")]
    [InlineData("/a\"b c\"d", "/ab cd")]
    [InlineData("\"a\\nb\\015\"", "a\nb\r")]
    public void Quoted_strings_read_as_keepalived_reads_them_and_are_written_back_so(string written, string path)
    {
        var doc = Read($"virtual_server 10.0.0.1 80 {{\n protocol TCP\n real_server 10.0.1.1 80 {{\n HTTP_GET {{\n url {{\n path /\n regex {written}\n }}\n }}\n }}\n}}").Document;
        Assert.Equal(path, doc.Services![0].HealthCheck!.ExpectBody);
        var again = Read(Text(doc)).Document;
        Assert.Equal(path, again.Services![0].HealthCheck!.ExpectBody);
    }
}
