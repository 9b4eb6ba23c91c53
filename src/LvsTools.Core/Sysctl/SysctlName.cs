namespace LvsTools.Core.Sysctl;

/// <summary>
/// A validated sysctl key. Accepts the dotted form (net.ipv4.conf.eth0/100.rp_filter, where '/' stands for a
/// '.' inside one component, as sysctl(8) has it) and the slashed form (net/ipv4/conf/eth0.100/rp_filter); the
/// first separator decides which. Every component is checked, so the key can only ever name a file under
/// /proc/sys: no "..", no ".", no empty component, no NUL or control character, no leading "/proc/sys" tricks.
/// </summary>
public sealed class SysctlName : IEquatable<SysctlName>
{
    public const string Root = "/proc/sys";

    private SysctlName(string[] components) => Components = components;

    /// <summary>The path components below /proc/sys.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>The dotted name, with '.' inside a component written as '/'.</summary>
    public string Dotted => string.Join('.', Components.Select(c => c.Replace('.', '/')));

    /// <summary>The file under /proc/sys.</summary>
    public string Path => Root + "/" + string.Join('/', Components);

    /// <summary>Parses and validates <paramref name="name"/>; wildcards (* ? [ ]) only when <paramref name="allowWildcards"/>.</summary>
    /// <exception cref="LvsException">InvalidSysctlName.</exception>
    public static SysctlName Parse(string name, bool allowWildcards = false)
    {
        string n = name?.Trim() ?? "";
        if (n.StartsWith(Root + "/", StringComparison.Ordinal))
            n = n[(Root.Length + 1)..];
        int dot = n.IndexOf('.'), slash = n.IndexOf('/');
        bool slashed = slash >= 0 && (dot < 0 || slash < dot);
        string[] parts = slashed
            ? n.Split('/')
            : n.Split('.').Select(p => p.Replace('/', '.')).ToArray();
        if (n.Length == 0 || n.Length > 4096)
            throw Invalid(name ?? "", "it is empty or too long");
        foreach (var p in parts)
        {
            if (p.Length == 0)
                throw Invalid(name!, "it has an empty component (a leading, trailing or doubled separator)");
            if (p is "." or "..")
                throw Invalid(name!, $"the component '{p}' would leave the key's directory");
            if (p.Any(c => char.IsControl(c) || c == '\\' || char.IsWhiteSpace(c)))
                throw Invalid(name!, "it contains a control, white-space or backslash character");
            if (p.Length > 255)
                throw Invalid(name!, "a component is longer than 255 characters");
            if (!allowWildcards && p.IndexOfAny(['*', '?', '[', ']']) >= 0)
                throw Invalid(name!, "wildcards are not allowed here");
        }
        // Belt and braces: the resolved path must still be below /proc/sys.
        var full = System.IO.Path.GetFullPath(Root + "/" + string.Join('/', parts));
        if (!full.StartsWith(Root + "/", StringComparison.Ordinal))
            throw Invalid(name!, "it resolves outside /proc/sys");
        return new SysctlName(parts);
    }

    /// <summary>Builds a key from components that are already known to be safe (interface names validated by the caller).</summary>
    public static SysctlName FromComponents(params string[] components) => Parse(string.Join('/', components));

    public bool HasWildcards => Components.Any(c => c.IndexOfAny(['*', '?', '[']) >= 0);

    /// <summary>
    /// Whether the key belongs to one network namespace or to the whole host. Only keys under net.* can be
    /// per-namespace (kernel.*, vm.*, fs.*, dev.*, user.*, abi.*, debug.* never are); under net.*, the keys in
    /// <see cref="HostWideNetKeys"/> are host-wide as well.
    /// </summary>
    public SysctlScope Scope => IsHostWide(Components) ? SysctlScope.Host : SysctlScope.NetNamespace;

    /// <summary>
    /// The keys under net.* that are not per network namespace, measured on Linux 6.18 by listing /proc/sys/net
    /// from the initial namespace and from a new one (`ip netns exec`): the initial namespace's own tables
    /// (net.core.netdev_max_backlog, net.ipv4.tcp_mem, net.ipv4.route.gc_thresh, the neighbour tables' defaults
    /// ...), which a new namespace does not show at all, and the host-wide values a new namespace shows read-only
    /// (net.core.rmem_max, net.netfilter.nf_conntrack_max, net.ipv4.vs.debug_level ...). A trailing '*' stands for
    /// everything below.
    /// Everything else under net.* is the namespace's own (net.ipv4.ip_forward, net.ipv4.conf.*, net.ipv4.vs.*).
    /// </summary>
    public static IReadOnlyList<string> HostWideNetKeys { get; } =
    [
        "net.core.bpf_jit_enable", "net.core.bpf_jit_harden", "net.core.bpf_jit_kallsyms", "net.core.bpf_jit_limit",
        "net.core.busy_poll", "net.core.busy_read", "net.core.default_qdisc", "net.core.dev_weight",
        "net.core.dev_weight_rx_bias", "net.core.dev_weight_tx_bias", "net.core.devconf_inherit_init_net",
        "net.core.fb_tunnels_only_for_init_net", "net.core.flow_limit_cpu_bitmap", "net.core.flow_limit_table_len",
        "net.core.gro_normal_batch", "net.core.high_order_alloc_disable", "net.core.max_skb_frags", "net.core.mem_pcpu_rsv",
        "net.core.message_burst", "net.core.message_cost", "net.core.netdev_budget", "net.core.netdev_budget_usecs",
        "net.core.netdev_max_backlog", "net.core.netdev_rss_key", "net.core.netdev_tstamp_prequeue",
        "net.core.netdev_unregister_timeout_secs", "net.core.rps_sock_flow_entries", "net.core.skb_defer_max",
        "net.core.warnings", "net.core.rmem_default", "net.core.rmem_max", "net.core.wmem_default", "net.core.wmem_max",
        "net.ipv4.cipso_cache_bucket_size", "net.ipv4.cipso_cache_enable", "net.ipv4.cipso_rbm_optfmt",
        "net.ipv4.cipso_rbm_strictvalid", "net.ipv4.fib_sync_mem", "net.ipv4.inet_peer_maxttl", "net.ipv4.inet_peer_minttl",
        "net.ipv4.inet_peer_threshold", "net.ipv4.ipfrag_secret_interval", "net.ipv4.neigh.default.*",
        "net.ipv4.route.error_burst", "net.ipv4.route.error_cost", "net.ipv4.route.gc_elasticity", "net.ipv4.route.gc_interval",
        "net.ipv4.route.gc_min_interval", "net.ipv4.route.gc_min_interval_ms", "net.ipv4.route.gc_thresh",
        "net.ipv4.route.gc_timeout", "net.ipv4.route.max_size", "net.ipv4.route.redirect_load", "net.ipv4.route.redirect_number",
        "net.ipv4.route.redirect_silence", "net.ipv4.tcp_available_ulp", "net.ipv4.tcp_low_latency", "net.ipv4.tcp_max_orphans",
        "net.ipv4.tcp_mem", "net.ipv4.udp_mem", "net.ipv4.tcp_allowed_congestion_control",
        "net.ipv4.tcp_available_congestion_control",
        "net.ipv6.calipso_cache_bucket_size", "net.ipv6.calipso_cache_enable", "net.ipv6.ip6frag_secret_interval",
        "net.ipv6.mld_max_msf", "net.ipv6.mld_qrv", "net.ipv6.neigh.default.*",
        "net.netfilter.nf_conntrack_buckets", "net.netfilter.nf_conntrack_expect_max", "net.netfilter.nf_conntrack_max",
        "net.netfilter.nf_log_all_netns", "net.nf_conntrack_max",
        "net.ipv4.vs.debug_level", // IPVS's one global: read-only in a new namespace (measured on the UML guest's 6.1 with ip_vs)
    ];

    /// <summary>The scope of a dotted or slashed key; Host for anything that is not a valid key.</summary>
    public static SysctlScope ScopeOf(string name)
    {
        try { return Parse(name, allowWildcards: true).Scope; }
        catch (LvsException) { return SysctlScope.Host; }
    }

    private static readonly HashSet<string> HostWideExact = HostWideNetKeys.Where(k => !k.Contains('*')).ToHashSet(StringComparer.Ordinal);
    private static readonly string[] HostWidePrefixes = HostWideNetKeys.Where(k => k.EndsWith(".*", StringComparison.Ordinal)).Select(k => k[..^1]).ToArray();

    private static bool IsHostWide(IReadOnlyList<string> components)
    {
        if (components.Count == 0 || components[0] != "net")
            return true;
        var dotted = string.Join('.', components);
        return HostWideExact.Contains(dotted) || HostWidePrefixes.Any(p => dotted.StartsWith(p, StringComparison.Ordinal));
    }

    private static LvsException Invalid(string name, string why) =>
        LvsException.Invalid("InvalidSysctlName", $"'{name}' is not a valid sysctl name: {why}.", name);

    public bool Equals(SysctlName? other) => other is not null && Path == other.Path;
    public override bool Equals(object? obj) => Equals(obj as SysctlName);
    public override int GetHashCode() => Path.GetHashCode();
    public override string ToString() => Dotted;
}

/// <summary>Where a kernel parameter applies.</summary>
public enum SysctlScope
{
    /// <summary>One network namespace: each namespace has its own value (net.ipv4.ip_forward).</summary>
    NetNamespace,
    /// <summary>The whole host, whichever namespace it is read or written from (kernel.*, vm.*, net.core.rmem_max).</summary>
    Host,
}
