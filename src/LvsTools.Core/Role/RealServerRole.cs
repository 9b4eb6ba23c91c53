using System.Net;

namespace LvsTools;

/// <summary>How the director forwards to this real server: the packet keeps the VIP as its destination either way.</summary>
public enum RealServerMode
{
    /// <summary>LVS-DR (ipvsadm -g): the frame is sent to the real server's MAC; the VIP sits on lo, ARP for it is silenced.</summary>
    DirectRouting,
    /// <summary>LVS-TUN (ipvsadm -i): the packet arrives IP-in-IP; tunl0 (ipip) unwraps it and holds the VIP.</summary>
    Tunnel,
}

/// <summary>What one step of the role changes.</summary>
public enum RealServerRoleStepKind
{
    /// <summary>A kernel parameter (sysctl -w).</summary>
    Sysctl,
    /// <summary>A link created (ip link add NAME type ipip).</summary>
    CreateLink,
    /// <summary>A link brought up (ip link set dev NAME up).</summary>
    LinkUp,
    /// <summary>An address added (ip addr add VIP/32 dev lo).</summary>
    Address,
}

/// <summary>
/// One step of a real server's role, in the order it must be taken: what it targets, the value wanted, the value found,
/// whether it was already so, and its command-line twin.
/// </summary>
public sealed record RealServerRoleStep
{
    public required RealServerRoleStepKind Kind { get; init; }
    /// <summary>The sysctl (net.ipv4.conf.all.arp_ignore), link (tunl0) or address (10.0.0.100/32 on lo).</summary>
    public required string Target { get; init; }
    /// <summary>The value the role needs: "1", "up", "present".</summary>
    public required string Value { get; init; }
    /// <summary>The value found before the step: "0", "down", "absent"; null when it could not be read (the link does not exist yet).</summary>
    public string? Previous { get; init; }
    /// <summary>True when the namespace already had what the step sets (nothing to do).</summary>
    public bool AlreadySet { get; init; }
    /// <summary>The command line that does the same: sysctl -w KEY=VALUE, ip link set dev lo up, ip addr add ....</summary>
    public required string Command { get; init; }
    /// <summary>Why the step is there, in one line.</summary>
    public required string Reason { get; init; }

    // What an address step adds and where: kept for the runner, shown through Target.
    internal IPAddress? Address { get; init; }
    internal string? InterfaceName { get; init; }
    internal int PrefixLength { get; init; }

    public override string ToString() => Command;
}

/// <summary>What Enable-LvsRealServerRole or Disable-LvsRealServerRole did in one network namespace.</summary>
public sealed record RealServerRoleResult
{
    /// <summary>"Enable" or "Disable".</summary>
    public required string Action { get; init; }
    public required RealServerMode Mode { get; init; }
    public required IReadOnlyList<IPAddress> VirtualAddress { get; init; }
    /// <summary>The client-facing interface whose ARP sysctls were set (DirectRouting with IPv4), else null.</summary>
    public string? Interface { get; init; }
    /// <summary>The steps taken now (for Disable: the values put back).</summary>
    public required IReadOnlyList<RealServerRoleStep> Changed { get; init; }
    /// <summary>The steps not taken: already so (Enable), or left alone and why (Disable).</summary>
    public required IReadOnlyList<RealServerRoleStep> Unchanged { get; init; }
    /// <summary>The sysctl.d file the settings were recorded in (-Persist), else null.</summary>
    public string? PersistPath { get; init; }
    public string? NetNamespace { get; init; }
}

/// <summary>What Get-LvsRealServerRole found in one network namespace: ready or not, and what is missing.</summary>
public sealed record RealServerRoleStatus
{
    public required RealServerMode Mode { get; init; }
    public required IReadOnlyList<IPAddress> VirtualAddress { get; init; }
    public string? Interface { get; init; }
    /// <summary>True when every step of the role is in place.</summary>
    public required bool Ready { get; init; }
    /// <summary>Each missing step in words, with the command that would do it.</summary>
    public required IReadOnlyList<string> Missing { get; init; }
    /// <summary>Every step checked, done or not.</summary>
    public required IReadOnlyList<RealServerRoleStep> Steps { get; init; }
    public string? NetNamespace { get; init; }
}
