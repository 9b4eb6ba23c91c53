using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Lab;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Removes a lab: ends its server process and every process left in its namespaces, deletes its namespaces (and so
/// its links) and its state files. Works on what a killed run left (Get-LvsLab | Remove-LvsLab).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "LvsLab", SupportsShouldProcess = true, DefaultParameterSetName = "Name")]
[OutputType(typeof(LvsLab))]
public sealed class RemoveLvsLabCommand : LabCommandBase
{
    /// <summary>The names of the labs to remove.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>A lab from New-LvsLab or Get-LvsLab.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject", ValueFromPipeline = true)]
    public LvsLab? InputObject { get; set; }

    /// <summary>Writes the removed lab.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            Remove(InputObject);
            return;
        }
        foreach (var name in Name)
        {
            LvsLab? lab;
            try
            {
                lab = Store.Find(name);
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or FormatException)
            {
                RemoveUnreadable(name);
                continue;
            }
            if (lab is not null)
                Remove(lab);
            else
                WriteLabError(NotFound(name), name);
        }
    }

    // A state file that cannot be read still names the lab: its processes and namespaces are found by name.
    private void RemoveUnreadable(string name)
    {
        var path = Store.PathOf(name);
        if (!ShouldProcess(name, "Remove lab (its state file cannot be read): end the processes that name it, delete the namespaces named after it"))
            return;
        if (Removed(name, LabBuilder.DestroyUnreadable(name, path)))
            LabStore.Forget(path);
    }

    private void Remove(LvsLab lab)
    {
        if (!ShouldProcess(lab.Name, $"Remove lab: end its server process, delete its {lab.Namespaces.Length} network namespaces and its state files"))
            return;
        if (!Removed(lab.Name, LabBuilder.Destroy(lab)))
            return;
        LabStore.Forget(lab);
        lab.Status = "Removed";
        if (PassThru)
            WriteObject(lab);
    }

    private bool Removed(string name, List<string> problems)
    {
        if (problems.Count == 0)
            return true;
        WriteLabError(new LvsException(LvsErrorKind.OperationFailed, "LvsLabRemoveFailed",
            $"Lab '{name}' was not removed completely (its state file stays, run Remove-LvsLab again): {string.Join(" ", problems)}", name), name);
        return false;
    }
}
