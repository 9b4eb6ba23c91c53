using System.Diagnostics;
using LvsTools.Core.Health;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Controller;

// The loop's steps, on its thread only: new targets and rounds taken, deadlines, due checks started, results reported.
internal sealed partial class TcpCheckLoop
{
    // Takes new targets and round requests; false when asked to stop.
    private bool TakePosted(long now)
    {
        List<ControlledRealServer>? posted;
        List<TaskCompletionSource>? rounds = null;
        lock (_gate)
        {
            if (_stopping)
                return false;
            (posted, _posted) = (_posted, null);
            if (_rounds.Count > 0)
            {
                rounds = [.. _rounds];
                _rounds.Clear();
            }
        }
        if (posted is not null)
            Apply(posted, now);
        foreach (var done in rounds ?? Empty)
        {
            var round = new Round(done);
            foreach (var t in _targets.Values)
            {
                if (t.Running || t.Due <= now)
                {
                    round.Remaining++;
                    (t.Rounds ??= []).Add(round);
                }
            }
            if (round.Remaining == 0)
                done.TrySetResult();
        }
        return true;
    }

    private void Apply(List<ControlledRealServer> servers, long now)
    {
        var next = new Dictionary<RealServerId, Target>(servers.Count);
        foreach (var s in servers)
        {
            var id = s.Id;
            if (_targets.TryGetValue(id, out var t) && t.Server.Check == s.Check)
            {
                t.Server = s;
            }
            else
            {
                var fresh = new Target(s, now);
                if (t is { Running: true })
                    t.Next = fresh;
                else
                    _queue.Enqueue(fresh, now);
                t = fresh;
            }
            next[id] = t;
        }
        foreach (var (id, t) in _targets)
        {
            if (next.TryGetValue(id, out var kept) && ReferenceEquals(kept, t))
                continue;
            t.Dropped = true;
            if (!t.Running)
                EndRounds(t); // never probed again (it is skipped when its turn comes)
        }
        _targets.Clear();
        foreach (var (id, t) in next)
            _targets[id] = t;
    }

    private void Expire(long now)
    {
        for (int i = _inFlight.Count - 1; i >= 0; i--)
        {
            var t = _inFlight[i];
            if (t.Deadline > now)
                continue;
            _inFlight.RemoveAt(i);
            Finish(t, "timed out after " + HealthProber.Seconds(t.Check.Timeout), now);
        }
    }

    private void StartDue(long now)
    {
        while (_inFlight.Count < _maxInFlight && _queue.TryPeek(out var t, out long due) && due <= now)
        {
            _queue.Dequeue();
            if (t.Dropped)
                continue;
            // At a fixed rate, as HealthMonitor: due an interval after it was due; after a long stall, an interval from now.
            long interval = Ticks(t.Check.Interval);
            t.Due = t.Due + interval > now ? t.Due + interval : now + interval;
            Begin(t, now);
        }
    }

    private unsafe void Begin(Target t, long now)
    {
        t.Started = now;
        int fd;
        try
        {
            fd = TakeSocket(t.Family, now);
        }
        catch (LvsException e)
        {
            Finish(t, e.Message, now); // the namespace is gone (or no socket can be had): this check fails, the loop goes on
            return;
        }
        int result;
        fixed (byte* address = t.Sockaddr)
            result = Native.connect(fd, address, t.SockaddrLength);
        int errno = result == 0 ? 0 : Native.LastErrno;
        t.Fd = fd;
        if (errno is Errno.EINPROGRESS or Errno.EINTR) // EINTR: the connect goes on, as after EINPROGRESS
        {
            t.Running = true;
            t.Deadline = now + Ticks(t.Check.Timeout);
            _inFlight.Add(t);
        }
        else
        {
            Finish(t, errno == 0 ? null : HealthProber.Describe(errno), now); // on loopback and veth the handshake is often done already
        }
    }

    private int TakeSocket(int family, long now)
    {
        if (netNamespace.IsCurrent)
            return NewSocket(family); // the loop's own namespace: no stock, no visit
        var stock = family == Native.AF_INET6 ? _stock6 : _stock4;
        if (stock.Count == 0)
        {
            (_visitor ??= netNamespace.OpenVisitor()).Visit(() =>
            {
                while (stock.Count < Batch)
                    stock.Push(NewSocket(family));
                return 0;
            });
            _verified = now;
        }
        else if (now - _verified >= Ticks(VerifyEvery))
        {
            netNamespace.Verify();
            _verified = now;
        }
        return stock.Pop();
    }

    private static int NewSocket(int family)
    {
        int fd = Native.socket(family, Native.SOCK_STREAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, Native.IPPROTO_TCP);
        if (fd < 0)
        {
            int errno = Native.LastErrno;
            throw new LvsException(KernelErrors.Kind(errno), "ProbeSocketFailed", $"Cannot open a TCP socket to probe from: {Errno.Describe(errno)}.");
        }
        return fd;
    }

    // Closes the check's socket, reports its result (null error: accepted) and queues the server's next probe.
    private void Finish(Target t, string? error, long end)
    {
        if (t.Fd >= 0)
            Native.close(t.Fd);
        t.Fd = -1;
        t.Running = false;
        Report(t, error is null ? ProbeOutcome.Accepted(Stopwatch.GetElapsedTime(t.Started, end)) : new ProbeOutcome(false, error));
        EndRounds(t);
        if (!t.Dropped)
            _queue.Enqueue(t, t.Due);
        else if (t.Next is { } next)
            _queue.Enqueue(next, next.Due);
    }

    private void Report(Target t, ProbeOutcome outcome)
    {
        try
        {
            report(t.Server.Id, outcome);
        }
        catch (Exception)
        {
            // As for the other probes: a failure of what the result set off (a cycle reports its own) ends that report, not the checks.
        }
    }

    private static void EndRounds(Target t)
    {
        foreach (var r in t.Rounds ?? NoRounds)
            if (--r.Remaining == 0)
                r.Done.TrySetResult();
        t.Rounds = null;
    }

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    // Until the next due time (when a connect may start) or the next deadline, rounded up to whole milliseconds; -1: none.
    private int PollTimeout(long now)
    {
        long next = long.MaxValue;
        if (_inFlight.Count < _maxInFlight && _queue.TryPeek(out _, out long due))
            next = due;
        foreach (var t in _inFlight)
            next = Math.Min(next, t.Deadline);
        if (next == long.MaxValue)
            return -1;
        long wait = next - now;
        return wait <= 0 ? 0 : (int)Math.Min(int.MaxValue, (wait * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }
}
