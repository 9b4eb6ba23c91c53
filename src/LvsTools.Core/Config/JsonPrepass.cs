using System.Text;
using System.Text.Json;

namespace LvsTools.Core.Config;

/// <summary>
/// A walk over JSON text that knows the path of every token ("$.services[3].realServers[1].port"): it finds duplicate
/// property names (System.Text.Json keeps the last one silently) and the raw text of the value at a path (for messages
/// about a value the deserializer refused).
/// </summary>
internal static class JsonPrepass
{
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private sealed class Frame(bool isObject, string path)
    {
        public readonly bool IsObject = isObject;
        public readonly string Path = path;
        public readonly HashSet<string>? Names = isObject ? new(StringComparer.Ordinal) : null;
        public int Index = -1;
        public string? Property;
    }

    /// <summary>The first duplicate property name, as (path of the second occurrence, name), or null.</summary>
    /// <exception cref="JsonException">The text is not JSON (left to the deserializer to report).</exception>
    public static (string Path, string Name)? FindDuplicate(ReadOnlySpan<byte> utf8)
    {
        (string, string)? found = null;
        Walk(utf8, (ref Utf8JsonReader r, Frame parent, string path) =>
        {
            if (r.TokenType != JsonTokenType.PropertyName)
                return true;
            string name = r.GetString()!;
            if (!parent.Names!.Add(name))
            {
                found = (path, name);
                return false;
            }
            return true;
        });
        return found;
    }

    /// <summary>The raw text of the value at <paramref name="path"/> (a string without its quotes), or null.</summary>
    public static string? ValueAt(ReadOnlySpan<byte> utf8, string path)
    {
        string? value = null;
        try
        {
            Walk(utf8, (ref Utf8JsonReader r, Frame parent, string p) =>
            {
                if (r.TokenType is JsonTokenType.PropertyName or JsonTokenType.EndObject or JsonTokenType.EndArray || p != path)
                    return true;
                value = r.TokenType switch
                {
                    JsonTokenType.String => r.GetString(),
                    JsonTokenType.StartObject => "{...}",
                    JsonTokenType.StartArray => "[...]",
                    _ => Encoding.UTF8.GetString(r.ValueSpan),
                };
                return false;
            });
        }
        catch (JsonException)
        {
        }
        return value;
    }

    private delegate bool Visitor(ref Utf8JsonReader reader, Frame parent, string path);

    /// <summary>Calls <paramref name="visit"/> for every token with its path until it returns false.</summary>
    private static void Walk(ReadOnlySpan<byte> utf8, Visitor visit)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        var stack = new Stack<Frame>();
        stack.Push(new Frame(false, "")); // the root: its one value has the path "$"
        while (reader.Read())
        {
            var parent = stack.Peek();
            string path;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    parent.Property = reader.GetString();
                    path = parent.Path + "." + parent.Property;
                    if (!visit(ref reader, parent, path))
                        return;
                    continue;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    stack.Pop();
                    continue;
            }
            if (parent.IsObject)
                path = parent.Path + "." + parent.Property;
            else if (stack.Count == 1)
                path = "$";
            else
                path = $"{parent.Path}[{++parent.Index}]";
            if (!visit(ref reader, parent, path))
                return;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                stack.Push(new Frame(reader.TokenType == JsonTokenType.StartObject, path));
        }
    }
}
