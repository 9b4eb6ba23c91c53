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
        public int Index = -1;
        public string? Property;
    }

    /// <summary>A property name seen in an open object: its hash, where its raw bytes are, and its bytes if escaped.</summary>
    private readonly record struct Name(int Hash, int Start, int Length, byte[]? Unescaped)
    {
        public ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> utf8) => Unescaped ?? utf8.Slice(Start, Length);
    }

    /// <summary>An open object or array: where its names start in the name list, its current property or item.</summary>
    private struct Container
    {
        public bool IsObject;
        public int NamesStart;
        public int Property; // index in the name list of the current property (objects)
        public int Index;    // index of the current item (arrays)
    }

    /// <summary>The first duplicate property name, as (path of the second occurrence, name), or null.</summary>
    /// <remarks>
    /// One pass of a <see cref="Utf8JsonReader"/> over the bytes: the names of the open objects are kept as hashes with
    /// the position of their bytes (compared only when two hashes collide), so a valid document costs no string per
    /// token; the path is formatted only for a duplicate found.
    /// </remarks>
    /// <exception cref="JsonException">The text is not JSON (left to the deserializer to report).</exception>
    public static (string Path, string Name)? FindDuplicate(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        var open = new List<Container>();
        var names = new List<Name>();
        var sets = new List<HashSet<int>>(); // one per depth of open objects, reused
        int depth = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    if (open.Count > 0 && !open[^1].IsObject)
                        Bump(open);
                    bool isObject = reader.TokenType == JsonTokenType.StartObject;
                    open.Add(new Container { IsObject = isObject, NamesStart = names.Count, Property = -1, Index = -1 });
                    if (isObject)
                    {
                        if (sets.Count == depth)
                            sets.Add([]);
                        sets[depth++].Clear();
                    }
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    var closed = open[^1];
                    open.RemoveAt(open.Count - 1);
                    names.RemoveRange(closed.NamesStart, names.Count - closed.NamesStart);
                    if (closed.IsObject)
                        depth--;
                    break;
                case JsonTokenType.PropertyName:
                    var name = Read(ref reader, utf8);
                    var top = open[^1];
                    if (!sets[depth - 1].Add(name.Hash) && IsSeen(utf8, names, top.NamesStart, name))
                        return (PathOf(utf8, open, names, name), Text(utf8, name));
                    top.Property = names.Count;
                    open[^1] = top;
                    names.Add(name);
                    break;
                default:
                    if (open.Count > 0 && !open[^1].IsObject)
                        Bump(open);
                    break;
            }
        }
        return null;
    }

    private static void Bump(List<Container> open)
    {
        var c = open[^1];
        c.Index++;
        open[^1] = c;
    }

    private static Name Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        byte[]? unescaped = null;
        ReadOnlySpan<byte> bytes = reader.ValueSpan;
        if (reader.ValueIsEscaped)
        {
            unescaped = new byte[reader.ValueSpan.Length];
            unescaped = unescaped[..reader.CopyString(unescaped)];
            bytes = unescaped;
        }
        var hash = new HashCode();
        hash.AddBytes(bytes);
        // The reader's position is the name's closing quote (values are slices of the input: it is one contiguous span).
        int start = (int)reader.TokenStartIndex + 1;
        return new Name(hash.ToHashCode(), start, reader.ValueSpan.Length, unescaped);
    }

    private static bool IsSeen(ReadOnlySpan<byte> utf8, List<Name> names, int from, Name name)
    {
        for (int i = from; i < names.Count; i++)
            if (names[i].Hash == name.Hash && names[i].Bytes(utf8).SequenceEqual(name.Bytes(utf8)))
                return true;
        return false;
    }

    private static string Text(ReadOnlySpan<byte> utf8, Name name) => Encoding.UTF8.GetString(name.Bytes(utf8));

    /// <summary>"$.services[3].realServers[1].port": the path of <paramref name="last"/>, a name in the innermost object.</summary>
    private static string PathOf(ReadOnlySpan<byte> utf8, List<Container> open, List<Name> names, Name last)
    {
        var path = new StringBuilder("$");
        for (int i = 0; i < open.Count - 1; i++)
        {
            if (open[i].IsObject)
                path.Append('.').Append(Text(utf8, names[open[i].Property]));
            else
                path.Append('[').Append(open[i].Index).Append(']');
        }
        return path.Append('.').Append(Text(utf8, last)).ToString();
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
