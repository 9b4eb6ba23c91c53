using System.Management.Automation;
using System.Text.Json;
using LvsTools.Core;
using LvsTools.Core.Lab;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Tells a lab's HTTP servers what to do with new connections: Up, Down (refused), Slow (answer after -Delay), Hang (never answer).</summary>
[Cmdlet(VerbsCommon.Set, "LvsLabServer", SupportsShouldProcess = true, DefaultParameterSetName = "Name")]
[OutputType(typeof(LvsLabServerStatus))]
public sealed class SetLvsLabServerCommand : LabCommandBase
{
    /// <summary>The lab (from New-LvsLab or Get-LvsLab).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public LvsLab Lab { get; set; } = null!;

    /// <summary>Server names: rs1, rs2, ... and sorry.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>Positions in the lab's RealServers (0 for the first, as $lab.RealServers[0]).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Index")]
    public int[] Index { get; set; } = [];

    /// <summary>Up, Down, Slow or Hang.</summary>
    [Parameter(Mandatory = true)]
    public LvsLabServerState State { get; set; }

    /// <summary>How long a Slow server waits before it answers (seconds, or a TimeSpan). Default 2 seconds.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Writes the state of the servers changed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (Delay < TimeSpan.Zero || Delay > TimeSpan.FromHours(1))
            ThrowLabError(LvsException.Invalid("InvalidLvsLabServerDelay", $"-Delay must be between 0 and 1 hour, not {Delay}.", Delay), Delay);
        var names = new List<string>();
        var known = Lab.Servers().Select(s => s.Name).ToList();
        if (ParameterSetName == "Index")
        {
            foreach (int i in Index)
            {
                if (i < 0 || i >= Lab.RealServerNames.Length)
                    WriteLabError(LvsException.Invalid("InvalidLvsLabServerIndex",
                        $"Lab '{Lab.Name}' has real servers 0 to {Lab.RealServerNames.Length - 1}, not {i}.", i), i);
                else
                    names.Add(Lab.RealServerNames[i]);
            }
        }
        else
        {
            foreach (var n in Name)
            {
                if (known.Contains(n))
                    names.Add(n);
                else
                    WriteLabError(new LvsException(LvsErrorKind.NotFound, "LvsLabServerNotFound",
                        $"Lab '{Lab.Name}' has no server '{n}' (it has {string.Join(", ", known)}).", n), n);
            }
        }
        foreach (var name in names)
        {
            if (!ShouldProcess($"{name} of lab {Lab.Name}", $"Set state {State}" + (State == LvsLabServerState.Slow ? $" (answers after {Delay.TotalSeconds:0.###} s)" : "")))
                continue;
            try
            {
                var reply = LabServerProcess.Send(Lab, $"set {name} {State} {(long)Delay.TotalMilliseconds}");
                if (reply != "ok")
                    throw new LvsException(LvsErrorKind.OperationFailed, "LvsLabServerFailed", $"Server '{name}' of lab '{Lab.Name}' refused the change: {reply}", name);
            }
            catch (Exception e)
            {
                WriteLabError(e, name);
                continue;
            }
            if (PassThru)
                WriteObject(Status(name));
        }
    }

    private LvsLabServerStatus? Status(string name)
    {
        var reply = LabServerProcess.Send(Lab, "status");
        var all = reply.StartsWith("ok ", StringComparison.Ordinal)
            ? JsonSerializer.Deserialize<LvsLabServerStatus[]>(reply[3..], new JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } })
            : null;
        return all?.FirstOrDefault(s => s.Name == name);
    }
}
