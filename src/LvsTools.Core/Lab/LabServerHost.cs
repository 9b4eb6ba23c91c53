using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;

namespace LvsTools.Core.Lab;

/// <summary>
/// The entry point of a lab's server process (started by <see cref="LabServerProcess.Start"/>; not for scripts): opens
/// every HTTP server of the lab inside its namespace, then serves the control socket until told to quit or killed.
/// Control lines: "ping"; "status"; "set NAME Up|Down|Slow|Hang DELAY_MS"; "quit".
/// </summary>
public static class LabServerHost
{
    private const int O_WRONLY = 1, O_APPEND = 0x400;

    public static void Run(string statePath)
    {
        // Its own session (a Ctrl+C in the creator's terminal does not reach it), stdio on its log, never a caller's pipe.
        LabNative.setsid();
        var lab = JsonSerializer.Deserialize<LvsLab>(File.ReadAllText(statePath), LvsLab.Json)!;
        lab.StatePath = statePath;
        int log = Native.open(lab.LogPath, O_WRONLY | Native.O_CREAT | O_APPEND | Native.O_CLOEXEC, 0x1a4);
        int nul = Native.open("/dev/null", Native.O_RDONLY | Native.O_CLOEXEC);
        LabNative.dup2(nul, 0);
        LabNative.dup2(log, 1);
        LabNative.dup2(log, 2);
        try
        {
            var family = lab.AddressFamily == IPFamily.IPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            var servers = new Dictionary<string, LabHttpServer>();
            foreach (var (name, ns, _) in lab.Servers())
            {
                var server = new LabHttpServer(lab.Name, name, NetNamespace.Resolve(ns), family, lab.Port);
                server.Set(LvsLabServerState.Up, TimeSpan.Zero);
                servers[name] = server;
            }
            File.Delete(lab.ControlPath);
            using var control = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            control.Bind(new UnixDomainSocketEndPoint(lab.ControlPath));
            control.Listen(64);
            while (true)
            {
                using var c = control.Accept();
                c.ReceiveTimeout = 10_000;
                string line = ReadLine(c);
                string reply = Handle(line, servers, out bool quit);
                c.Send(Encoding.UTF8.GetBytes(reply + "\n"));
                if (quit)
                    return;
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:O} lab '{lab.Name}': {e}");
            Console.Error.Flush();
            Environment.Exit(1);
        }
    }

    private static string ReadLine(Socket c)
    {
        var bytes = new List<byte>();
        var one = new byte[256];
        int n;
        while (bytes.Count < 4096 && (n = c.Receive(one)) > 0)
        {
            bytes.AddRange(one.AsSpan(0, n));
            if (one.AsSpan(0, n).Contains((byte)'\n'))
                break;
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Split('\n')[0].Trim();
    }

    private static string Handle(string line, Dictionary<string, LabHttpServer> servers, out bool quit)
    {
        quit = false;
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (words.FirstOrDefault())
        {
            case "ping":
                return $"ok {Environment.ProcessId}";
            case "quit":
                quit = true;
                return "ok";
            case "status":
                return "ok " + JsonSerializer.Serialize(servers.Values.Select(s => new LvsLabServerStatus(s.Name, s.State, (int)s.Delay.TotalMilliseconds)), LvsLab.Json)
                    .ReplaceLineEndings(" ");
            case "set" when words.Length == 4 && Enum.TryParse<LvsLabServerState>(words[2], out var state) && int.TryParse(words[3], out int ms) && ms >= 0:
                if (!servers.TryGetValue(words[1], out var server))
                    return $"error no server '{words[1]}'";
                try
                {
                    server.Set(state, TimeSpan.FromMilliseconds(ms));
                    return "ok";
                }
                catch (Exception e) when (e is SocketException or LvsException)
                {
                    return $"error {e.Message}";
                }
            default:
                return "error unknown command";
        }
    }
}
