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
public sealed class SetLvsTimeoutCommand : LvsCmdlet
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

    protected override void ProcessRecord()
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

/// <summary>
/// Lets a number stand for seconds where a TimeSpan is expected (`-Tcp 900`), instead of PowerShell's own conversions
/// ([TimeSpan]900 is 900 ticks, [TimeSpan]'900' 900 days). TimeSpans and texts like '00:15:00' pass unchanged.
/// </summary>
internal sealed class SecondsTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
        (inputData is PSObject pso ? pso.BaseObject : inputData) switch
        {
            int i => TimeSpan.FromSeconds(i),
            long l => TimeSpan.FromSeconds(l),
            uint u => TimeSpan.FromSeconds(u),
            short s => TimeSpan.FromSeconds(s),
            ushort us => TimeSpan.FromSeconds(us),
            byte b => TimeSpan.FromSeconds(b),
            double d when !double.IsNaN(d) && Math.Abs(d) < TimeSpan.MaxValue.TotalSeconds => TimeSpan.FromSeconds(d),
            decimal m when Math.Abs(m) < (decimal)TimeSpan.MaxValue.TotalSeconds => TimeSpan.FromSeconds((double)m),
            string t when long.TryParse(t.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                && Math.Abs(n) < (long)TimeSpan.MaxValue.TotalSeconds => TimeSpan.FromSeconds(n),
            _ => inputData,
        };
}
