using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

// Sending operations: one with its answer, or many in batches.
public sealed partial class IpvsClient
{
    /// <summary>
    /// Validates and sends one operation, waiting for the kernel's answer. Kernel errors come back as the
    /// <see cref="NetlinkException"/>, except those <see cref="IpvsOperation.Translate"/> gives an IPVS id.
    /// </summary>
    /// <exception cref="LvsException">Invalid values, or the kernel's refusal.</exception>
    public void Execute(IpvsOperation operation)
    {
        operation.Validate();
        var w = new NetlinkWriter(256);
        operation.Write(w, FamilyId);
        Namespace.Verify();
        try
        {
            _connection.Execute(w, operation.CommandName);
        }
        catch (NetlinkException e) when (operation.Translate(e) is { ErrorId.Length: > 0 } ipvs)
        {
            throw ipvs;
        }
    }

    /// <summary>
    /// Sends many operations in order, 256 per sendmsg, an acknowledgement asked only for the last of each sendmsg (see
    /// <see cref="NetlinkConnection.Batch(int, Action{NetlinkWriter, int, int}, string, int, bool, Action{int}, CancellationToken)"/>). All operations are validated first; nothing is sent if one is invalid.
    /// The kernel processes each request even after another failed; every refusal is in
    /// <see cref="BatchResult.Failures"/> with <see cref="NetlinkException.RequestIndex"/> = the index in
    /// <paramref name="operations"/> (use <see cref="IpvsOperation.Translate"/> on it for IPVS ids).
    /// Equivalent to: ipvsadm -R with the operations' command lines, without its per-line socket and family lookup.
    /// </summary>
    /// <exception cref="LvsException">An operation is invalid (the message names its index and command line).</exception>
    public BatchResult Apply(IReadOnlyList<IpvsOperation> operations, Action<int>? progress = null, CancellationToken cancellation = default,
        bool validate = true)
    {
        ArgumentNullException.ThrowIfNull(operations);
        for (int i = 0; validate && i < operations.Count; i++)
        {
            try
            {
                operations[i].Validate();
            }
            catch (LvsException e)
            {
                throw new LvsException(e.Kind, e.ErrorId, $"Operation {i} ({operations[i].Describe()}): {e.Message}", e.Target, e);
            }
        }
        bool oneCommand = true;
        foreach (var op in operations)
            oneCommand &= op.Command == operations[0].Command;
        string name = operations.Count > 0 && oneCommand ? operations[0].CommandName : "IPVS batch";
        Namespace.Verify();
        // Encoded one sendmsg at a time into one small buffer, not the whole batch at once (8 MB for 50,000 requests).
        ushort family = FamilyId;
        return _connection.Batch(operations.Count, (w, first, count) =>
        {
            for (int i = first; i < first + count; i++)
                operations[i].Write(w, family);
        }, name, progress: progress, cancellation: cancellation);
    }
}
