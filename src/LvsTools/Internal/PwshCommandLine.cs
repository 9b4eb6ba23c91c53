namespace LvsTools.Internal;

/// <summary>
/// What pwsh's own command line says about the process: whether it runs one command or script and then exits
/// (`pwsh -c ...`, `pwsh -File x.ps1`, `pwsh x.ps1`, without -NoExit), as systemd runs a service, rather than a session
/// a user types into. A long-running cmdlet that Ctrl+C stops uses it to end such a process with exit code 0 (a stop it
/// asked for, not a failure) without ever closing an interactive session.
/// The switches are matched as pwsh's CommandLineParameterParser matches them: '-' or '--' (or '/') in front, any
/// prefix of the name at least as long as its shortest unambiguous form, case-insensitive; the first argument that is
/// not a switch is the script (-File); everything after -Command or -File belongs to the command or the script.
/// </summary>
internal static class PwshCommandLine
{
    // Switches that take the next argument as their value (so it is not read as a switch or a script).
    private static readonly (string Name, string Shortest)[] WithValue =
    [
        ("configurationname", "config"), ("custompipename", "cus"), ("outputformat", "o"), ("of", "o"), ("inputformat", "inp"),
        ("if", "if"), ("executionpolicy", "ex"), ("ep", "ep"), ("encodedarguments", "encodeda"), ("ea", "ea"),
        ("settingsfile", "settings"), ("workingdirectory", "wo"), ("wd", "wd"), ("windowstyle", "w"),
    ];

    // Switches without a value that pwsh knows (anything else starts the script, as pwsh reads it).
    private static readonly (string Name, string Shortest)[] Plain =
    [
        ("login", "l"), ("noprofile", "nop"), ("nologo", "nol"), ("noninteractive", "noni"), ("interactive", "i"),
        ("sta", "sta"), ("mta", "mta"),
    ];

    /// <summary>
    /// True when <paramref name="args"/> (Environment.GetCommandLineArgs() of a pwsh process, the program first) run a
    /// command or a script and then end the process: -Command (not "-", which reads commands from stdin), -EncodedCommand,
    /// -File or a script path, and no -NoExit before it. False for an interactive session and for anything else.
    /// </summary>
    public static bool EndsAfterCommand(IReadOnlyList<string> args)
    {
        bool noExit = false;
        for (int i = 1; i < args.Count; i++)
        {
            string key = args[i].Trim();
            if (key.Length == 0)
                continue;
            if (key[0] is not ('-' or '/'))
                return !noExit; // a script path: pwsh -File implied
            key = key[1..];
            if (key.Length > 0 && key[0] == '-')
                key = key[1..];
            if (Match(key, "noexit", "noe"))
                noExit = true;
            else if (Match(key, "command", "c") || Match(key, "encodedcommand", "e") || Match(key, "ec", "e"))
                return !noExit && i + 1 < args.Count && args[i + 1] != "-";
            else if (Match(key, "file", "f"))
                return !noExit && i + 1 < args.Count && args[i + 1] != "-";
            else if (Match(key, "version", "v") || Match(key, "help", "h") || key == "?")
                return false;
            else if (WithValue.Any(s => Match(key, s.Name, s.Shortest)))
                i++;
            else if (!Plain.Any(s => Match(key, s.Name, s.Shortest)))
                return !noExit; // an unknown switch: pwsh takes it as the script's path
        }
        return false;
    }

    private static bool Match(string key, string name, string shortest) =>
        key.Length >= shortest.Length && name.StartsWith(key, StringComparison.OrdinalIgnoreCase);
}
