using CsCheck;
using LvsTools.Core.Config;
using LvsTools.Core.Sysctl;
using LvsTools.Core.Tests.Property;

namespace LvsTools.Core.Tests.Messages;

/// <summary>Messages echo what the user gave, but never a whole huge value: clipped once, centrally, in LvsException.</summary>
public class MessageTests
{
    private static readonly string Huge = new('a', 5000);

    [Theory]
    [InlineData("short")]
    [InlineData("tab\there, 'quoted'")]
    [InlineData("")]
    public void Short_values_leave_the_message_exactly_as_written(string value)
    {
        Assert.Equal($"'{value}' is bad.", LvsException.Invalid("X", $"'{value}' is bad.", value).Message);
    }

    [Fact]
    public void A_5000_character_value_is_shown_as_64_characters_and_its_length()
    {
        var e = LvsException.Invalid("InvalidScheduler", $"'{Huge}' is not an IPVS scheduler: use one of rr, wlc.", Huge);
        Assert.Equal($"'{new string('a', 64)}… (5000 characters)' is not an IPVS scheduler: use one of rr, wlc.", e.Message);
        Assert.Same(Huge, e.Target); // the whole value stays available to scripts
    }

    [Fact]
    public void Prose_between_apostrophes_is_not_taken_for_a_value()
    {
        const string prose = "The kernel can't start the master sync daemon on this interface because it is down, and it won't until it is up.";
        Assert.Equal(prose, LvsException.Invalid("X", prose, null).Message);
    }

    public static TheoryData<string, Func<string, object?>> Parsers() => new()
    {
        { "sysctl name", v => SysctlName.Parse(v) },
        { "namespace name", v => NetNamespace.Resolve(v) },
        { "address", v => IPNetworkMath.ParseAddress(v) },
        { "scheduler flag", v => IpvsadmSyntax.ParseSchedulerFlags([v]) },
        { "ipvsadm rule", v => IpvsadmRules.Parse([$"-A -t 10.0.0.1:80 -s {v}"]) },
        { "ipvsadm rule line", v => IpvsadmRules.Parse([$"-A -t {v}"]) },
        { "JSON document", v => LvsConfigurationDocument.FromJson($"{{\"schemaVersion\":1,\"services\":[{{\"protocol\":\"{v}\",\"address\":\"10.0.0.1\",\"port\":80}}]}}").Services![0].ToService() },
    };

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Every_parser_error_shows_a_long_value_clipped(string parser, Func<string, object?> parse)
    {
        string value = "x" + new string('b', 4998) + "y";
        var e = Assert.ThrowsAny<LvsException>(() => parse(value));
        Assert.DoesNotContain(value, e.Message);
        Assert.Contains("… (5000 characters)", e.Message);
        Assert.True(e.Message.Length < 600, $"{parser}: {e.Message.Length} characters: {e.Message[..Math.Min(200, e.Message.Length)]}");
    }

    [Fact]
    public void Any_value_in_any_message_leaves_it_short_and_on_one_line()
    {
        var result = FuzzHarness.Run(FuzzTarget.Property("message-clip", FuzzInputs.Text, v =>
        {
            string m = LvsException.Invalid("X", $"Value '{v}' is bad: '{v}'.", v).Message;
            if (v.Length > LvsException.MaxShownValueLength)
            {
                Assert.True(m.Length <= 2 * (6 * LvsException.MaxShownValueLength + 32) + 24, m);
                Assert.DoesNotContain('\n', m);
            }
            else
            {
                Assert.Equal($"Value '{v}' is bad: '{v}'.", m);
            }
        }), stream: 77, FuzzHarness.Count(2000));
        Assert.True(result.Failure is null, result.Failure);
    }
}
