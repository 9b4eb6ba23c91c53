namespace LvsTools.Core.Controller;

/// <summary>
/// When a probe's thread may reconcile the service of a server that crossed its rise or fall itself, instead of handing it
/// to the loop: not within <see cref="Gap"/> of the end of its last reaction (a mass failure is batched by the loop, and a
/// probe thread is held for one small cycle at most in that time), and not for <see cref="Backoff"/> after a reaction that
/// took longer than <see cref="Budget"/> (a busy machine: the TCP checks' one thread must not wait for slow cycles; their
/// timeouts run on). Pure: the caller gives the times.
/// </summary>
internal sealed class ReactionRule
{
    /// <summary>The least time from the end of one reaction to the start of the next.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest reaction that does not stop the next ones.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(50);

    /// <summary>How long reactions go to the loop after one that took longer than <see cref="Budget"/>.</summary>
    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(30);

    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;

    /// <summary>Whether a probe's thread may react at <paramref name="now"/>.</summary>
    public bool May(DateTimeOffset now) => now >= _notBefore;

    /// <summary>A reaction ran from <paramref name="started"/> to <paramref name="ended"/>.</summary>
    public void Reacted(DateTimeOffset started, DateTimeOffset ended) =>
        _notBefore = ended + (ended - started > Budget ? Backoff : Gap);
}
