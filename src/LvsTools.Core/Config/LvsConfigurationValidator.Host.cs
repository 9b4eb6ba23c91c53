using System.Net;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

// The host's side of a document: virtual IP addresses and sysctls.
public static partial class LvsConfigurationValidator
{
    private static void CheckVirtualIps(Collector c, List<LvsVirtualIpEntry> vips)
    {
        var seen = new Dictionary<(string, IPAddress), int>();
        for (int i = 0; i < vips.Count && !c.Full; i++)
        {
            string p = $"$.virtualIps[{i}]";
            var v = vips[i];
            if (v is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a virtual IP", null);
                continue;
            }
            if (v.InterfaceName is null || !RouteClient.IsValidInterfaceName(v.InterfaceName))
                Fail(c, "InvalidInterfaceName", p + ".interfaceName", "is not an interface name (1 to 15 characters, no '/', ':' or white space)", v.InterfaceName);
            if (v.Address is null)
            {
                Fail(c, "InvalidIPAddress", p + ".address", "is missing", null);
                continue;
            }
            IPAddress address = IPAddress.None;
            if (!c.Try(p + ".address", () => address = VirtualIpPlanner.ParseAddress(new VirtualIpSpec { InterfaceName = v.InterfaceName ?? "", Address = v.Address }).Address))
                continue;
            if (v.Label is { } label && v.InterfaceName is not null)
                c.Try(p + ".label", () => VirtualIpPlanner.ValidateLabel(label, v.InterfaceName, address));
            if (v.Broadcast is { } b)
                c.Try(p + ".broadcast", () => IPNetworkMath.ParseAddress(b));
            var k = (v.InterfaceName ?? "", address);
            if (seen.TryGetValue(k, out int first))
                c.Add("DuplicateVirtualIp", p, $"is address {address} on {v.InterfaceName}, already listed as $.virtualIps[{first}]", v.Address);
            else
                seen[k] = i;
        }
    }

    private static void CheckSysctls(Collector c, List<LvsSysctlEntry> sysctls)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < sysctls.Count && !c.Full; i++)
        {
            string p = $"$.sysctls[{i}]";
            var s = sysctls[i];
            if (s is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a sysctl", null);
                continue;
            }
            if (s.Value is null)
                Fail(c, "InvalidSysctlValue", p + ".value", "is missing", null);
            SysctlName? name = null;
            if (s.Name is null)
            {
                Fail(c, "InvalidSysctlName", p + ".name", "is missing", null);
                continue;
            }
            if (!c.Try(p + ".name", () => name = SysctlName.Parse(s.Name)))
                continue;
            if (seen.TryGetValue(name!.Dotted, out int first))
                c.Add("DuplicateSysctl", p + ".name", $"is {name.Dotted}, already listed as $.sysctls[{first}]", s.Name);
            else
                seen[name.Dotted] = i;
        }
    }
}
