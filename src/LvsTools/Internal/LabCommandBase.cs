using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Lab;

namespace LvsTools.Internal;

/// <summary>
/// Base of the lab cmdlets: the state folder (/run/lvstools/labs, or $env:LVSTOOLS_LAB_STATE), cancellation on
/// Ctrl+C, and errors through <see cref="ErrorMapper"/> with the subject "LvsLab".
/// </summary>
public abstract class LabCommandBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private LabStore? _store;

    protected LabStore Store => _store ??= new LabStore();

    protected CancellationToken Cancellation => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Reports a failed item and goes on.</summary>
    protected void WriteLabError(Exception e, object? target) => WriteError(ErrorMapper.ToRecord(e, "LvsLab", target));

    /// <summary>Stops the cmdlet.</summary>
    protected void ThrowLabError(Exception e, object? target) => ThrowTerminatingError(ErrorMapper.ToRecord(e, "LvsLab", target));

    /// <summary>The error for a lab name nobody wrote down.</summary>
    protected LvsException NotFound(string name) =>
        new(LvsErrorKind.NotFound, "LvsLabNotFound", $"There is no lab named '{name}' (none written down in {Store.Directory}).", name);

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
