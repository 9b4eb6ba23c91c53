using System.Text;
using LvsTools.Core.Config;

namespace LvsTools.Core.Tests.Config;

/// <summary>
/// A document or a rules input that contradicts itself is refused whole, before anything is planned, with a stable id,
/// the JSON path (or line) and the value; absent sections are not managed; input is bounded.
/// </summary>
public class DocumentValidationTests
{
    private const string Svc = "\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80";

    private static string Doc(string services) => $"{{\"schemaVersion\": 1, \"services\": [{services}]}}";

    // A table of cases: document text, expected id, expected path (message and target), a piece of the message.
    public static TheoryData<string, string, string, string> BadDocuments => new()
    {
        { "{\"schemaVersion\": 1, \"schemaVersion\": 1}", "DuplicateJsonProperty", "$.schemaVersion", "twice" },
        { Doc($"{{{Svc}, \"port\": 81}}"), "DuplicateJsonProperty", "$.services[0].port", "twice" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"weight\": 1, \"weight\": 2}}]}}"), "DuplicateJsonProperty", "$.services[0].realServers[0].weight", "twice" },
        // The prepass compares names as their unescaped bytes, per object: an escaped twin is a duplicate, the same name in
        // a sibling or a nested object is not, and the path names the enclosing entries.
        { Doc($"{{{Svc}, \"\\u0070ort\": 81}}"), "DuplicateJsonProperty", "$.services[0].port", "'port'" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"port\": 1}}]}}, {{{Svc}, \"persistence\": {{\"timeout\": 60}}, \"realServers\": [{{\"address\": \"10.0.1.1\"}}, {{\"port\": 2, \"address\": \"10.0.1.2\", \"port\": 3}}]}}"), "DuplicateJsonProperty", "$.services[1].realServers[1].port", "twice" },
        { Doc($"{{{Svc}}}, {{\"protocol\": \"TCP\", \"address\": \"10.0.0.1\", \"port\": 80}}"), "DuplicateService", "$.services[1]", "$.services[0]" },
        { Doc("{\"protocol\": \"tcp\", \"address\": \"2001:DB8::1\", \"port\": 80, \"family\": \"ipv6\"}, {\"protocol\": \"tcp\", \"address\": \"2001:db8:0::1\", \"port\": 80, \"family\": \"ipv6\"}"), "DuplicateService", "$.services[1]", "already listed" },
        { Doc("{\"firewallMark\": 7}, {\"firewallMark\": 7, \"scheduler\": \"rr\"}"), "DuplicateService", "$.services[1]", "FWM  7" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"port\": 80}}, {{\"address\": \"10.0.1.1\", \"port\": 80, \"weight\": 5}}]}}"), "DuplicateRealServer", "$.services[0].realServers[1]", "realServers[0]" },
        { Doc("{\"protocol\": \"tcp\", \"address\": \"2001:db8::1\", \"port\": 80, \"family\": \"ipv6\", \"realServers\": [{\"address\": \"2001:DB8::11\", \"port\": 80}, {\"address\": \"2001:db8:0:0::11\", \"port\": 80}]}"), "DuplicateRealServer", "$.services[0].realServers[1]", "already listed" },
        { Doc($"{{{Svc}, \"scheduler\": \"rr\", \"schedulerFlags\": [\"sh-port\"]}}"), "InvalidSchedulerFlag", "$.services[0].schedulerFlags[0]", "does not fit scheduler" },
        { Doc($"{{{Svc}, \"scheduler\": \"sh\", \"schedulerFlags\": [\"mh-fallback\"]}}"), "InvalidSchedulerFlag", "$.services[0].schedulerFlags[0]", "mh scheduler" },
        { Doc($"{{{Svc}, \"schedulerFlags\": [\"bogus\"]}}"), "InvalidSchedulerFlag", "$.services[0].schedulerFlags[0]", "bogus" },
        { Doc("{\"firewallMark\": 7, \"address\": \"10.0.0.1\"}"), "ConflictingServiceKey", "$.services[0].address", "firewallMark" },
        { Doc("{\"firewallMark\": 7, \"port\": 80}"), "ConflictingServiceKey", "$.services[0].port", "no port" },
        { Doc("{\"firewallMark\": 0}"), "InvalidFirewallMark", "$.services[0].firewallMark", "not a firewall mark" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"port\": 80, \"forwarding\": \"masquerade\", \"tunnel\": {{\"type\": \"gue\", \"port\": 6080}}}}]}}"), "InvalidTunnelOption", "$.services[0].realServers[0].tunnel", "only to forwarding 'tunnel'" },
        { Doc("{\"protocol\": \"tcp\", \"address\": \"2001:db8::1\", \"port\": 80, \"family\": \"ipv6\", \"persistence\": {\"timeout\": 60, \"netmask\": \"255.255.255.0\"}}"), "InvalidNetmask", "$.services[0].persistence.netmask", "IPv6" },
        { Doc($"{{{Svc}, \"persistence\": {{\"timeout\": 60, \"netmask\": \"40\"}}}}"), "InvalidNetmask", "$.services[0].persistence.netmask", "40" },
        { Doc("{\"protocol\": \"tcp\", \"address\": \"2001:db8::1\", \"port\": 80}"), "InvalidAddressFamily", "$.services[0].family", "does not match" },
        { Doc($"{{{Svc}, \"family\": \"ipx\"}}"), "InvalidAddressFamily", "$.services[0].family", "'ipx'" },
        { Doc("{\"protocol\": \"icmp\", \"address\": \"10.0.0.1\", \"port\": 80}"), "InvalidProtocol", "$.services[0].protocol", "'icmp'" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"forwarding\": \"teleport\"}}]}}"), "InvalidForwardingMethod", "$.services[0].realServers[0].forwarding", "'teleport'" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"forwarding\": \"3\"}}]}}"), "InvalidForwardingMethod", "$.services[0].realServers[0].forwarding", "'3'" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"port\": 80, \"forwarding\": \"tunnel\", \"tunnel\": {{\"type\": \"vxlan\"}}}}]}}"), "InvalidTunnelType", "$.services[0].realServers[0].tunnel.type", "'vxlan'" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"port\": 70000}}]}}"), "InvalidPort", "$.services[0].realServers[0].port", "70000" },
        { Doc("{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": -1}"), "InvalidPort", "$.services[0].port", "-1" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"port\": 80, \"weight\": -1}}]}}"), "InvalidWeight", "$.services[0].realServers[0].weight", "-1" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"not-an-ip\", \"port\": 80}}]}}"), "InvalidIPAddress", "$.services[0].realServers[0].address", "not-an-ip" },
        { Doc($"{{{Svc}, \"scheduler\": \"bogus\"}}"), "InvalidScheduler", "$.services[0].scheduler", "bogus" },
        { Doc("{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": \"80\"}"), "InvalidConfigurationDocument", "$.services[0].port", "'80'" },
        { Doc($"{{{Svc}, \"realServers\": [{{\"address\": \"10.0.1.1\", \"upperThreshold\": 99999999999}}]}}"), "InvalidConfigurationDocument", "$.services[0].realServers[0].upperThreshold", "99999999999" },
        { Doc("{\"firewallMark\": 7.0}"), "InvalidConfigurationDocument", "$.services[0].firewallMark", "7.0" },
        { "{\"schemaVersion\": 1, \"timeouts\": {\"tcp\": -5}}", "InvalidTimeout", "$.timeouts.tcp", "-00:00:05" },
        { "{\"schemaVersion\": 1, \"syncDaemons\": [{\"state\": \"master\", \"multicastInterface\": \"eth0\"}, {\"state\": \"MASTER\", \"multicastInterface\": \"eth1\"}]}", "DuplicateSyncDaemon", "$.syncDaemons[1].state", "twice" },
        { "{\"schemaVersion\": 1, \"syncDaemons\": [{\"state\": \"primary\", \"multicastInterface\": \"eth0\"}]}", "InvalidSyncDaemonState", "$.syncDaemons[0].state", "primary" },
        { "{\"schemaVersion\": 1, \"syncDaemons\": [{\"state\": \"master\", \"multicastInterface\": \"eth0\", \"multicastPort\": 70000}]}", "InvalidSyncDaemon", "$.syncDaemons[0].multicastPort", "70000" },
        { "{\"schemaVersion\": 1, \"sysctls\": [{\"name\": \"net.ipv4.ip_forward\", \"value\": \"1\"}, {\"name\": \"net/ipv4/ip_forward\", \"value\": \"0\"}]}", "DuplicateSysctl", "$.sysctls[1].name", "already listed" },
        { "{\"schemaVersion\": 1, \"virtualIps\": [{\"interfaceName\": \"eth0\", \"address\": \"10.0.0.1/24\"}, {\"interfaceName\": \"eth0\", \"address\": \"10.0.0.1/32\"}]}", "DuplicateVirtualIp", "$.virtualIps[1]", "already listed" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public void A_self_contradicting_document_is_refused_with_its_path(string json, string id, string path, string says)
    {
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(json));
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(path, e.Target);
        Assert.StartsWith(path, e.Message);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void Every_error_is_listed_and_the_first_gives_the_id()
    {
        var json = Doc($"{{{Svc}, \"scheduler\": \"bogus\"}}, {{\"protocol\": \"tcp\", \"address\": \"10.0.0.2\", \"port\": 80, \"realServers\": [{{\"address\": \"10.0.1.1\", \"weight\": -3}}]}}");
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(json));
        Assert.Equal("InvalidScheduler", e.ErrorId);
        Assert.Equal("$.services[0].scheduler", e.Target);
        Assert.Contains("2 errors", e.Message);
        Assert.Contains("$.services[1].realServers[0].weight", e.Message);
    }

    [Fact]
    public void A_huge_value_is_not_echoed_whole()
    {
        string huge = new('x', 5000);
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(Doc($"{{{Svc}, \"scheduler\": \"rr\", \"persistenceEngine\": null, \"family\": \"{huge}\"}}")));
        Assert.Equal("InvalidAddressFamily", e.ErrorId);
        Assert.True(e.Message.Length < 400, e.Message);
        Assert.Contains("(5000 characters)", e.Message);
    }

    [Fact]
    public void Equal_spellings_of_one_document_validate_and_export_writes_every_section()
    {
        var doc = LvsConfigurationDocument.FromJson(Doc($"{{{Svc}, \"scheduler\": \"sh\", \"schedulerFlags\": [\"sh-port\", \"flag-3\"], \"realServers\": []}}, {{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 81, \"scheduler\": \"rr\", \"schedulerFlags\": [\"flag-1\"]}}"));
        Assert.Equal(2, doc.Services!.Count);
        Assert.Equal(["services"], doc.ManagedSections);
        Assert.Equal(["timeouts", "syncDaemons", "virtualIps", "sysctls", "$.services[1].realServers"], doc.UnmanagedSections);
        var live = LvsConfigurationDocument.From([], [], new LvsTimeouts(), []).ToJson();
        Assert.Contains("\"services\": []", live);
        Assert.Contains("\"syncDaemons\": []", live);
        Assert.Contains("\"timeouts\"", live);
    }

    // ---- absent = not managed, [] = none

    private static LvsConfigurationDocument Current() => IpvsadmRules.Parse([
        "-A -t 10.0.0.1:80 -s rr", "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g", "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g",
        "-A -t 10.0.0.2:80 -s rr", "-A -u 10.0.0.3:53 -s rr",
    ]);

    [Theory]
    [InlineData("{\"schemaVersion\": 1}")]
    [InlineData("{\"schemaVersion\": 1, \"services\": null}")]
    public void Without_a_services_section_sync_touches_no_service(string json)
    {
        var desired = LvsConfigurationDocument.FromJson(json);
        Assert.Empty(LvsConfigurationSync.Plan(Current(), desired, prune: true));
        Assert.Contains("services", desired.UnmanagedSections);
    }

    [Fact]
    public void An_empty_services_list_deletes_every_service_under_sync_only()
    {
        var desired = LvsConfigurationDocument.FromJson("{\"schemaVersion\": 1, \"services\": []}");
        var plan = LvsConfigurationSync.Plan(Current(), desired, prune: true);
        Assert.Equal(3, plan.Count(s => s.Action == LvsPlanAction.Delete && s.Object == LvsPlanObject.Service));
        Assert.Empty(LvsConfigurationSync.Plan(Current(), desired, prune: false));
    }

    [Fact]
    public void A_service_without_real_servers_keeps_its_real_servers_and_an_empty_list_removes_them()
    {
        var absent = LvsConfigurationDocument.FromJson(Doc($"{{{Svc}, \"scheduler\": \"rr\"}}"));
        var plan = LvsConfigurationSync.Plan(Current(), absent, prune: true);
        Assert.Equal(["ipvsadm -D -t 10.0.0.2:80", "ipvsadm -D -u 10.0.0.3:53"], plan.Select(s => s.Operation).Order());
        var empty = LvsConfigurationDocument.FromJson(Doc($"{{{Svc}, \"scheduler\": \"rr\", \"realServers\": []}}"));
        plan = LvsConfigurationSync.Plan(Current(), empty, prune: true);
        Assert.Equal(2, plan.Count(s => s.Object == LvsPlanObject.RealServer && s.Action == LvsPlanAction.Delete));
    }

    [Fact]
    public void A_timeout_left_out_or_zero_is_no_difference()
    {
        var current = new LvsConfigurationDocument { Timeouts = new LvsTimeoutsEntry { Tcp = 900, TcpFin = 120, Udp = 300 } };
        var desired = LvsConfigurationDocument.FromJson("{\"schemaVersion\": 1, \"timeouts\": {\"tcp\": 900}}");
        Assert.Empty(LvsConfigurationSync.Plan(current, desired, prune: true));
        desired = LvsConfigurationDocument.FromJson("{\"schemaVersion\": 1, \"timeouts\": {\"udp\": 60}}");
        Assert.Equal("ipvsadm --set 0 0 60", Assert.Single(LvsConfigurationSync.Plan(current, desired, prune: true)).Operation);
    }

    // ---- ipvsadm rules: what ipvsadm -R refuses (measured with ipvsadm 1.31 in the UML kernel) is refused, with the line

    [Theory]
    [InlineData("-A -t 10.0.0.1:80 -s rr -s wrr", 1, "multiple 'scheduler' options")]
    [InlineData("-A -t 10.0.0.1:80 -t 10.0.0.2:80 -s rr", 1, "multiple 'service-address' options")]
    [InlineData("-A -f 1 -t 10.0.0.1:80 -s rr", 1, "multiple 'service-address' options")]
    [InlineData("-A -t 10.0.0.1:80:81 -s rr", 1, "10.0.0.1:80:81")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80:90 -m", 2, "10.0.1.1:80:90")]
    [InlineData("-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m", 1, "not defined")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.2:80 -r 10.0.1.1:80 -m", 2, "not defined")]
    [InlineData("-A -t 10.0.0.1:80 -s rr --bogus", 1, "'--bogus'")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -m", 2, "needs the 'real-server' option")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -g", 2, "multiple 'forwarding-method' options")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w -1", 2, "'-1'")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 0x10", 2, "'0x10'")]
    [InlineData("-A -t 10.0.0.1:80 -s rr junk", 1, "unexpected argument 'junk'")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m extra", 2, "unexpected argument 'extra'")]
    [InlineData("-A -a -t 10.0.0.1:80 -s rr", 1, "multiple commands")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1 -w 2", 2, "multiple 'weight' options")]
    [InlineData("-A -t 10.0.0.1:80 -s rr -p 10 -p 20", 1, "multiple 'persistent' options")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -s wrr", 2, "illegal 'scheduler' option with the 'add-server' command")]
    [InlineData("-A -t 10.0.0.1:80 -s rr -r 10.0.1.1:80", 1, "illegal 'real-server' option with the 'add-service' command")]
    [InlineData("-A -t 10.0.0.1:80 -s rr -w 3", 1, "illegal 'weight' option")]
    [InlineData("-A -t 10.0.0.1:0 -s rr", 1, "Port 0")]
    [InlineData("-A -t 10.0.0.1:80 -s rr -b sh-port", 1, "incompatible scheduler flag")]
    [InlineData("-A -t 10.0.0.1:80 -s rr -o", 1, "One-packet")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s rr", 2, "added twice")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m\n-a -t 10.0.0.1:80 -r 10.0.1.1 -m", 3, "added twice")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -x 5 -y 10", 2, "Lower threshold")]
    [InlineData("-A -t [2001:db8::1]:80 -s rr -p 10 -M 255.255.255.0", 1, "IPv6")]
    [InlineData("-A -t 10.0.0.1:80 -s rr -p 10 -M 40", 1, "out of range")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m --tun-type gue --tun-port 6080", 2, "tunnel forwarding")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -i --tun-type gue", 2, "GUE")]
    [InlineData("-E -t 10.0.0.1:80 -s wrr", 1, "edited before it is added")]
    [InlineData("-A -t 10.0.0.1:0x50 -s rr", 1, "0x50")]
    [InlineData("-A -t 10.0.0.1:70000 -s rr", 1, "70000")]
    [InlineData("-A -f 0 -s rr", 1, "firewall mark")]
    [InlineData("-A -t 10.0.0.1:80 -s bogus", 1, "bogus")]
    [InlineData("-A -t 10.0.0.1:80 -s rr --ops=1", 1, "takes no value")]
    public void A_rule_ipvsadm_refuses_is_refused_with_its_line(string text, int line, string says)
    {
        var e = Assert.Throws<LvsException>(() => IpvsadmRules.Parse(text.Split('\n')));
        Assert.Equal("InvalidIpvsadmRule", e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.StartsWith($"Line {line} (", e.Message);
        Assert.Contains(says, e.Message);
    }

    [Theory]
    [InlineData("-A -t 10.0.0.1:80 -s rr -b flag-1")]
    [InlineData("-A -f 5 -6 -s rr")]
    [InlineData("-A -t 10.0.0.1:80 -s rr --pe sip")]
    [InlineData("--add-service --tcp-service 10.0.0.1:80 --scheduler rr")]
    [InlineData("-A -t 10.0.0.1:80 --scheduler=wrr")]
    [InlineData("-A -t10.0.0.1:80 -srr")]
    [InlineData("-A\t-t 10.0.0.1:80 -s rr")]
    [InlineData("ipvsadm -A -t 10.0.0.1:80 -s rr")]
    [InlineData("-A -t 10.0.0.1:80")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -g")] // ipvsadm forces the port for -g
    public void What_ipvsadm_accepts_converts(string text)
    {
        var doc = IpvsadmRules.Parse(text.Split('\n'));
        Assert.NotEmpty(doc.Services!);
        if (text.Contains("-g"))
            Assert.Equal(80, doc.Services![0].RealServers![0].Port);
    }

    [Fact]
    public void Every_bad_line_is_named_and_no_document_is_made()
    {
        var reader = new IpvsadmRuleReader();
        foreach (var l in new[] { "-A -t 10.0.0.1:80 -s rr", "-A -t 10.0.0.2:80 -s rr -s wrr", "-a -t 10.0.0.1:80 -r 10.0.1.1 -m", "-a -t 10.0.0.1:80 -r 10.0.1.2 -m -w -1" })
            reader.Add(l);
        var e = Assert.Throws<LvsException>(() => reader.ToDocument());
        Assert.Equal("InvalidIpvsadmRule", e.ErrorId);
        Assert.Contains("2 lines", e.Message);
        Assert.Contains($"{Environment.NewLine}Line 2 (", e.Message);
        Assert.Contains($"{Environment.NewLine}Line 4 (", e.Message);
    }

    [Fact]
    public void Endless_bad_input_stops_after_the_error_limit()
    {
        var reader = new IpvsadmRuleReader();
        var e = Assert.Throws<LvsException>(() => { for (int i = 0; i < 1_000_000; i++) reader.Add("nonsense"); });
        Assert.Equal("InvalidIpvsadmRule", e.ErrorId);
        Assert.Equal(IpvsadmRuleReader.MaxErrors + 1, reader.LineCount);
    }

    [Fact]
    public void Rules_input_is_bounded_in_line_length_and_in_total()
    {
        var reader = new IpvsadmRuleReader();
        var e = Assert.Throws<LvsException>(() => reader.Add(new string('\0', BoundedInput.MaxRuleLineLength + 1)));
        Assert.Equal(("IpvsadmRuleLineTooLong", LvsErrorKind.LimitsExceeded), (e.ErrorId, e.Kind));
        reader = new IpvsadmRuleReader();
        string comment = "#" + new string(' ', 60000);
        e = Assert.Throws<LvsException>(() => { for (int i = 0; i < 10_000; i++) reader.Add(comment); });
        Assert.Equal(("InputTooLarge", LvsErrorKind.LimitsExceeded), (e.ErrorId, e.Kind));
        Assert.Contains("64 MiB", e.Message);
    }

    // ---- files

    [Fact]
    public void Reading_a_device_or_a_file_over_the_limit_stops_at_the_limit()
    {
        var e = Assert.Throws<LvsException>(() => BoundedInput.ReadAllBytes("/dev/zero", "/dev/zero", "X", limit: 1 << 20));
        Assert.Equal("InputTooLarge", e.ErrorId);
        Assert.Equal("/dev/zero", e.Target);
        e = Assert.Throws<LvsException>(() => BoundedInput.ReadLines("/dev/zero", "/dev/zero", "X").ToList());
        Assert.Equal("IpvsadmRuleLineTooLong", e.ErrorId);
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, new byte[1025]);
            Assert.Equal("InputTooLarge", Assert.Throws<LvsException>(() => BoundedInput.ReadAllBytes(file, file, "X", limit: 1024)).ErrorId);
            File.WriteAllText(file, string.Concat(Enumerable.Repeat("-A -t 10.0.0.1:80\n", 100)));
            Assert.Equal("InputTooLarge", Assert.Throws<LvsException>(() => BoundedInput.ReadLines(file, file, "X", limit: 1000).ToList()).ErrorId);
            Assert.Equal(100, BoundedInput.ReadLines(file, file, "X").Count());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_directory_or_a_missing_folder_is_named_as_such()
    {
        var e = Assert.Throws<LvsException>(() => BoundedInput.ReadAllBytes("/", "/", "SomeFileNotFound"));
        Assert.Equal("PathIsDirectory", e.ErrorId);
        Assert.Contains("is a directory", e.Message);
        e = Assert.Throws<LvsException>(() => BoundedInput.ReadAllBytes("/nonexistent-lvst/x.json", "x", "SomeFileNotFound"));
        Assert.Equal(("SomeFileNotFound", LvsErrorKind.NotFound), (e.ErrorId, e.Kind));
        Assert.Contains("folder '/nonexistent-lvst' does not exist", e.Message);
    }

    [Fact]
    public void The_json_prepass_reports_paths_like_the_deserializer()
    {
        var json = Encoding.UTF8.GetBytes("{\"a\": [1, {\"b\": 2, \"c\": [3, 4]}], /* c */ \"d\": \"x\",}");
        Assert.Null(JsonPrepass.FindDuplicate(json));
        Assert.Equal("4", JsonPrepass.ValueAt(json, "$.a[1].c[1]"));
        Assert.Equal("x", JsonPrepass.ValueAt(json, "$.d"));
        Assert.Equal(("$.a[1].b", "b"), JsonPrepass.FindDuplicate(Encoding.UTF8.GetBytes("{\"a\": [1, {\"b\": 2, \"b\": 3}], \"b\": 1}")));
    }
    [Fact]
    public void Words_a_document_repeats_are_read_as_one_string_each_and_other_strings_as_written()
    {
        const string Rs = "{ \"address\": \"10.0.1.1\", \"port\": 80, \"forwarding\": \"masquerade\" }";
        var doc = LvsConfigurationDocument.FromJson(
            $"{{ \"schemaVersion\": 1, \"services\": [ {{ {Svc}, \"scheduler\": \"wrr\", \"realServers\": [ {Rs}, {Rs.Replace("1.1", "1.2")} ] }}, " +
            $"{{ \"protocol\": \"t\\u0063p\", \"address\": \"10.0.0.2\", \"port\": 80 }} ] }}");
        var a = doc.Services![0];
        Assert.Same(a.RealServers![0].Forwarding, a.RealServers[1].Forwarding);
        Assert.Equal("masquerade", a.RealServers[0].Forwarding);
        Assert.Equal("tcp", doc.Services[1].Protocol); // escaped: read by System.Text.Json itself, the same text
        Assert.Equal("10.0.1.2", a.RealServers[1].Address);
    }

    [Fact]
    public void A_number_where_a_word_belongs_is_refused_as_before()
    {
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(
            "{ \"schemaVersion\": 1, \"services\": [ { \"protocol\": 6, \"address\": \"10.0.0.1\", \"port\": 80 } ] }"));
        Assert.Equal("InvalidConfigurationDocument", e.ErrorId);
        Assert.Contains("$.services[0].protocol", e.Message);
        Assert.Contains("(value '6')", e.Message);
        Assert.Contains("could not be converted to System.String", e.Message);
    }
}
