using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LvsTools.Core.Health;

/// <summary>
/// MISC_CHECK: runs the check's program with its arguments, then the server's address and port, and the environment
/// variables <see cref="AddressVariable"/> and <see cref="PortVariable"/>; exit code 0 within the timeout is healthy.
/// On timeout the program and its children are killed. The program is started from a thread inside the namespace,
/// so it runs there (a child process inherits the network namespace of the thread that forks it).
/// Equivalent to: ip netns exec NS PROGRAM ARGS... ADDR PORT
/// </summary>
internal static class CommandProbe
{
    /// <summary>The environment variable that holds the real server's address.</summary>
    public const string AddressVariable = "LVS_REAL_SERVER_ADDRESS";

    /// <summary>The environment variable that holds the port probed.</summary>
    public const string PortVariable = "LVS_REAL_SERVER_PORT";

    // What is kept of the program's standard error to say why it failed.
    private const int MaxErrorChars = 200;

    public static async Task<HealthProbeResult> RunAsync(HealthProber.Probe probe, CancellationToken cancellationToken)
    {
        string program;
        try
        {
            program = HealthCheckRules.ResolveProgram(probe.Check.Command);
        }
        catch (LvsException e) when (e.ErrorId == "HealthCheckCommandNotFound")
        {
            return probe.Unhealthy(e.Message); // removed since the check was validated: a failed check, not a broken controller
        }
        using var process = new Process { StartInfo = StartInfo(program, probe) };
        probe.Namespace.Verify();
        probe.Namespace.Run(() => process.Start());
        process.StandardInput.Close();
        var stderr = ReadHeadAsync(process.StandardError);
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        if (process.ExitCode == 0)
            return probe.Healthy();
        string why = (await stderr.ConfigureAwait(false)).Trim();
        return probe.Unhealthy($"exit code {process.ExitCode}" + (why.Length > 0 ? ": " + why : ""));
    }

    private static ProcessStartInfo StartInfo(string program, HealthProber.Probe probe)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in probe.Check.Command!.Skip(1))
            info.ArgumentList.Add(argument);
        string address = probe.Address.ToString(), port = probe.ProbePort.ToString(CultureInfo.InvariantCulture);
        info.ArgumentList.Add(address);
        info.ArgumentList.Add(port);
        info.Environment[AddressVariable] = address;
        info.Environment[PortVariable] = port;
        return info;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(1000);
        }
        catch (InvalidOperationException)
        {
            // it ended on its own meanwhile
        }
    }

    // The first line of standard error (clipped), read to the end so the program never blocks on a full pipe.
    private static async Task<string> ReadHeadAsync(StreamReader reader)
    {
        var head = new StringBuilder();
        var buffer = new char[1024];
        int n;
        while ((n = await reader.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            if (head.Length < MaxErrorChars)
                head.Append(buffer, 0, Math.Min(n, MaxErrorChars - head.Length));
        string text = head.ToString().TrimStart();
        int newline = text.IndexOfAny(['\r', '\n']);
        return newline >= 0 ? text[..newline] : text;
    }
}
