using System.Text;
using System.Text.RegularExpressions;
using LvsTools.Core.Config;

namespace LvsTools.Core.Keepalived;

/// <summary>One statement of keepalived.conf: a keyword, its arguments, its block (null: none), and where it was written.</summary>
internal sealed record KeepalivedNode(string Keyword, IReadOnlyList<string> Args, List<KeepalivedNode>? Block, string File, int Line)
{
    /// <summary>"keepalived.conf:12", as every message names a statement.</summary>
    public string Where => $"{File}:{Line}";
}

/// <summary>
/// keepalived.conf's syntax as keepalived 2.2 reads it (keepalived.conf(5), "Quoted strings"; lib/parser.c): one statement a
/// line; `#` and `!` start a comment outside quotes; "…" and '…' quote (the quotes go, the text between stays one word,
/// with the shell's escapes in "…"); `{` opens the block of the statement before it and the rest of its line is the block's
/// first statement; `}` closes it; `include GLOB` reads the matching files (sorted, relative to the including file's folder)
/// in place. Nothing here knows a keyword but `include`: <see cref="KeepalivedReader"/> gives them meaning.
/// </summary>
internal sealed class KeepalivedSyntax
{
    /// <summary>How deep includes may nest (keepalived's own limit is lower than any sensible layout needs).</summary>
    public const int MaxIncludeDepth = 32;

    private readonly Stack<string> _reading = new();
    private readonly List<string> _notes;
    private long _bytes;

    private KeepalivedSyntax(List<string> notes) => _notes = notes;

    /// <summary>The statements of a file and what it includes.</summary>
    /// <param name="path">A file-system path.</param>
    /// <param name="notes">Receives what was skipped (an include that matched no file).</param>
    /// <exception cref="LvsException">KeepalivedConfigFileNotFound, KeepalivedSyntaxError, KeepalivedIncludeLoop,
    /// KeepalivedIncludeNotFound, InputTooLarge; each naming the file and line.</exception>
    public static List<KeepalivedNode> ParseFile(string path, List<string> notes)
    {
        var s = new KeepalivedSyntax(notes);
        return s.Build(s.ReadFile(Path.GetFullPath(path), path, null));
    }

    /// <summary>The statements of text that did not come from a file (its includes are relative to <paramref name="folder"/>).</summary>
    public static List<KeepalivedNode> ParseText(string text, string name, string folder, List<string> notes)
    {
        var s = new KeepalivedSyntax(notes);
        s.Count(Encoding.UTF8.GetByteCount(text), name);
        return s.Build(s.Lines(text, name, folder));
    }

    /// <summary>A line's words (unquoted braces are words of their own), with where the line is.</summary>
    private sealed record Line(List<(string Text, bool Quoted)> Words, string File, int Number);

    private IEnumerable<Line> ReadFile(string full, string shownAs, KeepalivedNode? from)
    {
        if (_reading.Contains(full))
            throw LvsException.Invalid("KeepalivedIncludeLoop",
                $"{from!.Where}: include '{from.Args[0]}' reads '{full}' again, which is already being read ({string.Join(" -> ", _reading.Reverse())} -> {full}).", full);
        if (_reading.Count >= MaxIncludeDepth)
            throw LvsException.Invalid("KeepalivedIncludeLoop", $"{from!.Where}: includes nest deeper than {MaxIncludeDepth} files.", full);
        var bytes = BoundedInput.ReadAllBytes(full, shownAs, "KeepalivedConfigFileNotFound");
        Count(bytes.Length, full);
        _reading.Push(full);
        try
        {
            foreach (var line in Lines(new UTF8Encoding(false).GetString(bytes), full, Path.GetDirectoryName(full) ?? "/"))
                yield return line;
        }
        finally
        {
            _reading.Pop();
        }
    }

    private void Count(long bytes, string name)
    {
        _bytes += bytes;
        if (_bytes > BoundedInput.MaxInputBytes)
            throw BoundedInput.TooLarge($"'{name}' with what it includes", name, BoundedInput.MaxInputBytes);
    }

    private IEnumerable<Line> Lines(string text, string file, string folder)
    {
        int number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var words = Words(raw.TrimEnd('\r'), file, number);
            if (words.Count == 0)
                continue;
            if (words[0] is ("include", false))
            {
                if (words.Count != 2)
                    throw Syntax(file, number, "include takes one file name or pattern");
                var at = new KeepalivedNode("include", [words[1].Text], null, file, number);
                foreach (var line in Include(at, folder))
                    yield return line;
                continue;
            }
            yield return new Line(words, file, number);
        }
    }

    private IEnumerable<Line> Include(KeepalivedNode at, string folder)
    {
        string pattern = at.Args[0];
        string full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(folder, pattern);
        bool wild = pattern.IndexOfAny(['*', '?', '[']) >= 0;
        if (!wild && !File.Exists(full))
            throw new LvsException(LvsErrorKind.NotFound, "KeepalivedIncludeNotFound", $"{at.Where}: include '{pattern}': '{full}' does not exist.", pattern);
        var files = wild ? Glob(full) : [full];
        if (files.Count == 0)
            _notes.Add($"{at.Where}: include '{pattern}' matches no file (keepalived goes on without it).");
        foreach (var f in files)
            foreach (var line in ReadFile(Path.GetFullPath(f), f, at))
                yield return line;
    }

    /// <summary>The files a glob(7) pattern matches (*, ?, [...] in any part of the path), sorted as glob(3) sorts them.</summary>
    internal static List<string> Glob(string pattern)
    {
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var found = new List<string> { pattern.StartsWith('/') ? "/" : "." };
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            var next = new List<string>();
            foreach (var dir in found)
            {
                if (parts[i].IndexOfAny(['*', '?', '[']) < 0)
                {
                    var p = Path.Combine(dir, parts[i]);
                    if (last ? File.Exists(p) : Directory.Exists(p)) next.Add(p);
                    continue;
                }
                if (!Directory.Exists(dir)) continue;
                var re = new Regex("^" + GlobPart(parts[i]) + "$", RegexOptions.CultureInvariant);
                var entries = last ? Directory.EnumerateFiles(dir) : Directory.EnumerateDirectories(dir);
                next.AddRange(entries.Where(e => Path.GetFileName(e) is var n && !n.StartsWith('.') && re.IsMatch(n)));
            }
            found = next;
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static string GlobPart(string part)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < part.Length; i++)
        {
            char c = part[i];
            int close = c == '[' ? part.IndexOf(']', i + 2) : -1;
            if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else if (close > 0)
            {
                string set = part[(i + 1)..close];
                sb.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                i = close;
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.ToString();
    }

    /// <summary>A line split into words: quotes removed (their text one word), comments cut, braces words of their own.</summary>
    private static List<(string Text, bool Quoted)> Words(string line, string file, int number)
    {
        var words = new List<(string, bool)>();
        var word = new StringBuilder();
        bool inWord = false, quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c is '"' or '\'')
            {
                int end = i + 1;
                while (end < line.Length && line[end] != c)
                    end += c == '"' && line[end] == '\\' ? 2 : 1;
                if (end >= line.Length)
                    throw Syntax(file, number, $"the quoted string that starts at column {i + 1} does not end on its line");
                string inner = line[(i + 1)..end];
                word.Append(c == '"' ? Unescape(inner) : inner);
                inWord = quoted = true;
                i = end;
            }
            else if (c is '#' or '!' || char.IsWhiteSpace(c) || c is '{' or '}')
            {
                if (inWord) words.Add((word.ToString(), quoted));
                word.Clear();
                inWord = quoted = false;
                if (c is '#' or '!') break;
                if (c is '{' or '}') words.Add((c.ToString(), false));
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) words.Add((word.ToString(), quoted));
        return words;
    }

    /// <summary>The escapes of a "…" string as keepalived reads them: \a \b \E \f \n \r \t \v, \nnn (octal), \xXX (hex),
    /// \cC (control-C); any other \C is C.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\'))
            return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length)
            {
                sb.Append(s[i]);
                continue;
            }
            char c = s[++i];
            int start = i, n;
            switch (c)
            {
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'E': sb.Append('\x1b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'c' when i + 1 < s.Length: sb.Append((char)(s[++i] & 0x1f)); break;
                case >= '0' and <= '7':
                    for (n = 0; i < s.Length && i - start < 3 && s[i] is >= '0' and <= '7'; i++) n = n * 8 + (s[i] - '0');
                    sb.Append((char)(n & 0xff));
                    i--;
                    break;
                case 'x' when i + 1 < s.Length && char.IsAsciiHexDigit(s[i + 1]):
                    for (n = 0, i++; i < s.Length && char.IsAsciiHexDigit(s[i]); i++) n = (n * 16 + Convert.ToInt32(s[i].ToString(), 16)) & 0xff;
                    sb.Append((char)n);
                    i--;
                    break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Lines into statements and blocks; every `{` must close, no `}` may close what is not open.</summary>
    private List<KeepalivedNode> Build(IEnumerable<Line> lines)
    {
        var top = new List<KeepalivedNode>();
        var open = new Stack<(List<KeepalivedNode> Into, KeepalivedNode Owner)>();
        List<KeepalivedNode> current = top;
        foreach (var line in lines)
        {
            var pending = new List<string>();
            void Flush(bool block)
            {
                if (pending.Count == 0)
                {
                    if (block) throw Syntax(line.File, line.Number, "'{' opens a block without a keyword before it");
                    return;
                }
                var node = new KeepalivedNode(pending[0], pending.Skip(1).ToList(), block ? [] : null, line.File, line.Number);
                current.Add(node);
                if (block)
                {
                    open.Push((current, node));
                    current = node.Block!;
                }
                pending.Clear();
            }
            foreach (var (text, quoted) in line.Words)
            {
                if (!quoted && text == "{") Flush(true);
                else if (!quoted && text == "}")
                {
                    Flush(false);
                    if (open.Count == 0) throw Syntax(line.File, line.Number, "'}' closes a block that was never opened");
                    current = open.Pop().Into;
                }
                else pending.Add(text);
            }
            Flush(false);
        }
        if (open.Count > 0)
        {
            var owner = open.Peek().Owner;
            throw Syntax(owner.File, owner.Line, $"the block of '{owner.Keyword}' is never closed ({open.Count} '}}' missing at the end)");
        }
        return top;
    }

    internal static LvsException Syntax(string file, int line, string why) =>
        LvsException.Invalid("KeepalivedSyntaxError", $"{file}:{line}: {why}.", $"{file}:{line}");
}
