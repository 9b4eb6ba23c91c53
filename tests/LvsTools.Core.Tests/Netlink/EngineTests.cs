using LvsTools.Core.Netlink;

namespace LvsTools.Core.Tests.Netlink;

public class EngineTests
{
    private const uint Pid = 4242;

    private static NetlinkWriter Request(ushort type = 0x20, int count = 1)
    {
        var w = new NetlinkWriter();
        for (int i = 0; i < count; i++)
            w.BeginMessage(type, NetlinkFlags.None).U32(1, (uint)i).EndMessage();
        return w;
    }

    private static string? ParseU32(in NetlinkMessageHeader h, ReadOnlySpan<byte> p)
    {
        foreach (var a in new NetlinkAttributeReader(p))
            return a.U32().ToString();
        return null;
    }

    private static byte[] Item(uint seq, uint value, NetlinkFlags extra = NetlinkFlags.None)
    {
        var w = new NetlinkWriter();
        w.BeginMessage(0x21, NetlinkFlags.Multi | extra).U32(1, value).EndMessage();
        var b = w.WrittenSpan.ToArray();
        new NetlinkMessageHeader((uint)b.Length, 0x21, NetlinkFlags.Multi | extra, seq, Pid).Write(b);
        return b;
    }

    [Fact]
    public void Execute_stamps_sequence_port_and_ack_flags_and_returns_on_ack()
    {
        var t = new FakeTransport((h, _) => [FakeTransport.Ack(h, Pid)]);
        using var c = new NetlinkConnection(() => t);
        c.Execute(Request(), "TEST");
        var (sent, _) = t.SentMessages.Single();
        Assert.Equal(NetlinkFlags.Request | NetlinkFlags.Ack, sent.Flags);
        Assert.Equal(Pid, sent.PortId);
        Assert.NotEqual(0u, sent.Sequence);
    }

    [Fact]
    public void Execute_reports_errno_with_the_extended_ack_text_and_offset()
    {
        var t = new FakeTransport((h, _) => [FakeTransport.Error(h, Pid, Errno.EEXIST, "ipv4: Address already assigned", 24)]);
        using var c = new NetlinkConnection(() => t);
        var e = Assert.Throws<NetlinkException>(() => c.Execute(Request(), "RTM_NEWADDR"));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal(LvsErrorKind.AlreadyExists, KernelErrors.Kind(e.Errno));
        Assert.Equal("ipv4: Address already assigned", e.ExtAckMessage);
        Assert.Equal(24u, e.ExtAckOffset);
        Assert.Equal("RTM_NEWADDR", e.Operation);
        Assert.Contains("File exists (EEXIST): ipv4: Address already assigned", e.Message);
        Assert.Equal(t.SentMessages[0].Header.Sequence, e.Sequence);
    }

    [Fact]
    public void Execute_passes_replies_before_the_ack_to_the_handler()
    {
        var t = new FakeTransport((h, _) => [FakeTransport.Concat(Item(h.Sequence, 7), FakeTransport.Ack(h, Pid))]);
        using var c = new NetlinkConnection(() => t);
        var got = new List<string?>();
        c.Execute(Request(), "GET", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) => got.Add(ParseU32(h, p)));
        Assert.Equal(["7"], got);
    }

    [Fact]
    public void Dump_reads_a_multipart_reply_spread_over_several_datagrams()
    {
        var t = new FakeTransport((h, _) =>
        [
            FakeTransport.Concat(Item(h.Sequence, 1), Item(h.Sequence, 2)),
            Item(h.Sequence, 3),
            FakeTransport.Done(h.Sequence, Pid),
        ]);
        using var c = new NetlinkConnection(() => t);
        var items = c.Dump(Request(), "DUMP", ParseU32);
        Assert.Equal(["1", "2", "3"], items);
        Assert.Equal(NetlinkFlags.Request | NetlinkFlags.Dump, t.SentMessages[0].Header.Flags);
    }

    [Fact]
    public void Dump_marked_interrupted_is_read_again_until_consistent()
    {
        int calls = 0;
        var t = new FakeTransport((h, _) =>
        {
            calls++;
            return calls == 1
                ? [Item(h.Sequence, 1, NetlinkFlags.DumpInterrupted), FakeTransport.Done(h.Sequence, Pid, NetlinkFlags.Multi | NetlinkFlags.DumpInterrupted)]
                : [Item(h.Sequence, 1), Item(h.Sequence, 2), FakeTransport.Done(h.Sequence, Pid)];
        });
        using var c = new NetlinkConnection(() => t);
        Assert.Equal(["1", "2"], c.Dump(Request(), "DUMP", ParseU32));
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Dump_that_stays_interrupted_is_an_error_not_a_partial_list()
    {
        var t = new FakeTransport((h, _) => [Item(h.Sequence, 1, NetlinkFlags.DumpInterrupted), FakeTransport.Done(h.Sequence, Pid)]);
        using var c = new NetlinkConnection(() => t);
        Assert.Throws<NetlinkDumpInterruptedException>(() => c.Dump(Request(), "DUMP", ParseU32));
    }

    [Fact]
    public void Dump_into_a_list_appends_only_the_consistent_attempt_after_what_the_list_held()
    {
        int calls = 0;
        var t = new FakeTransport((h, _) =>
        {
            calls++;
            return calls == 1
                ? [Item(h.Sequence, 1, NetlinkFlags.DumpInterrupted), FakeTransport.Done(h.Sequence, Pid, NetlinkFlags.Multi | NetlinkFlags.DumpInterrupted)]
                : [Item(h.Sequence, 2), Item(h.Sequence, 3), FakeTransport.Done(h.Sequence, Pid)];
        });
        using var c = new NetlinkConnection(() => t);
        var into = new List<string> { "0" };
        c.Dump(Request(), "DUMP", ParseU32, into);
        Assert.Equal(["0", "2", "3"], into);
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Dump_into_a_list_that_fails_leaves_the_list_as_it_was()
    {
        var interrupted = new FakeTransport((h, _) => [Item(h.Sequence, 1, NetlinkFlags.DumpInterrupted), FakeTransport.Done(h.Sequence, Pid)]);
        using var c = new NetlinkConnection(() => interrupted);
        var into = new List<string> { "0" };
        Assert.Throws<NetlinkDumpInterruptedException>(() => c.Dump(Request(), "DUMP", ParseU32, into));
        Assert.Equal(["0"], into);

        var refused = new FakeTransport((h, _) => [FakeTransport.Concat(Item(h.Sequence, 1), FakeTransport.Error(h, Pid, Errno.EPERM))]);
        using var d = new NetlinkConnection(() => refused);
        Assert.Equal(Errno.EPERM, Assert.Throws<NetlinkException>(() => d.Dump(Request(), "DUMP", ParseU32, into)).Errno);
        Assert.Equal(["0"], into);
    }

    [Fact]
    public void Dump_error_in_done_is_reported()
    {
        var t = new FakeTransport((h, _) =>
        {
            var p = new byte[4];
            NativeEndian.Put(p, -Errno.EINVAL);
            return [FakeTransport.Message(NetlinkMessageType.Done, NetlinkFlags.Multi, h.Sequence, Pid, p)];
        });
        using var c = new NetlinkConnection(() => t);
        var e = Assert.Throws<NetlinkException>(() => c.Dump(Request(), "DUMP", ParseU32));
        Assert.Equal(Errno.EINVAL, e.Errno);
    }

    [Fact]
    public void Dump_after_enobufs_restarts_on_a_fresh_socket()
    {
        var transports = new List<FakeTransportBase>();
        FakeTransportBase Make()
        {
            bool first = transports.Count == 0;
            var t = new EnobufsOnceTransport(first, (h, _) => [Item(h.Sequence, 5), FakeTransport.Done(h.Sequence, Pid)]);
            transports.Add(t);
            return t;
        }
        using var c = new NetlinkConnection(Make);
        Assert.Equal(["5"], c.Dump(Request(), "DUMP", ParseU32));
        Assert.Equal(2, transports.Count);
        Assert.True(transports[0].Disposed);
    }

    [Fact]
    public void Stale_replies_to_earlier_requests_are_skipped()
    {
        FakeTransport? t = null;
        t = new FakeTransport((h, _) =>
        {
            // an answer to an older request arrives first
            var stale = Item(h.Sequence - 1, 99);
            return [stale, FakeTransport.Concat(Item(h.Sequence, 1), FakeTransport.Done(h.Sequence, Pid))];
        });
        using var c = new NetlinkConnection(() => t);
        Assert.Equal(["1"], c.Dump(Request(), "DUMP", ParseU32));
    }

    [Fact]
    public void A_reply_with_a_sequence_never_sent_is_a_protocol_error()
    {
        var t = new FakeTransport((h, _) => [Item(h.Sequence + 5, 1)]);
        using var c = new NetlinkConnection(() => t);
        Assert.Throws<NetlinkProtocolException>(() => c.Dump(Request(), "DUMP", ParseU32));
    }

    [Fact]
    public void A_reply_for_another_port_is_a_protocol_error()
    {
        var t = new FakeTransport((h, _) => [FakeTransport.Ack(h with { }, 777)]);
        using var c = new NetlinkConnection(() => t);
        Assert.Throws<NetlinkProtocolException>(() => c.Execute(Request(), "X"));
    }

    [Fact]
    public void A_message_longer_than_its_datagram_is_a_protocol_error()
    {
        var t = new FakeTransport((h, _) =>
        {
            var b = FakeTransport.Ack(h, Pid);
            NativeEndian.Put(b, (uint)b.Length + 8);
            return [b];
        });
        using var c = new NetlinkConnection(() => t);
        Assert.Throws<NetlinkProtocolException>(() => c.Execute(Request(), "X"));
    }

    [Fact]
    public void Timeout_replaces_the_socket()
    {
        var made = new List<FakeTransport>();
        using var c = new NetlinkConnection(() =>
        {
            var t = new FakeTransport((h, _) => made.Count == 1 ? [] : [FakeTransport.Ack(h, Pid)]);
            made.Add(t);
            return t;
        }) { Timeout = TimeSpan.FromMilliseconds(10) };
        var e = Assert.Throws<NetlinkTimeoutException>(() => c.Execute(Request(), "SLOW"));
        Assert.Contains("SLOW", e.Message);
        Assert.True(made[0].Disposed);
        c.Execute(Request(), "AGAIN");
        Assert.Equal(2, made.Count);
    }

    [Fact]
    public void Batch_sends_many_requests_per_datagram_and_acks_only_the_last_of_each()
    {
        var t = new FakeTransport((h, _) => (h.Flags & NetlinkFlags.Ack) != 0 ? [FakeTransport.Ack(h, Pid)] : []);
        using var c = new NetlinkConnection(() => t);
        var r = c.Batch(Request(count: 600), "BULK", perSend: 256);
        Assert.Equal(3, t.SentDatagrams.Count);
        Assert.Equal(600, t.SentMessages.Count);
        Assert.Equal(3, t.SentMessages.Count(m => (m.Header.Flags & NetlinkFlags.Ack) != 0));
        Assert.Equal(600, r.Succeeded);
        Assert.Empty(r.Failures);
        // sequence numbers are consecutive
        var seqs = t.SentMessages.Select(m => m.Header.Sequence).ToList();
        Assert.True(seqs.Zip(seqs.Skip(1)).All(p => p.Second == p.First + 1));
    }

    [Fact]
    public void Batch_reports_each_failure_against_its_request()
    {
        var t = new FakeTransport((h, p) =>
        {
            uint value = NativeEndian.U32(p.AsSpan(4));
            if (value is 3 or 300)
                return [FakeTransport.Error(h, Pid, Errno.EEXIST)];
            return (h.Flags & NetlinkFlags.Ack) != 0 ? [FakeTransport.Ack(h, Pid)] : [];
        });
        using var c = new NetlinkConnection(() => t);
        var progress = new List<int>();
        var r = c.Batch(Request(count: 400), "BULK", perSend: 256, progress: progress.Add);
        Assert.Equal([3, 300], r.Failures.Select(f => f.RequestIndex));
        Assert.All(r.Failures, f => Assert.Equal(Errno.EEXIST, f.Errno));
        Assert.Equal(398, r.Succeeded);
        Assert.Equal([256, 400], progress);
    }

    [Fact]
    public void Batch_whose_last_request_fails_still_completes()
    {
        var t = new FakeTransport((h, _) => (h.Flags & NetlinkFlags.Ack) != 0 ? [FakeTransport.Error(h, Pid, Errno.ENOENT)] : []);
        using var c = new NetlinkConnection(() => t);
        var r = c.Batch(Request(count: 5), "BULK");
        Assert.Equal([4], r.Failures.Select(f => f.RequestIndex));
    }

    [Fact]
    public void Batch_stops_between_chunks_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var t = new FakeTransport((h, _) => (h.Flags & NetlinkFlags.Ack) != 0 ? [FakeTransport.Ack(h, Pid)] : []);
        using var c = new NetlinkConnection(() => t);
        var r = c.Batch(Request(count: 1000), "BULK", perSend: 100, progress: n => { if (n >= 300) cts.Cancel(); }, cancellation: cts.Token);
        Assert.True(r.Cancelled);
        Assert.Equal(300, r.Sent);
        Assert.Equal(300, t.SentMessages.Count);
    }

    [Fact]
    public void Batch_encoded_chunk_by_chunk_sends_what_the_whole_buffer_sends()
    {
        static FakeTransport Kernel() => new((h, p) =>
        {
            uint value = NativeEndian.U32(p.AsSpan(4));
            if (value is 3 or 300)
                return [FakeTransport.Error(h, Pid, Errno.EEXIST)];
            return (h.Flags & NetlinkFlags.Ack) != 0 ? [FakeTransport.Ack(h, Pid)] : [];
        });
        var whole = Kernel();
        using var c1 = new NetlinkConnection(() => whole);
        var r1 = c1.Batch(Request(count: 600), "BULK", perSend: 256);
        var chunked = Kernel();
        using var c2 = new NetlinkConnection(() => chunked);
        var asked = new List<(int First, int Count)>();
        var r2 = c2.Batch(600, (w, first, count) =>
        {
            asked.Add((first, count));
            for (int i = first; i < first + count; i++)
                w.BeginMessage(0x20, NetlinkFlags.None).U32(1, (uint)i).EndMessage();
        }, "BULK", perSend: 256);
        Assert.Equal([(0, 256), (256, 256), (512, 88)], asked);
        Assert.Equal(whole.SentDatagrams.Count, chunked.SentDatagrams.Count);
        // The same messages, flags and payloads (sequence numbers differ: each connection starts at its own).
        Assert.Equal(whole.SentMessages.Select(m => (m.Header.Flags, m.Header.Length, Convert.ToHexString(m.Payload))),
            chunked.SentMessages.Select(m => (m.Header.Flags, m.Header.Length, Convert.ToHexString(m.Payload))));
        Assert.Equal(r1.Failures.Select(f => f.RequestIndex), r2.Failures.Select(f => f.RequestIndex));
        Assert.Equal([3, 300], r2.Failures.Select(f => f.RequestIndex));
        Assert.Equal(598, r2.Succeeded);
    }

    [Fact]
    public void Batch_encoder_that_writes_too_few_messages_is_refused_before_sending()
    {
        var t = new FakeTransport((h, _) => [FakeTransport.Ack(h, Pid)]);
        using var c = new NetlinkConnection(() => t);
        Assert.Throws<InvalidOperationException>(() => c.Batch(10, (w, first, count) =>
            w.BeginMessage(0x20, NetlinkFlags.None).U32(1, (uint)first).EndMessage(), "BULK"));
        Assert.Empty(t.SentDatagrams);
    }

    private sealed class EnobufsOnceTransport(bool fail, Func<NetlinkMessageHeader, byte[], IEnumerable<byte[]>> responder)
        : FakeTransportBase(responder)
    {
        public override int Receive(Span<byte> buffer, TimeSpan timeout) =>
            fail ? throw new NetlinkException("recvmsg", Errno.ENOBUFS) : base.Receive(buffer, timeout);
    }
}

/// <summary>FakeTransport with an overridable Receive.</summary>
public class FakeTransportBase(Func<NetlinkMessageHeader, byte[], IEnumerable<byte[]>> responder) : INetlinkTransport
{
    private readonly FakeTransport _inner = new(responder);
    public uint PortId => _inner.PortId;
    public bool Disposed => _inner.Disposed;
    public void Send(ReadOnlySpan<byte> datagram) => _inner.Send(datagram);
    public virtual int Receive(Span<byte> buffer, TimeSpan timeout) => _inner.Receive(buffer, timeout);
    public void Dispose() => _inner.Dispose();
}
