using System.Diagnostics;
using LvsTools.Core.Netlink;
using Xunit.Abstractions;

namespace LvsTools.Core.Tests.Netlink;

/// <summary>
/// What the engine adds to reading a large table, against a raw reader that walks the same datagrams with the same
/// parser and no checks: 10,000 services x 4 real servers, packed as the kernel packs a dump (about 32 KiB a datagram).
/// </summary>
public class ReadCostTests(ITestOutputHelper output)
{
    private const uint Pid = 4242;
    private const int Messages = 40_000;

    /// <summary>One dump's datagrams, stamped with <paramref name="seq"/>; the last one ends with NLMSG_DONE.</summary>
    private static List<byte[]> DumpDatagrams(uint seq)
    {
        var datagrams = new List<byte[]>();
        var w = new NetlinkWriter(40 * 1024);
        for (int i = 0; i < Messages; i++)
        {
            // A real server's size on the wire: genlmsghdr plus a dozen attributes, about 160 bytes.
            w.BeginMessage(0x21, NetlinkFlags.Multi).WriteBytes([2, 1, 0, 0]).U32(1, (uint)i).WriteBytes(new byte[140]).EndMessage();
            if (w.WrittenSpan.Length > 32 * 1024 || i == Messages - 1)
            {
                var d = w.WritableWrittenSpan;
                for (var m = 0; m < d.Length;)
                {
                    var h = NetlinkMessageHeader.Read(d[m..]);
                    (h with { Sequence = seq, PortId = Pid }).Write(d[m..]);
                    m += NetlinkAlign.Align((int)h.Length);
                }
                datagrams.Add(d.ToArray());
                w.Reset();
            }
        }
        datagrams.Add(FakeTransport.Done(seq, Pid));
        return datagrams;
    }

    private static string? Parse(in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
        NativeEndian.U32(p[8..]) % 1000 == 0 ? "x" : null; // what a parser returns is the caller's cost, not the engine's

    /// <summary>The yardstick: the same request and datagrams, each message handed to the parser, nothing checked.</summary>
    private static int RawRead(INetlinkTransport transport, NetlinkWriter request, byte[] buffer)
    {
        transport.Send(request.WrittenSpan);
        int found = 0;
        while (true)
        {
            int n = transport.Receive(buffer, TimeSpan.FromSeconds(1));
            for (int off = 0; off < n;)
            {
                var h = NetlinkMessageHeader.Read(buffer.AsSpan(off));
                if (h.Type == NetlinkMessageType.Done)
                    return found;
                if (Parse(h, buffer.AsSpan(off + 16, (int)h.Length - 16)) is not null)
                    found++;
                off += NetlinkAlign.Align((int)h.Length);
            }
        }
    }

    [Fact]
    public void A_dump_of_forty_thousand_messages_allocates_only_its_results_and_costs_near_a_raw_reader()
    {
        List<byte[]>? replies = null;
        var t = new FakeTransport((h, _) => replies = DumpDatagrams(h.Sequence));
        using var c = new NetlinkConnection(() => t);
        var request = new NetlinkWriter();
        request.BeginMessage(0x21, NetlinkFlags.None).EndMessage();
        Assert.Equal(Messages / 1000, c.Dump(request, "DUMP", Parse).Count); // warm up, and the replies to replay
        var datagrams = replies!;
        var replay = new ReplayTransport(datagrams);
        var buffer = new byte[256 * 1024];
        using var engine = new NetlinkConnection(() => replay);
        for (int i = 0; i < 40; i++) // past tiered compilation's first tiers
        {
            replay.Rewind();
            engine.Dump(request, "DUMP", Parse);
            replay.Rewind();
            Assert.Equal(Messages / 1000, RawRead(replay, request, buffer));
        }

        const int Rounds = 10;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Rounds; i++)
        {
            replay.Rewind();
            engine.Dump(request, "DUMP", Parse);
        }
        var engineTime = watch.Elapsed / Rounds;
        long perDump = (GC.GetAllocatedBytesForCurrentThread() - before) / Rounds;
        watch.Restart();
        for (int i = 0; i < Rounds; i++)
        {
            replay.Rewind();
            RawRead(replay, request, buffer);
        }
        var rawTime = watch.Elapsed / Rounds;
        output.WriteLine($"{Messages} messages in {datagrams.Count} datagrams: engine {engineTime.TotalMilliseconds:0.00} ms, "
            + $"raw reader {rawTime.TotalMilliseconds:0.00} ms; engine allocates {perDump} bytes per dump");
        // The 40 results, their list and the request's bookkeeping: nothing per datagram or per message.
        Assert.True(perDump < 4096, $"{perDump} bytes allocated per dump");
    }

    /// <summary>Replays one dump's datagrams as the answer to each request, restamped with the request's sequence.</summary>
    private sealed class ReplayTransport(List<byte[]> datagrams) : INetlinkTransport
    {
        private int _next;

        public uint PortId => Pid;

        public void Rewind() => _next = 0;

        public void Send(ReadOnlySpan<byte> datagram)
        {
            uint seq = NetlinkMessageHeader.Read(datagram).Sequence;
            foreach (var d in datagrams)
            {
                for (int off = 0; off < d.Length;)
                {
                    var h = NetlinkMessageHeader.Read(d.AsSpan(off));
                    (h with { Sequence = seq }).Write(d.AsSpan(off));
                    off += NetlinkAlign.Align((int)h.Length);
                }
            }
        }

        public int Receive(Span<byte> buffer, TimeSpan timeout)
        {
            var d = datagrams[_next++];
            d.CopyTo(buffer);
            return d.Length;
        }

        public void Dispose() { }
    }
}
