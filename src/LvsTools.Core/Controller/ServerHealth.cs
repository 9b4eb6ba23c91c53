using System.Net;

namespace LvsTools.Core.Controller;

/// <summary>A real server of a service, as the controller tracks it.</summary>
internal readonly record struct RealServerId(ServiceKey Service, IPAddress Address, ushort Port)
{
    public string Endpoint => IpvsadmSyntax.FormatEndpoint(Address, Port);

    public static RealServerId Of(LvsRealServer r) => new(r.Service, r.Address, r.Port);
}

/// <summary>What one probe result did to a server's state.</summary>
internal enum HealthTransition
{
    None,
    WentDown,
    WentUp,
}

/// <summary>
/// The rise/fall counter of one real server (keepalived's retry and alpha): a healthy server becomes failed after
/// <see cref="HealthCheck.Fall"/> failed probes in a row, a failed one healthy after <see cref="HealthCheck.Rise"/>
/// successes in a row; a result that agrees with the state resets the opposite count.
/// </summary>
internal sealed class ServerHealth(bool healthy)
{
    /// <summary>Whether the server takes traffic.</summary>
    public bool Healthy { get; private set; } = healthy;

    /// <summary>Successes in a row while failed (towards Rise).</summary>
    public int Successes { get; private set; }

    /// <summary>Failures in a row while healthy (towards Fall).</summary>
    public int Failures { get; private set; }

    /// <summary>Counts one probe result.</summary>
    public HealthTransition Observe(bool success, int rise, int fall)
    {
        if (Healthy)
        {
            Successes = 0;
            Failures = success ? 0 : Failures + 1;
            if (Failures < Math.Max(1, fall))
                return HealthTransition.None;
            Healthy = false;
            Failures = 0;
            return HealthTransition.WentDown;
        }
        Failures = 0;
        Successes = success ? Successes + 1 : 0;
        if (Successes < Math.Max(1, rise))
            return HealthTransition.None;
        Healthy = true;
        Successes = 0;
        return HealthTransition.WentUp;
    }
}
