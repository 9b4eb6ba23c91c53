using System.Net;
using System.Text.RegularExpressions;
using LvsTools.Core.Route;

namespace LvsTools.Core.Lab;

/// <summary>
/// The address plan of a lab. Every lab uses the same plan: its namespaces are its own and linked to nothing
/// outside, so two labs never see each other's addresses (nor the host's), and a script tested in one lab sees the
/// same addresses in the next. IPv4 uses 10.76.0.0/16 (NAT: client side) and 10.77.0.0/16 (real servers; in
/// DirectRouting and Tunnel the one segment); IPv6 uses 2001:db8:76::/64 and 2001:db8:77::/64 (documentation prefix).
/// </summary>
public static partial class LabPlan
{
    public const int MaxRealServers = 250;
    public const int MaxNameLength = 32;

    /// <summary>Plans a lab (nothing is created).</summary>
    /// <exception cref="LvsException">InvalidLvsLabName, InvalidRealServerCount.</exception>
    public static LvsLab Plan(LvsLabOptions options)
    {
        var name = options.Name ?? "lvslab-" + Convert.ToHexString(Guid.NewGuid().ToByteArray(), 0, 3).ToLowerInvariant();
        if (!ValidName().IsMatch(name))
            throw LvsException.Invalid("InvalidLvsLabName",
                $"'{name}' is not a valid lab name: a lower-case letter, then up to {MaxNameLength - 1} lower-case letters, digits or '-'.", name);
        if (options.RealServerCount is < 1 or > MaxRealServers)
            throw LvsException.Invalid("InvalidRealServerCount",
                $"A lab has 1 to {MaxRealServers} real servers, not {options.RealServerCount}.", options.RealServerCount);
        if (!Enum.IsDefined(options.Mode))
            throw LvsException.Invalid("InvalidLvsLabMode", $"'{options.Mode}' is not a lab mode: Nat, DirectRouting or Tunnel.", options.Mode);
        bool v6 = options.AddressFamily == IPFamily.IPv6;
        bool nat = options.Mode == LvsLabMode.Nat;
        // The client's network: its own in NAT, else the real servers' segment.
        int front = nat ? 76 : 77;
        IPAddress At(int net, int high, int low) => v6
            ? IPAddress.Parse($"2001:db8:{net}::{(high == 0 ? "" : $"{high:x}:")}{low:x}")
            : IPAddress.Parse($"10.{net}.{high}.{low}");
        int n = options.RealServerCount;
        return new LvsLab
        {
            Name = name,
            Mode = options.Mode,
            AddressFamily = options.AddressFamily,
            Client = name + "-client",
            Director = name + "-director",
            Switch = name + "-switch",
            RealServers = Enumerable.Range(1, n).Select(i => $"{name}-rs{i}").ToArray(),
            RealServerNames = Enumerable.Range(1, n).Select(i => $"rs{i}").ToArray(),
            RealServerAddresses = Enumerable.Range(1, n).Select(i => At(77, 1, i)).ToArray(),
            SorryServer = options.SorryServer ? name + "-sorry" : null,
            SorryServerAddress = options.SorryServer ? At(77, 2, 1) : null,
            Vip = At(front, 0, 100),
            VipInterface = "eth0",
            Port = options.Port,
            ClientAddress = At(front, 0, 2),
            DirectorAddress = At(front, 0, 1),
            Gateway = At(77, 0, 1),
            PrefixLength = v6 ? 64 : 16,
            Created = DateTimeOffset.UtcNow,
        };
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    private static partial Regex ValidName();
}
