using System.Management.Automation;
using LvsTools.Core.Lab;
using LvsTools.Core.Route;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Builds a lab: network namespaces for a client, a director and real servers, linked as the mode needs, with an HTTP
/// server in every real server. The IPVS service is left to the script under test.
/// </summary>
[Cmdlet(VerbsCommon.New, "LvsLab", SupportsShouldProcess = true)]
[OutputType(typeof(LvsLab))]
public sealed class NewLvsLabCommand : LabCommandBase
{
    /// <summary>The topology: Nat, DirectRouting or Tunnel.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public LvsLabMode Mode { get; set; }

    /// <summary>How many real servers (1 to 250). Default 2.</summary>
    [Parameter]
    [ValidateRange(1, LabPlan.MaxRealServers)]
    public int RealServerCount { get; set; } = 2;

    /// <summary>IPv4 (default) or IPv6.</summary>
    [Parameter]
    public IPFamily AddressFamily { get; set; } = IPFamily.IPv4;

    /// <summary>Adds a sorry server (its HTTP server answers "sorry").</summary>
    [Parameter]
    public SwitchParameter SorryServer { get; set; }

    /// <summary>The lab's name. Default: lvslab-XXXXXX.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The TCP port of the HTTP servers. Default 80.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 80;

    /// <summary>How long to wait for the HTTP servers to listen. Default 120 seconds.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(120);

    protected override void ProcessRecord()
    {
        LvsLab lab;
        try
        {
            lab = LabPlan.Plan(new LvsLabOptions
            {
                Name = Name, Mode = Mode, AddressFamily = AddressFamily, RealServerCount = RealServerCount,
                SorryServer = SorryServer, Port = (ushort)Port,
            });
            if (Store.Find(lab.Name) is not null)
                throw LabStore.Exists(lab.Name);
            if (lab.Namespaces.FirstOrDefault(NamedNetNamespace.Exists) is { } taken)
                throw new LvsException(LvsErrorKind.AlreadyExists, "LvsLabExists",
                    $"Network namespace '{taken}' exists already: lab '{lab.Name}' cannot be built (choose another -Name).", lab.Name);
            // The server process's host is known before anything is built ($env:LVSTOOLS_LAB_SERVER_HOST checked).
            _ = LabServerProcess.Command(lab, PowerShellPath());
        }
        catch (Exception e)
        {
            ThrowLabError(e, Name);
            return;
        }
        if (!ShouldProcess(lab.Name, $"Create a {Mode} lab ({AddressFamily}, {RealServerCount} real servers): {lab.Namespaces.Length} network namespaces and an HTTP server process"))
            return;
        try
        {
            Store.Claim(lab);
        }
        catch (Exception e)
        {
            ThrowLabError(e, lab.Name);
            return;
        }
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            LabBuilder.Build(lab);
            WriteVerbose($"Lab '{lab.Name}': {lab.Namespaces.Length} namespaces with their links, addresses and routes built in {watch.ElapsedMilliseconds} ms.");
            watch.Restart();
            lab.ServerProcessId = LabServerProcess.Start(lab, PowerShellPath(), StartTimeout, Cancellation);
            WriteVerbose($"Lab '{lab.Name}': HTTP servers listening (process {lab.ServerProcessId}) after {watch.ElapsedMilliseconds} ms.");
            lab.Complete = true;
            Store.Save(lab);
            lab.Status = "Ready";
        }
        catch (Exception e)
        {
            // Nothing of a failed lab stays behind.
            var problems = LabBuilder.Destroy(lab);
            if (problems.Count == 0)
                LabStore.Forget(lab);
            ThrowLabError(e, lab.Name);
            return;
        }
        WriteObject(lab);
    }

    // The fallback for the lab's server process: a PowerShell of the same installation ($PSHOME/pwsh).
    private string? PowerShellPath()
    {
        var home = SessionState.PSVariable.GetValue("PSHOME") as string;
        var pwsh = home is null ? null : Path.Combine(home, "pwsh");
        if (pwsh is not null && File.Exists(pwsh))
            return pwsh;
        return Environment.ProcessPath is { } self && Path.GetFileName(self) == "pwsh" ? self : null;
    }
}
