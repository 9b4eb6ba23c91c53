using System.Net.Sockets;

namespace LvsTools.Core.Health;

/// <summary>
/// DNS_CHECK: one UDP query for the check's name and type; healthy when an answer with the same id, QR set and rcode
/// NOERROR arrives within the timeout. Datagrams with another id are ignored (a late answer to an earlier probe).
/// Equivalent to: ip netns exec NS dig @ADDR -p PORT +retry=0 +time=T NAME TYPE
/// </summary>
internal static class DnsProbe
{
    public static async Task<HealthProbeResult> RunAsync(HealthProber.Probe probe, CancellationToken cancellationToken)
    {
        var check = probe.Check;
        ushort id = (ushort)Random.Shared.Next(0, 65536);
        var query = DnsMessage.EncodeQuery(id, check.Query ?? ".", DnsMessage.TypeCode(check.QueryType ?? "A"));
        using var socket = ProbeSockets.Open(probe.Namespace, probe.Address, ProtocolType.Udp);
        // A connected UDP socket takes datagrams from that peer only, and reports its ICMP port unreachable as ECONNREFUSED.
        await socket.ConnectAsync(probe.EndPoint, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[4096];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (DnsMessage.DecodeHeader(buffer.AsSpan(0, n)) is not { IsResponse: true } header || header.Id != id)
                continue;
            return header.ResponseCode == 0
                ? probe.Healthy(header.ResponseCode)
                : probe.Unhealthy($"answer {DnsMessage.ResponseCodeName(header.ResponseCode)}, not NOERROR", header.ResponseCode);
        }
    }
}
