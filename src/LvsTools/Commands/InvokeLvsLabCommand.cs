using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Harness;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Runs a PowerShell command with a real IPVS kernel: here when the running kernel has IPVS, else (or with -Uml) inside
/// the User-mode Linux kernel, with this module imported and the folder visible. The output streams as it comes, like a
/// native command's; $LASTEXITCODE is the command's exit status; -PassThru adds an LvsLabRunResult.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "LvsLab", DefaultParameterSetName = "Command")]
[OutputType(typeof(string), typeof(LvsLabRunResult))]
public sealed class InvokeLvsLabCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The folder the command runs in (its working directory); default the current location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = ".";

    /// <summary>The command as a script block (its text runs in a new pwsh: variables of this session are not there).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "ScriptBlock")]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>The command as PowerShell text; the words after `--` bind here (`Invoke-LvsLab -- Invoke-Pester -CI`).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromRemainingArguments = true, ParameterSetName = "Command")]
    [ValidateNotNullOrEmpty]
    public string[] Command { get; set; } = [];

    /// <summary>Boot User-mode Linux even when the running kernel has IPVS.</summary>
    [Parameter]
    public SwitchParameter Uml { get; set; }

    /// <summary>The guest's RAM in bytes (2GB, 1536MB); at least 256MB.</summary>
    [Parameter]
    [ValidateRange(256L << 20, 64L << 30)]
    public long Memory { get; set; } = 2L << 30;

    /// <summary>How long the command may run (a number is seconds); then it is stopped and the exit status is 124.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>After the output, write an LvsLabRunResult (ExitCode, Duration, Kernel, Path, Command).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        if (Timeout <= TimeSpan.Zero)
            ThrowTerminatingError(ErrorMapper.ToRecord(LvsException.Invalid("InvalidTimeout", $"-Timeout {Timeout} is not positive.", Timeout), "LvsLab", Timeout));
        string folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        string moduleDir = System.IO.Path.GetDirectoryName(typeof(InvokeLvsLabCommand).Assembly.Location)!;
        string manifest = System.IO.Path.Combine(moduleDir, "LvsTools.psd1");
        string command = ScriptBlock is not null ? $"& {{{ScriptBlock}}}" : string.Join(' ', Command);
        var environment = new Dictionary<string, string>();
        // The module's own folder first (Import-Module LvsTools by name finds this copy), then this session's module path.
        string parent = System.IO.Path.GetFileName(moduleDir) == "LvsTools" ? System.IO.Path.GetDirectoryName(moduleDir)! + ":" : "";
        environment["PSModulePath"] = parent + (Environment.GetEnvironmentVariable("PSModulePath") ?? "");
        var request = new LabRunRequest
        {
            Folder = folder,
            Pwsh = System.IO.Path.Combine(SessionState.PSVariable.GetValue("PSHOME") as string ?? "", "pwsh"),
            Script = $"$ErrorActionPreference = 'Stop'; Import-Module -Name '{manifest.Replace("'", "''")}'; $ErrorActionPreference = 'Continue'\n{command}",
            HarnessFolder = System.IO.Path.Combine(moduleDir, "uml"),
            Expose = [moduleDir, SessionState.PSVariable.GetValue("PSHOME") as string ?? moduleDir],
            MemoryBytes = Memory, Timeout = Timeout, Environment = environment,
        };
        bool uml = Uml || !LabRunner.HostHasIpvs();
        if (LabRunner.Check(request, uml) is { } problem)
            ThrowTerminatingError(ErrorMapper.ToRecord(problem, "LvsLab", folder));
        WriteVerbose(uml
            ? (Uml ? "Invoke-LvsLab: -Uml: booting User-mode Linux." : "Invoke-LvsLab: the running kernel has no IPVS" +
                (LabRunner.IpvsModuleNotLoaded() ? " loaded (ip_vs is a module of it: modprobe ip_vs to run here)" : "") + ": booting User-mode Linux.")
            : "Invoke-LvsLab: the running kernel has IPVS: the command runs here.");
        RunAndStream(request, uml, command, folder);
    }

    private void RunAndStream(LabRunRequest request, bool uml, string command, string folder)
    {
        var lines = new BlockingCollection<(bool Harness, string Text)>();
        var harnessLines = new List<string>();
        var watch = Stopwatch.StartNew();
        var run = Task.Run(() =>
        {
            try
            {
                return LabRunner.Run(request, uml, l => lines.Add((false, l)), l => lines.Add((true, l)), _stop.Token);
            }
            finally
            {
                lines.CompleteAdding();
            }
        });
        foreach (var (harness, text) in lines.GetConsumingEnumerable())
        {
            if (!harness)
            {
                WriteObject(text);
                continue;
            }
            harnessLines.Add(text);
            WriteVerbose(text);
        }
        int exit = run.GetAwaiter().GetResult();
        watch.Stop();
        SessionState.PSVariable.Set("global:LASTEXITCODE", exit);
        string where = uml ? "the User-mode Linux guest" : "this kernel";
        if (uml && exit == LabRunner.ExitHarness && harnessLines.Count > 0)
            WriteError(new ErrorRecord(new InvalidOperationException(
                $"The User-mode Linux guest failed to boot or never reported an exit status (uml-run.sh exited with 125). What it said:{Environment.NewLine}" +
                string.Join(Environment.NewLine, harnessLines.TakeLast(40))), "LvsLabBootFailed", ErrorCategory.ResourceUnavailable, folder));
        else if (exit == LabRunner.ExitTimeout && harnessLines.Any(l => l.Contains("TIMEOUT", StringComparison.Ordinal) || l.Contains("did not finish", StringComparison.Ordinal)))
            WriteError(new ErrorRecord(new TimeoutException($"The command did not finish within {Timeout.TotalSeconds} s (-Timeout) in {where}: it was stopped (exit status 124)."),
                "LvsLabTimeout", ErrorCategory.OperationTimeout, folder));
        WriteVerbose($"Invoke-LvsLab: exit status {exit} after {watch.Elapsed.TotalSeconds:0.0} s in {where}.");
        if (PassThru)
            WriteObject(new LvsLabRunResult(exit, watch.Elapsed, uml ? LvsLabKernel.Uml : LvsLabKernel.Host, folder, command));
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}
