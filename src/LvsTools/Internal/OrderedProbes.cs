namespace LvsTools.Internal;

/// <summary>
/// Runs probes concurrently, at most <c>limit</c> at a time, and hands their outcomes back in the order they were
/// started or refused (input order), so a cmdlet's output and errors do not depend on which server answers first.
/// Waiting happens only on the caller's thread (the pipeline thread), never inside the probes.
/// </summary>
internal sealed class OrderedProbes<TTarget, TResult>(int limit, CancellationToken cancellationToken)
{
    private readonly SemaphoreSlim _slots = new(limit, limit);
    private readonly Queue<(Task<TResult> Task, TTarget Target)> _pending = new();

    /// <summary>How many started probes have not been handed back yet.</summary>
    public int Count => _pending.Count;

    /// <summary>Starts <paramref name="probe"/> when a slot is free (queued until then).</summary>
    public void Start(TTarget target, Func<CancellationToken, Task<TResult>> probe) =>
        _pending.Enqueue((Task.Run(async () =>
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await probe(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        }, cancellationToken), target));

    /// <summary>
    /// Queues a target that failed before its probe could start (its namespace cannot be entered, its address has no
    /// port): its failure is handed back in its turn, after the outcomes of the targets before it.
    /// </summary>
    public void Fail(TTarget target, Exception failure) => _pending.Enqueue((Task.FromException<TResult>(failure), target));

    /// <summary>
    /// The outcomes ready in input order: those already finished at the head of the queue, then, while more than
    /// <paramref name="keep"/> remain, the next ones waited for. <c>Take(0)</c> waits for all.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public IEnumerable<(TTarget Target, TResult? Result, Exception? Failure)> Take(int keep)
    {
        while (_pending.TryPeek(out var head) && (head.Task.IsCompleted || _pending.Count > keep))
        {
            if (!head.Task.IsCompleted)
                head.Task.Wait(cancellationToken);
            _pending.Dequeue();
            yield return head.Task.IsCompletedSuccessfully
                ? (head.Target, head.Task.Result, null)
                : (head.Target, default, head.Task.Exception?.InnerException ?? new OperationCanceledException(cancellationToken));
        }
    }
}
