using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace LvsTools.Core.Config;

/// <summary>
/// The document's string reader: the few words a document repeats in every entry ("tcp", "ipv4", "wrr", "masquerade",
/// ...) come back as one shared string each instead of a new string per entry (a 10,000 x 4 document otherwise holds
/// 80,000 copies of five words). Anything else, and anything that is not a plain string token, goes to System.Text.Json's
/// own string converter, so values, errors and writing are exactly its.
/// </summary>
internal sealed class DocumentWords : JsonConverter<string?>
{
    private static readonly JsonConverter<string?> Plain = JsonMetadataServices.StringConverter;

    /// <summary>
    /// The words, each once: protocols and families; forwarding methods and tunnel settings; schedulers; failure actions
    /// and health check types ("tcp" is already among the protocols); sync daemon states.
    /// </summary>
    internal static readonly string[] Words =
    [
        "tcp", "udp", "sctp", "ipv4", "ipv6", "inet", "inet6",
        "route", "masquerade", "tunnel", "local", "bypass", "ipip", "gue", "gre", "none", "checksum", "remotechecksum",
        "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
        "inhibit", "remove", "http", "https", "master", "backup",
    ];

    // By length, so that a value is compared only with the words of its length.
    private static readonly (byte[] Utf8, string Text)[][] ByLength = Table(Words);

    private static (byte[], string)[][] Table(string[] words)
    {
        var table = new List<(byte[], string)>[words.Max(w => w.Length) + 1];
        foreach (var w in words)
            (table[w.Length] ??= []).Add((Encoding.UTF8.GetBytes(w), w));
        return table.Select(l => l?.ToArray() ?? []).ToArray();
    }

    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence
            && reader.ValueSpan.Length < ByLength.Length)
        {
            var value = reader.ValueSpan;
            foreach (var (utf8, text) in ByLength[value.Length])
                if (value.SequenceEqual(utf8))
                    return text;
        }
        return Plain.Read(ref reader, typeToConvert, options);
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => Plain.Write(writer, value, options);
}
