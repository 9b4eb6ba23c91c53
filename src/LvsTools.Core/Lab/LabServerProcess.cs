using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace LvsTools.Core.Lab;

/// <summary>
/// The parent's side of a lab's server process: starting it (a PowerShell that loads this assembly and runs
/// <see cref="LabServerHost.Run"/>), finding it again (its command line names the lab's state file), and talking to
/// it over its control socket.
/// </summary>
public static class LabServerProcess
{
    /// <summary>The variable that picks the server process's host: "dotnet", "pwsh", or unset (dotnet when found).</summary>
    public const string HostVariable = "LVSTOOLS_LAB_SERVER_HOST";

    /// <summary>
    /// How the server process is started: the dotnet host running LvsTools.LabServer.dll (beside this assembly) when
    /// both are found, else <paramref name="pwsh"/> loading this assembly. $env:LVSTOOLS_LAB_SERVER_HOST = "pwsh" or
    /// "dotnet" asks for one of them (a self-contained pwsh has no dotnet host; a dotnet host may lack the runtime
    /// this assembly needs). The command line names the state file.
    /// </summary>
    public static ProcessStartInfo Command(LvsLab lab, string? pwsh)
    {
        var folder = Path.GetDirectoryName(typeof(LabServerHost).Assembly.Location)!;
        var program = Path.Combine(folder, "LvsTools.LabServer.dll");
        var info = new ProcessStartInfo { UseShellExecute = false };
        var wanted = Environment.GetEnvironmentVariable(HostVariable);
        if (!string.IsNullOrEmpty(wanted) && wanted is not ("dotnet" or "pwsh"))
            throw LvsException.Invalid("InvalidLabServerHost",
                $"${HostVariable} is '{wanted}': it names the lab server's host, 'dotnet' or 'pwsh' (or unset: dotnet when found).", wanted);
        if (wanted == "dotnet" && !(File.Exists(program) && DotnetHost() is not null))
            throw new LvsException(LvsErrorKind.NotInstalled, "LvsLabServerFailed",
                $"${HostVariable} asks for the dotnet host, but {(File.Exists(program) ? "no dotnet host was found" : "LvsTools.LabServer.dll is not beside the module")}.", lab.Name);
        if (wanted != "pwsh" && File.Exists(program) && DotnetHost() is { } dotnet)
        {
            info.FileName = dotnet;
            foreach (var a in new[] { "exec", program, lab.StatePath })
                info.ArgumentList.Add(a);
            return info;
        }
        info.FileName = pwsh ?? throw new LvsException(LvsErrorKind.NotInstalled, "LvsLabServerFailed",
            "Neither a dotnet host nor pwsh was found to run the lab's HTTP servers.", lab.Name);
        foreach (var a in new[] { "-NoLogo", "-NoProfile", "-NonInteractive", "-Command",
            $"Add-Type -LiteralPath {Quote(typeof(LabServerHost).Assembly.Location)}; [LvsTools.Core.Lab.LabServerHost]::Run({Quote(lab.StatePath)})" })
            info.ArgumentList.Add(a);
        return info;
    }

    // The dotnet host of the runtime this process runs on: the process itself (pwsh as a .NET tool), or the muxer at
    // the root of the shared runtime (DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/). A self-contained pwsh has none.
    private static string? DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet")
            return self;
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var root = runtime is null ? null : Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        foreach (var candidate in new[] { root, Environment.GetEnvironmentVariable("DOTNET_ROOT") })
            if (!string.IsNullOrEmpty(candidate) && File.Exists(Path.Combine(candidate, "dotnet")))
                return Path.Combine(candidate, "dotnet");
        return null;
    }

    /// <summary>
    /// Starts the server process (see <see cref="Command"/>) and waits until it answers on its control socket (every
    /// HTTP server listening). Returns its process id.
    /// </summary>
    /// <exception cref="LvsException">LvsLabServerFailed, with the process's log, when it exits or does not answer in time.</exception>
    public static int Start(LvsLab lab, string? pwsh, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var info = Command(lab, pwsh);
        // Pipes of our own that are closed at once: the server never holds the caller's stdout (a CI log would
        // wait for it); it writes to its log file instead.
        info.RedirectStandardInput = info.RedirectStandardOutput = info.RedirectStandardError = true;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new LvsException(LvsErrorKind.NotInstalled, "LvsLabServerFailed",
                $"Cannot start the lab's HTTP servers with '{info.FileName}': {e.Message}", lab.Name, e);
        }
        using (process)
        {
            process.StandardInput.Close();
            process.StandardOutput.Close();
            process.StandardError.Close();
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                if (TrySend(lab, "ping", out var reply) && reply.StartsWith("ok", StringComparison.Ordinal))
                    return process.Id;
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    var why = process.HasExited ? $"exited with code {process.ExitCode}" : $"did not answer within {timeout.TotalSeconds:0} s";
                    if (!process.HasExited)
                        process.Kill();
                    var log = File.Exists(lab.LogPath) ? File.ReadAllText(lab.LogPath).Trim() : "";
                    throw new LvsException(LvsErrorKind.OperationFailed, "LvsLabServerFailed",
                        $"The HTTP servers of lab '{lab.Name}' did not start: the server process {why}." + (log.Length > 0 ? " Its log: " + log : ""), lab.Name);
                }
                Thread.Sleep(50);
            }
        }
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>Sends one command line to the server process and returns its answer.</summary>
    /// <exception cref="LvsException">LvsLabServerNotRunning when nothing answers on the control socket.</exception>
    public static string Send(LvsLab lab, string command)
    {
        if (TrySend(lab, command, out var reply))
            return reply;
        throw new LvsException(LvsErrorKind.NotFound, "LvsLabServerNotRunning",
            $"The HTTP servers of lab '{lab.Name}' are not running (nothing answers on {lab.ControlPath}): remove the lab and create it again.", lab.Name);
    }

    private static bool TrySend(LvsLab lab, string command, out string reply)
    {
        reply = "";
        if (!File.Exists(lab.ControlPath))
            return false;
        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.ReceiveTimeout = s.SendTimeout = 10_000;
            s.Connect(new UnixDomainSocketEndPoint(lab.ControlPath));
            s.Send(Encoding.UTF8.GetBytes(command + "\n"));
            s.Shutdown(SocketShutdown.Send);
            var buffer = new MemoryStream();
            var chunk = new byte[4096];
            int n;
            while ((n = s.Receive(chunk)) > 0)
                buffer.Write(chunk, 0, n);
            reply = Encoding.UTF8.GetString(buffer.ToArray()).TrimEnd('\n');
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Whether the lab's server process runs.</summary>
    public static bool IsRunning(LvsLab lab) => ProcessesOf(lab).Any();

    /// <summary>The processes whose command line names the lab's state file: its server process (a recycled pid never does).</summary>
    public static IEnumerable<int> ProcessesOf(LvsLab lab)
    {
        var marker = Encoding.UTF8.GetBytes(lab.StatePath);
        if (lab.ServerProcessId > 0 && Names(lab.ServerProcessId, marker))
        {
            yield return lab.ServerProcessId;
            yield break;
        }
        // The recorded pid is gone or was never written (the creating process died first): look for the marker.
        foreach (int pid in ProcessesNaming(lab.StatePath))
            yield return pid;
    }

    /// <summary>The processes whose command line contains <paramref name="statePath"/>.</summary>
    public static IEnumerable<int> ProcessesNaming(string statePath)
    {
        var marker = Encoding.UTF8.GetBytes(statePath);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out int pid) && pid != Environment.ProcessId && Names(pid, marker))
                yield return pid;
    }

    private static bool Names(int pid, byte[] marker)
    {
        try
        {
            return IsAlive(pid) && File.ReadAllBytes($"/proc/{pid}/cmdline").AsSpan().IndexOf(marker) >= 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            char state = stat[stat.LastIndexOf(')') + 2];
            return state is not 'Z' and not 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return false;
        }
    }
}
