using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Tests.Config;

/// <summary>
/// The document's schemaVersion 2 (issue 9): health checks, onFailure, quorum, hysteresis, alpha, sorryServer,
/// drainTimeout, maintenance. Each bad value is refused whole with a stable id, its JSON path and the value; version 1
/// reads as before and may not use a version 2 member; Import and Sync apply the document as a static table.
/// </summary>
public class DocumentSchemaV2Tests
{
    private const string Svc = "\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80";
    private const string Reals = "\"realServers\": [{\"address\": \"10.0.1.1\", \"port\": 80}, {\"address\": \"10.0.1.2\", \"port\": 80}]";

    private static string Doc(int version, string service) => $"{{\"schemaVersion\": {version}, \"services\": [{{{Svc}, {Reals}, {service}}}]}}";

    private static string Doc2(string service) => Doc(2, service);

    private static string Check(string members) => Doc2($"\"healthCheck\": {{{members}}}");

    private const string Hc = "$.services[0].healthCheck";

    // Document text, expected id, expected path (message and target), the value as the message shows it.
    public static TheoryData<string, string, string, string> BadDocuments => new()
    {
        { Check("\"rise\": 0"), "InvalidHealthCheck", Hc + ".rise", ": 0 is out of range" },
        { Check("\"rise\": -2"), "InvalidHealthCheck", Hc + ".rise", ": -2 is" },
        { Check("\"fall\": 0"), "InvalidHealthCheck", Hc + ".fall", ": 0 is" },
        { Check("\"fall\": -1"), "InvalidHealthCheck", Hc + ".fall", ": -1 is" },
        { Check("\"timeout\": 0"), "InvalidHealthCheck", Hc + ".timeout", ": 0 is out of range" },
        { Check("\"timeout\": -1.5"), "InvalidHealthCheck", Hc + ".timeout", ": -1.5 is" },
        { Check("\"timeout\": 100000"), "InvalidHealthCheck", Hc + ".timeout", ": 100000 is out of range: more than 0, at most 86400 seconds" },
        { Check("\"timeout\": 1, \"interval\": 86401"), "InvalidHealthCheck", Hc + ".interval", ": 86401 is out of range" },
        { Check("\"interval\": 0"), "InvalidHealthCheck", Hc + ".interval", ": 0 is out of range" },
        { Check("\"timeout\": 2, \"interval\": 1"), "InvalidHealthCheck", Hc + ".interval", ": 1 is below the timeout (2 s)" },
        { Check("\"interval\": 1"), "InvalidHealthCheck", Hc + ".interval", ": 1 is below the timeout (3 s, the default)" },
        { Check("\"timeout\": 10"), "InvalidHealthCheck", Hc + ".timeout", ": 10 is above the default interval (5 s)" },
        { Check("\"port\": 0"), "InvalidHealthCheck", Hc + ".port", ": 0 is out of range: 1 to 65535" },
        { Check("\"port\": 70000"), "InvalidHealthCheck", Hc + ".port", ": 70000 is" },
        { Check("\"type\": \"icmp\""), "InvalidHealthCheck", Hc + ".type", ": 'icmp' is not a check type" },
        { Check("\"type\": \"\""), "InvalidHealthCheck", Hc + ".type", ": '' is not a check type" },
        { Check("\"type\": \"http\", \"expectStatus\": [200, 99]"), "InvalidHealthCheck", Hc + ".expectStatus[1]", ": 99 is not an HTTP status" },
        { Check("\"type\": \"http\", \"expectStatus\": [600]"), "InvalidHealthCheck", Hc + ".expectStatus[0]", ": 600 is" },
        { Check("\"type\": \"http\", \"expectStatus\": []"), "InvalidHealthCheck", Hc + ".expectStatus", ": '[]' is empty" },
        { Check("\"type\": \"https\", \"expectBody\": \"ok(\""), "InvalidHealthCheck", Hc + ".expectBody", ": 'ok(' is not a valid regular expression" },
        { Check("\"type\": \"http\", \"path\": \"health\""), "InvalidHealthCheck", Hc + ".path", ": 'health' is not a request path" },
        { Check("\"type\": \"http\", \"path\": \"/a b\""), "InvalidHealthCheck", Hc + ".path", ": '/a b' is not a request path" },
        { Check("\"type\": \"http\", \"host\": \"\""), "InvalidHealthCheck", Hc + ".host", ": '' is not a host name" },
        { Check("\"type\": \"command\""), "InvalidHealthCheck", Hc + ".command", ": null is missing or empty" },
        { Check("\"type\": \"command\", \"command\": []"), "InvalidHealthCheck", Hc + ".command", ": '[]' is missing or empty" },
        { Check("\"type\": \"command\", \"command\": [\" \", \"-x\"]"), "InvalidHealthCheck", Hc + ".command[0]", ": ' ' is not a program" },
        { Check("\"type\": \"tcp\", \"command\": [\"/bin/true\"]"), "InvalidHealthCheck", Hc + ".command", ": '[...]' is given for a tcp check: it applies only to type command" },
        { Check("\"type\": \"http\", \"skipCertificateCheck\": true"), "InvalidHealthCheck", Hc + ".skipCertificateCheck", ": true is given for a http check: it applies only to https" },
        { Check("\"skipCertificateCheck\": false"), "InvalidHealthCheck", Hc + ".skipCertificateCheck", ": false is given for a tcp check" },
        { Check("\"type\": \"tcp\", \"query\": \"example.org\""), "InvalidHealthCheck", Hc + ".query", ": 'example.org' is given for a tcp check: it applies only to dns" },
        { Check("\"type\": \"http\", \"queryType\": \"A\""), "InvalidHealthCheck", Hc + ".queryType", ": 'A' is given for a http check" },
        { Check("\"type\": \"dns\", \"queryType\": \"ANY\""), "InvalidHealthCheck", Hc + ".queryType", ": 'ANY' is not a record type" },
        { Check("\"type\": \"dns\", \"query\": \"\""), "InvalidHealthCheck", Hc + ".query", ": '' is not a DNS name" },
        { Check("\"type\": \"tcp\", \"path\": \"/health\""), "InvalidHealthCheck", Hc + ".path", ": '/health' is given for a tcp check: it applies only to http and https" },
        { Check("\"type\": \"dns\", \"expectStatus\": [200]"), "InvalidHealthCheck", Hc + ".expectStatus", ": '[...]' is given for a dns check" },
        { Check("\"type\": \"none\", \"expectBody\": \"ok\""), "InvalidHealthCheck", Hc + ".expectBody", ": 'ok' is given for a none check" },
        // A real server's own check is checked the same way, under its own path.
        { Doc2("\"onFailure\": \"inhibit\"").Replace("\"port\": 80}]", "\"port\": 80, \"healthCheck\": {\"rise\": 0}}]"),
            "InvalidHealthCheck", "$.services[0].realServers[1].healthCheck.rise", ": 0 is" },
        { Doc2("\"onFailure\": \"drop\""), "InvalidOnFailure", "$.services[0].onFailure", ": 'drop' is not inhibit or remove" },
        { Doc2("\"onFailure\": \"\""), "InvalidOnFailure", "$.services[0].onFailure", ": '' is not" },
        { Doc2("\"quorum\": -1"), "InvalidQuorum", "$.services[0].quorum", ": -1 is out of range" },
        { Doc2("\"quorum\": 2, \"hysteresis\": 3"), "InvalidHysteresis", "$.services[0].hysteresis", ": 3 is above the quorum (2)" },
        { Doc2("\"hysteresis\": 2"), "InvalidHysteresis", "$.services[0].hysteresis", ": 2 is above the quorum (1, the default)" },
        { Doc2("\"hysteresis\": -1"), "InvalidHysteresis", "$.services[0].hysteresis", ": -1 is out of range" },
        { Doc2("\"drainTimeout\": 0"), "InvalidDrainTimeout", "$.services[0].drainTimeout", ": 0 is out of range" },
        { Doc2("\"drainTimeout\": -30"), "InvalidDrainTimeout", "$.services[0].drainTimeout", ": -30 is" },
        { Doc2("\"drainTimeout\": 1e12"), "InvalidDrainTimeout", "$.services[0].drainTimeout", ": 1000000000000 is" },
        { Doc2("\"sorryServer\": {\"address\": \"10.0.1.2\", \"port\": 80}"), "InvalidSorryServer", "$.services[0].sorryServer", ": '10.0.1.2 port 80' is also real server $.services[0].realServers[1]" },
        { Doc2("\"sorryServer\": {\"address\": \"10.0.1.9\", \"port\": 80, \"forwarding\": \"local\"}"), "InvalidForwardingMethod", "$.services[0].sorryServer.forwarding", ": 'local' is not" },
        { Doc2("\"sorryServer\": {\"address\": \"10.0.1.9\", \"port\": 80, \"forwarding\": \"teleport\"}"), "InvalidForwardingMethod", "$.services[0].sorryServer.forwarding", ": 'teleport' is not" },
        { Doc2("\"sorryServer\": {\"address\": \"nope\", \"port\": 80}"), "InvalidIPAddress", "$.services[0].sorryServer.address", "'nope'" },
        { Doc2("\"sorryServer\": {\"address\": \"10.0.1.9\", \"port\": 70000}"), "InvalidPort", "$.services[0].sorryServer.port", ": 70000 is out of range" },
        { Doc2("\"sorryServer\": {\"address\": \"2001:db8::9\", \"port\": 80, \"forwarding\": \"masquerade\"}"), "InvalidRealServerFamily", "$.services[0].sorryServer.address", "2001:db8::9" },
        // An unknown member of a new object is refused like any other (a misspelt member must not become a default).
        { Check("\"intervall\": 5"), "InvalidConfigurationDocument", Hc + ".intervall", "intervall" },
        { Doc2("\"sorryServer\": {\"address\": \"10.0.1.9\", \"port\": 80, \"weight\": 1}"), "InvalidConfigurationDocument", "$.services[0].sorryServer.weight", "weight" },
        { Check("\"type\": null"), "InvalidConfigurationDocument", Hc + ".type", "null" },
        { Check("\"type\": \"command\", \"command\": [\"/bin/true\", null]"), "InvalidConfigurationDocument", Hc + ".command[1]", "null" },
        { Check("\"rise\": 1.5"), "InvalidConfigurationDocument", Hc + ".rise", "1.5" },
        { Doc2("\"alpha\": \"yes\""), "InvalidConfigurationDocument", "$.services[0].alpha", "'yes'" },
        // A version 1 document may not use a version 2 member: the error names the member and the version to use.
        { Doc(1, "\"healthCheck\": {\"type\": \"tcp\"}"), "ConfigurationVersionTooLow", "$.services[0].healthCheck", ": '{...}' is a schemaVersion 2 member: set \"schemaVersion\": 2" },
        { Doc(1, "\"drainTimeout\": 30"), "ConfigurationVersionTooLow", "$.services[0].drainTimeout", ": 30 is a schemaVersion 2 member" },
        { Doc(1, "\"alpha\": false"), "ConfigurationVersionTooLow", "$.services[0].alpha", ": false is a schemaVersion 2 member" },
        { Doc(1, "\"onFailure\": \"remove\""), "ConfigurationVersionTooLow", "$.services[0].onFailure", ": 'remove' is" },
        { Doc(1, "\"quorum\": 1"), "ConfigurationVersionTooLow", "$.services[0].quorum", ": 1 is" },
        { Doc(1, "\"hysteresis\": 0"), "ConfigurationVersionTooLow", "$.services[0].hysteresis", ": 0 is" },
        { Doc(1, "\"sorryServer\": {\"address\": \"10.0.1.9\", \"port\": 80}"), "ConfigurationVersionTooLow", "$.services[0].sorryServer", ": '{...}' is" },
        { Doc(1, "\"scheduler\": \"rr\"").Replace("\"port\": 80}]", "\"port\": 80, \"maintenance\": true}]"),
            "ConfigurationVersionTooLow", "$.services[0].realServers[1].maintenance", ": true is a schemaVersion 2 member" },
        { Doc(1, "\"scheduler\": \"rr\"").Replace("\"port\": 80}]", "\"port\": 80, \"healthCheck\": {}}]"),
            "ConfigurationVersionTooLow", "$.services[0].realServers[1].healthCheck", ": '{...}' is" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public void A_bad_version_2_member_is_refused_with_its_path_and_value(string json, string id, string path, string says)
    {
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(json));
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(path, e.Target);
        Assert.StartsWith(path, e.Message);
        Assert.Contains(says, e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(99)]
    public void A_version_other_than_1_or_2_is_refused(int version)
    {
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson($"{{\"schemaVersion\": {version}, \"services\": []}}"));
        Assert.Equal("UnsupportedConfigurationVersion", e.ErrorId);
        Assert.Contains($"schemaVersion {version};", e.Message);
        Assert.Contains("reads versions 1 to 2", e.Message);
    }

    [Fact]
    public void Every_bad_member_of_a_check_is_listed_at_once()
    {
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(Check("\"rise\": 0, \"fall\": 0, \"port\": 0")));
        Assert.Equal("InvalidHealthCheck", e.ErrorId);
        Assert.Contains("3 errors", e.Message);
        Assert.Contains(Hc + ".fall", e.Message);
        Assert.Contains(Hc + ".port", e.Message);
    }

    [Fact]
    public void Left_out_members_take_the_defaults()
    {
        var doc = LvsConfigurationDocument.FromJson(Check(""));
        var s = doc.Services![0];
        var hc = s.HealthCheck!.ToHealthCheck();
        var defaults = new HealthCheck();
        Assert.Equal(defaults, hc with { ExpectStatus = defaults.ExpectStatus }); // the list is compared below, by its items
        Assert.Equal(HealthCheckType.Tcp, hc.Type);
        Assert.Equal([200], hc.ExpectStatus);
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), 2, 3), (hc.Timeout, hc.Interval, hc.Rise, hc.Fall));
        Assert.Null(hc.Port);
        Assert.Equal(80, hc.PortFor(80));
        Assert.False(hc.SkipCertificateCheck);
        Assert.Equal(LvsFailureAction.Inhibit, s.OnFailure);
        Assert.Null(s.DrainTimeout);
        Assert.Equal(1, s.EffectiveQuorum);
        Assert.Equal(0, s.EffectiveHysteresis);
        Assert.Null(s.Alpha);
        Assert.Null(s.SorryServerFor(s.ToService().Key));
        Assert.All(s.RealServers!, r => Assert.Null(r.Maintenance));
    }

    [Fact]
    public void A_full_check_converts_to_the_typed_record()
    {
        var doc = LvsConfigurationDocument.FromJson(Doc2(
            "\"healthCheck\": {\"type\": \"HTTPS\", \"port\": 8443, \"path\": \"/health\", \"host\": \"www.example.org\", \"expectStatus\": [200, 204], " +
            "\"expectBody\": \"^ok$\", \"skipCertificateCheck\": true, \"timeout\": 0.5, \"interval\": 1.5, \"rise\": 1, \"fall\": 4}, " +
            "\"onFailure\": \"remove\", \"quorum\": 2, \"hysteresis\": 1, \"alpha\": true, \"drainTimeout\": 90.5, " +
            "\"sorryServer\": {\"address\": \"10.0.9.9\", \"port\": 8080, \"forwarding\": \"masquerade\"}"));
        var s = doc.Services![0];
        var hc = s.HealthCheck!.ToHealthCheck();
        Assert.Equal(HealthCheckType.Https, hc.Type);
        Assert.Equal((ushort)8443, hc.Port);
        Assert.Equal(("/health", "www.example.org", "^ok$"), (hc.Path, hc.Host, hc.ExpectBody));
        Assert.Equal([200, 204], hc.ExpectStatus);
        Assert.True(hc.SkipCertificateCheck);
        Assert.Equal((TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1500), 1, 4), (hc.Timeout, hc.Interval, hc.Rise, hc.Fall));
        Assert.Equal(LvsFailureAction.Remove, s.OnFailure);
        Assert.Equal((2, 1), (s.EffectiveQuorum, s.EffectiveHysteresis));
        Assert.True(s.Alpha);
        Assert.Equal(TimeSpan.FromSeconds(90.5), s.DrainTimeout);
        var key = s.ToService().Key;
        var sorry = s.SorryServerFor(key)!;
        Assert.Equal(key, sorry.Service);
        Assert.Equal(("10.0.9.9", (ushort)8080, ForwardingMethod.Masquerade, 1), (sorry.Address.ToString(), sorry.Port, sorry.ForwardingMethod, sorry.Weight));
    }

    [Fact]
    public void Dns_and_command_checks_convert()
    {
        var dns = LvsConfigurationDocument.FromJson(Check("\"type\": \"dns\", \"port\": 53, \"query\": \"example.org\", \"queryType\": \"aaaa\""))
            .Services![0].HealthCheck!.ToHealthCheck();
        Assert.Equal((HealthCheckType.Dns, "example.org", "AAAA"), (dns.Type, dns.Query, dns.QueryType));
        var cmd = LvsConfigurationDocument.FromJson(Check("\"type\": \"command\", \"command\": [\"/usr/lib/check\", \"--quiet\"]"))
            .Services![0].HealthCheck!.ToHealthCheck();
        Assert.Equal(HealthCheckType.Command, cmd.Type);
        Assert.Equal(["/usr/lib/check", "--quiet"], cmd.Command!);
        var sorry = LvsConfigurationDocument.FromJson(Doc2("\"sorryServer\": {\"address\": \"10.0.9.9\", \"port\": 80}")).Services![0];
        Assert.Equal(ForwardingMethod.Route, sorry.SorryServerFor(sorry.ToService().Key)!.ForwardingMethod);
    }

    [Fact]
    public void A_real_servers_own_check_replaces_the_services_and_without_either_none_applies()
    {
        var doc = LvsConfigurationDocument.FromJson(Doc2("\"healthCheck\": {\"type\": \"tcp\", \"fall\": 5}")
            .Replace("\"port\": 80}]", "\"port\": 80, \"healthCheck\": {\"type\": \"http\", \"path\": \"/up\"}}]"));
        var s = doc.Services![0];
        var first = s.HealthCheckFor(s.RealServers![0]);
        Assert.Equal((HealthCheckType.Tcp, 5), (first.Type, first.Fall));
        var second = s.HealthCheckFor(s.RealServers[1]);
        // replaced whole, not merged: the service's fall does not carry over
        Assert.Equal((HealthCheckType.Http, "/up", HealthCheck.DefaultFall), (second.Type, second.Path, second.Fall));

        s.HealthCheck = null;
        Assert.Equal(HealthCheckType.None, s.HealthCheckFor(s.RealServers[0]).Type);
        Assert.Equal(HealthCheckType.Http, s.HealthCheckFor(s.RealServers[1]).Type);
    }

    [Fact]
    public void A_version_2_document_round_trips_to_identical_text()
    {
        const string json = """
            {
              "schemaVersion": 2,
              "services": [
                {
                  "protocol": "tcp",
                  "address": "10.0.0.1",
                  "port": 80,
                  "family": "ipv4",
                  "scheduler": "wlc",
                  "onePacket": false,
                  "healthCheck": {
                    "type": "http",
                    "path": "/health",
                    "expectStatus": [
                      200,
                      204
                    ],
                    "expectBody": "ok",
                    "timeout": 1.5,
                    "interval": 2,
                    "rise": 2,
                    "fall": 3
                  },
                  "onFailure": "inhibit",
                  "quorum": 2,
                  "hysteresis": 1,
                  "alpha": true,
                  "sorryServer": {
                    "address": "10.0.9.9",
                    "port": 80,
                    "forwarding": "route"
                  },
                  "drainTimeout": 300,
                  "realServers": [
                    {
                      "address": "10.0.1.1",
                      "port": 80,
                      "forwarding": "route",
                      "weight": 1,
                      "upperThreshold": 0,
                      "lowerThreshold": 0
                    },
                    {
                      "address": "10.0.1.2",
                      "port": 80,
                      "forwarding": "route",
                      "weight": 3,
                      "upperThreshold": 0,
                      "lowerThreshold": 0,
                      "maintenance": true,
                      "healthCheck": {
                        "type": "command",
                        "command": [
                          "/usr/local/bin/check",
                          "--deep"
                        ]
                      }
                    }
                  ]
                }
              ]
            }

            """;
        var text = json.ReplaceLineEndings("\n");
        var doc = LvsConfigurationDocument.FromJson(text);
        Assert.Equal(text, doc.ToJson());
        Assert.Equal(3, doc.Services![0].RealServers![1].Weight); // the document keeps the operator's weight
    }

    [Fact]
    public void Version_1_reads_and_writes_as_before()
    {
        string v1 = $"{{\"schemaVersion\": 1, \"services\": [{{{Svc}, {Reals}}}]}}";
        var doc = LvsConfigurationDocument.FromJson(v1);
        Assert.Equal(1, doc.SchemaVersion);
        var json = doc.ToJson();
        Assert.Contains("\"schemaVersion\": 1", json);
        foreach (var member in new[] { "healthCheck", "onFailure", "quorum", "hysteresis", "alpha", "sorryServer", "drainTimeout", "maintenance" })
            Assert.DoesNotContain(member, json);
        Assert.Equal(json, LvsConfigurationDocument.FromJson(json).ToJson());
        // the same table from version 1 and version 2 plans the same steps
        var v2 = LvsConfigurationDocument.FromJson(v1.Replace("\"schemaVersion\": 1", "\"schemaVersion\": 2"));
        Assert.Equal(LvsConfigurationSync.Plan(new LvsConfigurationDocument(), doc, prune: true).Select(s => s.Operation),
            LvsConfigurationSync.Plan(new LvsConfigurationDocument(), v2, prune: true).Select(s => s.Operation));
    }

    [Fact]
    public void What_is_read_from_a_kernel_says_version_1()
    {
        var svc = new LvsService { Protocol = IpvsProtocol.Tcp, Address = System.Net.IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "wlc" };
        Assert.Equal(LvsConfigurationDocument.ExportSchemaVersion, LvsConfigurationDocument.From([svc], [], null, null).SchemaVersion);
        Assert.Equal(1, LvsConfigurationDocument.ExportSchemaVersion);
        Assert.Equal(1, IpvsadmRules.Parse(["-A -t 10.0.0.1:80 -s rr"]).SchemaVersion);
        Assert.Equal(2, new LvsConfigurationDocument().SchemaVersion);
    }

    // ---- Import and Sync: a static table, every server taken as healthy; maintenance is weight 0

    private static LvsConfigurationDocument Rules(params string[] lines) => IpvsadmRules.Parse(lines);

    private const string Controlled = "\"healthCheck\": {\"type\": \"http\", \"path\": \"/health\"}, \"onFailure\": \"remove\", \"quorum\": 4, " +
        "\"hysteresis\": 1, \"alpha\": true, \"sorryServer\": {\"address\": \"10.0.9.9\", \"port\": 80}, \"drainTimeout\": 60";

    [Fact]
    public void Maintenance_imports_as_weight_0_and_syncs_a_weight_down_to_0()
    {
        var doc = LvsConfigurationDocument.FromJson(Doc2("\"scheduler\": \"wlc\"")
            .Replace("\"address\": \"10.0.1.2\", \"port\": 80}", "\"address\": \"10.0.1.2\", \"port\": 80, \"weight\": 5, \"maintenance\": true}"));
        var create = LvsConfigurationSync.Plan(new LvsConfigurationDocument(), doc, prune: false);
        Assert.Contains("ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 0", create.Select(s => s.Operation));
        Assert.Contains("ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1", create.Select(s => s.Operation));

        var current = Rules("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1", "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 5");
        var step = Assert.Single(LvsConfigurationSync.Plan(current, doc, prune: true));
        Assert.Equal("ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 0", step.Operation);
        Assert.Equal("weight 5 -> 0", step.Changes);
        // what an export then reads back (weight 0) plans nothing
        Assert.Empty(LvsConfigurationSync.Plan(LvsKernelState.From(doc).ToDocument(), doc, prune: true));
        Assert.Contains("-r 10.0.1.2:80 -g -w 0", string.Join("\n", IpvsadmRules.Format(doc)));
    }

    [Fact]
    public void The_controllers_members_change_nothing_that_Import_or_Sync_plan()
    {
        var current = Rules("-A -t 10.0.0.1:80 -s wlc", "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -g -w 1");
        var plain = LvsConfigurationDocument.FromJson(Doc2("\"scheduler\": \"wlc\""));
        var controlled = LvsConfigurationDocument.FromJson(Doc2("\"scheduler\": \"wlc\", " + Controlled));
        foreach (bool prune in new[] { false, true })
        {
            var a = LvsConfigurationSync.Plan(current, plain, prune).Select(s => s.ToString()).ToList();
            var b = LvsConfigurationSync.Plan(current, controlled, prune).Select(s => s.ToString()).ToList();
            Assert.NotEmpty(a);
            Assert.Equal(a, b);
            Assert.DoesNotContain(b, s => s.Contains("10.0.9.9", StringComparison.Ordinal)); // no sorry server
        }
    }
}
