using System.Globalization;
using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Sets the IPVS connection timeouts: `ipvsadm --set TCP TCPFIN UDP`. A value not given (or 0) stays as it is.
/// </summary>
[Cmdlet(VerbsCommon.Set, "LvsTimeout", SupportsShouldProcess = true)]
[OutputType(typeof(LvsTimeouts))]
public sealed class SetLvsTimeoutCommand : LvsCommandBase
{
    /// <summary>Idle timeout of established TCP connections (a number is seconds).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SecondsTransformation]
    public TimeSpan? Tcp { get; set; }

    /// <summary>Timeout of TCP connections after a FIN (a number is seconds).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SecondsTransformation]
    public TimeSpan? TcpFin { get; set; }

    /// <summary>Timeout of UDP connections (a number is seconds).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SecondsTransformation]
    public TimeSpan? Udp { get; set; }

    /// <summary>Write the timeouts, as read back after the change, to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override string ErrorSubject => "LvsTimeout";

    protected override void ProcessInNamespace()
    {
        var op = IpvsOperation.SetTimeouts(new LvsTimeouts
        {
            Tcp = Tcp ?? TimeSpan.Zero,
            TcpFin = TcpFin ?? TimeSpan.Zero,
            Udp = Udp ?? TimeSpan.Zero,
        });
        try
        {
            if (!ShouldExecute(op))
                return;
            if (PassThru)
                WriteObject(Ipvs.GetTimeouts());
        }
        catch (Exception e)
        {
            WriteLvsError(e, op.Timeouts);
        }
    }
}
