using System.Globalization;
using LvsTools.Core.Netlink;

namespace LvsTools.Core;

/// <summary>Who holds a writers' lock, for the message of a writer that waited in vain.</summary>
public sealed partial class WriterLock
{
    private static LvsException TimedOut(string path, string description, TimeSpan wait, int? holder) =>
        new(LvsErrorKind.ResourceBusy, "LvsLockTimeout",
            $"Another writer has held the lock of {description} for more than {wait.TotalSeconds:0.###} s " +
            $"({(holder is { } pid ? HolderText(pid) : "holder unknown")}; lock file {path}). " +
            "This change was not made. Try again when it has finished, or set LVSTOOLS_LOCK_TIMEOUT (seconds) to wait longer.", path);

    private static string HolderText(int pid)
    {
        if (pid == Environment.ProcessId)
            return $"held by this process, pid {pid}: another runspace or thread";
        string comm = "";
        try { comm = File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return comm.Length > 0 ? $"held by pid {pid} ({comm})" : $"held by pid {pid}";
    }

    /// <summary>The pid that holds the flock on <paramref name="path"/>, from /proc/locks, or null.</summary>
    public static int? Holder(string path)
    {
        if (!Native.Stat(path, out var st, out _))
            return null;
        try
        {
            foreach (var line in File.ReadLines("/proc/locks"))
            {
                // "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; a waiter's line has "->" before FLOCK.
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int at = Array.IndexOf(f, "FLOCK");
                if (at < 1 || f[at - 1] == "->" || f.Length < at + 5)
                    continue;
                var id = f[at + 4].Split(':');
                if (id.Length == 3 && ulong.TryParse(id[2], out var ino) && ino == st.Inode
                    && uint.TryParse(id[0], NumberStyles.HexNumber, null, out var major) && major == st.DeviceMajor
                    && uint.TryParse(id[1], NumberStyles.HexNumber, null, out var minor) && minor == st.DeviceMinor
                    && int.TryParse(f[at + 3], out var pid))
                    return pid;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
