namespace LvsTools.Core.Config;

/// <summary>
/// The services and real servers a document check built from a document's entries (by entry: the same entry object),
/// each already checked at the document's level (<see cref="LvsConfigurationValidator.DocumentLevel"/>). The planner
/// takes them from here instead of building and checking every entry a second time. Opaque outside Core: what
/// <see cref="LvsConfigurationValidator.Resolve"/> and <see cref="LvsConfigurationDocument.FromJson(byte[], out LvsResolvedEntries)"/>
/// return is handed to <see cref="LvsConfigurationSync.Plan(LvsKernelState, LvsConfigurationDocument, bool, Route.RouteClient?, LvsResolvedEntries?)"/>
/// with the same document, unchanged in between.
/// </summary>
public sealed class LvsResolvedEntries
{
    internal LvsResolvedEntries()
    {
    }

    // Kept on the entries themselves, stamped with the check that built them (no lookup table: hashing 50,000 entry
    // objects by reference cost more than building them again).
    internal void Keep(LvsServiceEntry entry, LvsService service) => entry.Resolved = (this, service);

    internal void Keep(LvsRealServerEntry entry, LvsRealServer server) => entry.Resolved = (this, server);

    internal LvsService? Service(LvsServiceEntry entry) => entry.Resolved is { } r && ReferenceEquals(r.By, this) ? r.Service : null;

    internal LvsRealServer? RealServer(LvsRealServerEntry entry) => entry.Resolved is { } r && ReferenceEquals(r.By, this) ? r.Server : null;
}
