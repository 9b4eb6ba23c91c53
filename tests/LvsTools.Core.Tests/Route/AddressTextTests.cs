using System.Text.RegularExpressions;
using CsCheck;
using Xunit;

namespace LvsTools.Core.Tests.Route;

/// <summary>The IPv4 text form <see cref="IPNetworkMath.ParseAddress"/> takes: four decimal numbers 0-255, no leading zeros.</summary>
public class AddressTextTests
{
    [Theory]
    [InlineData("0.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.100.200")]
    [InlineData("255.255.255.254")]
    [InlineData("10.0.0.0")]
    [InlineData(" 10.1.2.3 ")]
    [InlineData("::ffff:10.1.2.3")]
    public void Accepted(string text) => Assert.Equal(System.Net.IPAddress.Parse(text.Trim()), IPNetworkMath.ParseAddress(text));

    [Theory]
    [InlineData("")]
    [InlineData("10.1.2")]
    [InlineData("10.1.2.3.4")]
    [InlineData("10.1.2.3.")]
    [InlineData(".10.1.2.3")]
    [InlineData("10..2.3")]
    [InlineData("010.1.2.3")]
    [InlineData("10.1.2.00")]
    [InlineData("10.1.2.256")]
    [InlineData("10.1.2.1000")]
    [InlineData("10.1.2.+3")]
    [InlineData("10.1.2.３")]
    [InlineData("10.1.2.3a")]
    [InlineData("::ffff:10.1.2.03")]
    public void Refused(string text)
    {
        var e = Assert.Throws<LvsException>(() => IPNetworkMath.ParseAddress(text));
        Assert.Equal("InvalidIPAddress", e.ErrorId);
    }

    private static readonly Regex DottedQuad = new(@"^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$", RegexOptions.CultureInvariant);

    [Fact]
    public void Any_text_of_digits_and_dots_is_taken_exactly_when_it_is_four_numbers_0_to_255_without_leading_zeros() =>
        Gen.Char["0123456789."].Array[1, 16].Select(c => new string(c)).Sample(text =>
        {
            bool expected = DottedQuad.IsMatch(text) && text.Split('.').All(o => int.Parse(o) <= 255);
            bool taken;
            try
            {
                IPNetworkMath.ParseAddress(text);
                taken = true;
            }
            catch (LvsException)
            {
                taken = false;
            }
            return taken == expected;
        }, iter: 20000);
}
