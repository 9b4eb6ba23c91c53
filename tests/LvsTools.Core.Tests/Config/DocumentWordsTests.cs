using System.Text;
using System.Text.Json;
using LvsTools.Core.Config;

namespace LvsTools.Core.Tests.Config;

/// <summary>
/// The document's string reader: its words come back as one shared string each, anything else as System.Text.Json
/// reads it; its list holds each word once.
/// </summary>
public class DocumentWordsTests
{
    private static string? Read(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        return new DocumentWords().Read(ref reader, typeof(string), new JsonSerializerOptions());
    }

    [Fact]
    public void The_word_list_holds_each_word_once()
    {
        var repeated = DocumentWords.Words.GroupBy(w => w, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(repeated);
    }

    [Fact]
    public void A_word_reads_as_the_shared_string_and_anything_else_as_System_Text_Json_reads_it()
    {
        foreach (var word in DocumentWords.Words)
            Assert.Same(word, Read($"\"{word}\""));
        Assert.Equal("tcp", Read("\"\\u0074cp\"")); // escaped: read by System.Text.Json, same value
        Assert.Equal("TCP", Read("\"TCP\""));
        Assert.Equal("10.0.0.1", Read("\"10.0.0.1\""));
        Assert.Equal("a-much-longer-value-than-any-word", Read("\"a-much-longer-value-than-any-word\""));
        Assert.Null(Read("null"));
    }
}
