using System.Globalization;
using System.Management.Automation;

namespace LvsTools.Internal;

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
