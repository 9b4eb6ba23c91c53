using System.Management.Automation;

namespace LvsTools.Internal;

/// <summary>
/// Base of New- and Set-LvsService: the service settings both take, declared once. New-LvsService starts from the
/// defaults; Set-LvsService changes only what is given (a switch given as :$false turns the setting off, an empty
/// -SchedulerFlag list or -PersistenceEngine '' clears it). -Scheduler is declared by each: New binds it by property
/// name (CSV rows), Set must not (a piped service's own scheduler would be written back).
/// </summary>
public abstract class ServiceSettingsCommandBase : ServiceCommandBase
{
    /// <summary>Scheduler flags (ipvsadm -b): sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3; an empty list: none.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? SchedulerFlag { get; set; }

    /// <summary>Persistence (ipvsadm -p), with the default timeout of 300 s unless -PersistenceTimeout; -Persistent:$false turns it off.</summary>
    [Parameter]
    public SwitchParameter Persistent { get; set; }

    /// <summary>Persistence timeout (ipvsadm -p N); implies -Persistent.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan? PersistenceTimeout { get; set; }

    /// <summary>Persistence granularity (ipvsadm -M): an IPv4 mask (255.255.255.0) or a prefix length (24, or 64 for IPv6).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PersistenceNetmask { get; set; }

    /// <summary>Persistence engine (ipvsadm --pe); the kernel has "sip". An empty string: none.</summary>
    [Parameter]
    [AllowEmptyString]
    public string? PersistenceEngine { get; set; }

    /// <summary>One-packet scheduling for UDP (ipvsadm -o); -OnePacket:$false turns it off.</summary>
    [Parameter]
    public SwitchParameter OnePacket { get; set; }
}
