using System.Text.Json;

namespace LvsTools.Core.Lab;

/// <summary>
/// Where labs are written down: one NAME.json per lab (with NAME.sock, the control socket of its server process, and
/// NAME.log beside it) in /run/lvstools/labs, or the folder $env:LVSTOOLS_LAB_STATE names. /run is a tmpfs: a reboot,
/// which also ends every namespace, forgets every lab.
/// </summary>
public sealed class LabStore
{
    public const string DefaultDirectory = "/run/lvstools/labs";
    public const string EnvironmentVariable = "LVSTOOLS_LAB_STATE";

    // sockaddr_un holds 108 bytes with the terminating NUL.
    private const int MaxSocketPath = 107;

    public LabStore(string? directory = null)
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        Directory = Path.GetFullPath(directory ?? (string.IsNullOrEmpty(env) ? DefaultDirectory : env));
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name + ".json");

    /// <summary>
    /// Takes the lab's name: writes its state file, which must not exist yet. From then on Remove-LvsLab can undo
    /// whatever part of the lab gets built, even if this process dies.
    /// </summary>
    /// <exception cref="LvsException">LvsLabExists, LvsLabStatePathTooLong.</exception>
    public void Claim(LvsLab lab)
    {
        lab.StatePath = PathOf(lab.Name);
        if (System.Text.Encoding.UTF8.GetByteCount(lab.ControlPath) > MaxSocketPath)
            throw LvsException.Invalid("LvsLabStatePathTooLong",
                $"The lab's control socket '{lab.ControlPath}' would be longer than {MaxSocketPath} bytes: choose a shorter name or state folder.", lab.Name);
        System.IO.Directory.CreateDirectory(Directory);
        // Written whole under a name of its own, then linked in place (File.Move without overwrite: link(2), which
        // fails when the name exists): a state file is never seen empty, even when this process is killed here.
        var tmp = $"{lab.StatePath}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(lab, LvsLab.Json));
        try
        {
            File.Move(tmp, lab.StatePath, overwrite: false);
        }
        catch (IOException) when (File.Exists(lab.StatePath))
        {
            throw Exists(lab.Name);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    public static LvsException Exists(string name) =>
        new(LvsErrorKind.AlreadyExists, "LvsLabExists",
            $"A lab named '{name}' exists already: remove it (Remove-LvsLab -Name {name}) or choose another name.", name);

    /// <summary>Rewrites the lab's state file (whole, by rename).</summary>
    public void Save(LvsLab lab)
    {
        var tmp = lab.StatePath + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(lab, LvsLab.Json));
        File.Move(tmp, lab.StatePath, overwrite: true);
    }

    /// <summary>The lab of that name, or null.</summary>
    public LvsLab? Find(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) ? Read(path) : null;
    }

    /// <summary>Every lab written down here, by name; a state file that cannot be read is reported to <paramref name="unreadable"/>.</summary>
    public List<LvsLab> List(Action<string, Exception>? unreadable = null)
    {
        var labs = new List<LvsLab>();
        if (!System.IO.Directory.Exists(Directory))
            return labs;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                labs.Add(Read(path));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or FormatException)
            {
                unreadable?.Invoke(path, e);
            }
        }
        return labs;
    }

    private static LvsLab Read(string path)
    {
        var lab = JsonSerializer.Deserialize<LvsLab>(File.ReadAllText(path), LvsLab.Json)
            ?? throw new JsonException("empty state file");
        lab.StatePath = path;
        bool server = LabServerProcess.IsRunning(lab);
        bool namespaces = lab.Namespaces.All(NamedNetNamespace.Exists);
        lab.Status = !lab.Complete ? "Incomplete" : server && namespaces ? "Ready" : "Broken";
        return lab;
    }

    /// <summary>Deletes the lab's files (state, control socket, log).</summary>
    public static void Forget(LvsLab lab) => Forget(lab.StatePath);

    /// <summary>Deletes the files of the lab whose state file is <paramref name="statePath"/>.</summary>
    public static void Forget(string statePath)
    {
        foreach (var f in new[] { Path.ChangeExtension(statePath, ".sock"), Path.ChangeExtension(statePath, ".log"), statePath + ".tmp", statePath })
            File.Delete(f);
    }
}
