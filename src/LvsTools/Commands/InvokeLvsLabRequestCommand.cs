using System.Management.Automation;
using System.Net;
using LvsTools.Core;
using LvsTools.Core.Lab;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Sends HTTP GETs from the lab's client namespace to the VIP (or -Address), a new TCP connection each, and returns
/// every request (Requests) and the counts (Summary: Sent, Ok, Failed, Servers).
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "LvsLabRequest")]
[OutputType(typeof(LvsLabRequestResult))]
public sealed class InvokeLvsLabRequestCommand : LabCommandBase
{
    /// <summary>The lab (from New-LvsLab or Get-LvsLab).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public LvsLab Lab { get; set; } = null!;

    /// <summary>How many requests. Default 1.</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int Count { get; set; } = 1;

    /// <summary>Where to send them. Default: the lab's VIP.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Address { get; set; }

    /// <summary>The TCP port. Default: the lab's port.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? Port { get; set; }

    /// <summary>How long one request may take (seconds, or a TimeSpan). Default 2 seconds.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many requests are in flight at once. Default 1 (one after another).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    [Alias("ThrottleLimit")]
    public int Parallel { get; set; } = 1;

    /// <summary>The URL path. Default /.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "/";

    protected override void ProcessRecord()
    {
        IPAddress target = Lab.Vip;
        if (Address is not null && !IPAddress.TryParse(Address, out target!))
            ThrowLabError(LvsException.Invalid("InvalidIPAddress", $"'{Address}' is not an IP address.", Address), Address);
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromHours(1))
            ThrowLabError(LvsException.Invalid("InvalidLvsLabTimeout", $"-Timeout must be more than 0 and at most 1 hour, not {Timeout}.", Timeout), Timeout);
        try
        {
            WriteObject(LabRequester.Send(Lab, target, (ushort)(Port ?? Lab.Port), Count, Timeout, Parallel, Path, Cancellation));
        }
        catch (Exception e)
        {
            ThrowLabError(e, Lab.Name);
        }
    }
}
