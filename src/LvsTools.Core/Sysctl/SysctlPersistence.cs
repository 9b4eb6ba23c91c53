using System.Text;

namespace LvsTools.Core.Sysctl;

/// <summary>
/// Keeps settings across reboots in a sysctl.d file (default /etc/sysctl.d/90-lvstools.conf), updating the
/// key's line in place or appending it, leaving comments and other keys alone. The file is replaced
/// atomically: written beside the target, flushed to disk, then renamed over it.
/// </summary>
public static class SysctlPersistence
{
    /// <summary>The default file; the LVSTOOLS_SYSCTL_CONF environment variable overrides it.</summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("LVSTOOLS_SYSCTL_CONF") is { Length: > 0 } p ? p : "/etc/sysctl.d/90-lvstools.conf";

    /// <summary>
    /// Sets NAME = VALUE in <paramref name="path"/>: read, change, replace, under the file's <see cref="WriterLock"/>, so
    /// that concurrent writers (processes or runspaces) never lose each other's lines.
    /// </summary>
    public static void Save(string path, IEnumerable<(SysctlName Name, string Value)> settings)
    {
        using var held = WriterLock.ForFile(path);
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [$"# Written by LvsTools (Set-Sysctl -Persist). Applied at boot by systemd-sysctl."];
        foreach (var (name, value) in settings)
        {
            string line = $"{name.Dotted} = {value}";
            int at = lines.FindIndex(l => KeyOf(l) is { } k && SameKey(k, name));
            if (at >= 0)
                lines[at] = line;
            else
                lines.Add(line);
        }
        Replace(path, lines);
    }

    /// <summary>Removes the lines that set <paramref name="names"/> from <paramref name="path"/> (under its lock), leaving the rest.</summary>
    public static void Remove(string path, IEnumerable<SysctlName> names)
    {
        using var held = WriterLock.ForFile(path);
        if (!File.Exists(path))
            return;
        var gone = names.ToList();
        var lines = File.ReadAllLines(path).Where(l => !(KeyOf(l) is { } k && gone.Any(n => SameKey(k, n)))).ToList();
        Replace(path, lines);
    }

    // Writes the lines beside the file, flushed to disk, then renamed over it.
    private static void Replace(string path, List<string> lines)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                fs.Write(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new LvsException(LvsErrorKind.PermissionDenied, "PermissionDenied", $"Cannot write '{path}': permission denied.", path, e);
        }
        finally
        {
            if (File.Exists(tmp))
                File.Delete(tmp);
        }
    }

    /// <summary>The value a sysctl.d file sets for a key, or null.</summary>
    public static string? Lookup(string path, SysctlName name)
    {
        if (!File.Exists(path))
            return null;
        foreach (var l in File.ReadLines(path).Reverse())
            if (KeyOf(l) is { } k && SameKey(k, name))
                return l[(l.IndexOf('=') + 1)..].Trim();
        return null;
    }

    private static string? KeyOf(string line)
    {
        var t = line.TrimStart();
        if (t.StartsWith('#') || t.StartsWith(';'))
            return null;
        int eq = t.IndexOf('=');
        return eq > 0 ? t[..eq].Trim().TrimStart('-') : null;
    }

    private static bool SameKey(string key, SysctlName name)
    {
        try { return SysctlName.Parse(key).Equals(name); }
        catch (LvsException) { return false; }
    }
}
