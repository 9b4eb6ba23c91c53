using System.Management.Automation;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// Base of the cmdlets that act on existing services: a service comes as an object from the pipeline
/// (-InputObject) or is named by the key parameters of <see cref="ServiceCommandBase"/>. An object acts in the
/// namespace it was read from (<see cref="LvsCommandBase.ActIn"/>), whether piped or given by parameter.
/// </summary>
public abstract class ServiceSelectionCommandBase : ServiceCommandBase
{
    /// <summary>The parameter set of services given as objects.</summary>
    protected const string InputObjectSet = "InputObject";

    /// <summary>Services from Get-LvsService or New-LvsService.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public LvsService[] InputObject { get; set; } = [];

    protected override string ErrorSubject => "LvsService";

    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputObjectSet)
        {
            foreach (var s in InputObject)
                if (ActIn(s.NetNamespace, s, $"Virtual service {s.Key}"))
                    Process(s.Key, s);
            return;
        }
        ActInParameterNamespace();
        if (TryParameterKey() is { } key)
            Process(key, null);
    }

    /// <summary>Acts on one service; <paramref name="given"/> is the piped object, if any.</summary>
    protected abstract void Process(ServiceKey key, LvsService? given);

    /// <summary>The service as the kernel has it now, or an ObjectNotFound error (null).</summary>
    protected LvsService? Current(ServiceKey key)
    {
        try
        {
            if (Ipvs.GetService(key) is { } s)
                return s;
            WriteError(new ErrorRecord(new ItemNotFoundException($"Virtual service {key} does not exist{Where}."), "LvsServiceNotFound",
                ErrorCategory.ObjectNotFound, key.ToString()));
        }
        catch (Exception e)
        {
            WriteLvsError(e, key.ToString());
        }
        return null;
    }
}
