using System.Diagnostics;
using System.Management.Automation;
using System.Net;
using LvsTools.Core;
using LvsTools.Core.Lab;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Sends HTTP GETs from the lab's client namespace to the VIP (or -Address), a new TCP connection each: -Count of
/// them, or for -Duration (one after another, -Interval apart, until the time is over or the pipeline is stopped).
/// Returns every request (Requests) and the counts (Summary: Sent, Ok, Failed, Servers), or with -Stream each request
/// as soon as it is answered.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "LvsLabRequest", DefaultParameterSetName = "Count")]
[OutputType(typeof(LvsLabRequestResult))]
[OutputType(typeof(LvsLabRequest))]
public sealed class InvokeLvsLabRequestCommand : LabCommandBase
{

    /// <summary>The lab (from New-LvsLab or Get-LvsLab).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public LvsLab Lab { get; set; } = null!;

    /// <summary>How many requests. Default 1.</summary>
    [Parameter(ParameterSetName = "Count")]
    [ValidateRange(1, 100000)]
    public int Count { get; set; } = 1;

    /// <summary>Sends for this long (seconds, or a TimeSpan) instead of a count; stopping the pipeline ends it sooner.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Duration")]
    [SecondsTransformation]
    public TimeSpan Duration { get; set; }

    /// <summary>The pause between an answer and the next request (seconds, or a TimeSpan). Default 0.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan Interval { get; set; } = TimeSpan.Zero;

    /// <summary>Writes each request as soon as it is done, instead of one result at the end.</summary>
    [Parameter]
    public SwitchParameter Stream { get; set; }

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
        CheckTime(Timeout, "Timeout", "InvalidLvsLabTimeout", allowZero: false, TimeSpan.FromHours(1));
        CheckTime(Interval, "Interval", "InvalidLvsLabInterval", allowZero: true, TimeSpan.FromHours(1));
        if (ParameterSetName == "Duration")
            CheckTime(Duration, "Duration", "InvalidLvsLabDuration", allowZero: false, TimeSpan.FromDays(1));
        var plan = new LabRequestPlan
        {
            Count = Count, Duration = ParameterSetName == "Duration" ? Duration : null,
            Parallel = Parallel, Interval = Interval, Timeout = Timeout, Path = Path,
        };
        ushort port = (ushort)(Port ?? Lab.Port);
        var watch = Stopwatch.StartNew();
        var all = new List<LvsLabRequest>();
        try
        {
            foreach (var request in LabRequester.Stream(Lab, target, port, plan, Cancellation))
            {
                if (Stream)
                    WriteObject(request);
                else
                    all.Add(request);
            }
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            return;   // the pipeline was stopped (Ctrl+C, Stop-Job): what was streamed stays written
        }
        catch (Exception e)
        {
            ThrowLabError(e, Lab.Name);
        }
        if (!Stream)
            WriteObject(LabRequester.Result(Lab, target, port, all.OrderBy(r => r.Index).ToArray(), watch.Elapsed));
    }

    private void CheckTime(TimeSpan value, string name, string errorId, bool allowZero, TimeSpan max)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > max)
            ThrowLabError(LvsException.Invalid(errorId,
                $"-{name} must be {(allowZero ? "0 or more" : "more than 0")} and at most {max}, not {value}.", value), value);
    }
}
