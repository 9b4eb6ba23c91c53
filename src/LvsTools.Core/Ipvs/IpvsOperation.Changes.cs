using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

// The operations that carry a whole service or real server: add and edit send the full form.
public abstract partial record IpvsOperation
{
    /// <summary>ipvsadm -A / -E: a service sent in full (NEW_SERVICE / SET_SERVICE).</summary>
    /// <param name="Service">The service, sent in its full form.</param>
    /// <param name="Option">The ipvsadm option of the command: -A or -E.</param>
    public abstract record ServiceOperation(LvsService Service, string Option) : IpvsOperation(
        Option == "-A" ? IpvsNetlink.IPVS_CMD_NEW_SERVICE : IpvsNetlink.IPVS_CMD_SET_SERVICE)
    {
        /// <summary>-A or -E: fixed with the command (not changed by <c>with</c>).</summary>
        public string Option { get; } = Option;

        /// <summary>The service's identity.</summary>
        public ServiceKey Key => Service.Key;

        public override string Describe() => "ipvsadm " + IpvsadmSyntax.ServiceRule(Option, Service);
        public override string Target => Key.ToString();
        public override void Validate() => IpvsValidation.Service(Service, Validation);
        private protected override void WriteAttributes(NetlinkWriter w) => IpvsCodec.WriteService(w, Service);

        /// <summary>
        /// ENOENT on NEW_SERVICE / SET_SERVICE means the scheduler or the persistence engine could not be found (the
        /// kernel tried to load ip_vs_NAME / ip_vs_pe_NAME): SchedulerNotAvailable or PersistenceEngineNotAvailable.
        /// </summary>
        public override LvsException Translate(NetlinkException e)
        {
            if (e.Errno != Errno.ENOENT)
                return KernelErrors.From(e);
            var svc = Service;
            bool blamePe = !string.IsNullOrEmpty(svc.PersistenceEngine) && IpvsModules.IsSchedulerAvailable(svc.Scheduler) == true;
            if (blamePe)
            {
                bool known = IpvsValidation.KnownPersistenceEngines.Contains(svc.PersistenceEngine!);
                return new LvsException(known ? LvsErrorKind.NotSupported : LvsErrorKind.InvalidArgument, "PersistenceEngineNotAvailable",
                    $"The kernel has no persistence engine '{svc.PersistenceEngine}' (module ip_vs_pe_{svc.PersistenceEngine} is not " +
                    $"loaded and could not be loaded){(known ? "" : "; the kernel knows only 'sip'")}: {CommandName} answered ENOENT.",
                    svc.PersistenceEngine, e);
            }
            bool knownSched = IpvsValidation.KnownSchedulers.Contains(svc.Scheduler);
            string also = string.IsNullOrEmpty(svc.PersistenceEngine) ? "" : $" (or persistence engine '{svc.PersistenceEngine}')";
            return new LvsException(knownSched ? LvsErrorKind.NotSupported : LvsErrorKind.InvalidArgument, "SchedulerNotAvailable",
                $"The kernel has no scheduler '{svc.Scheduler}'{also}: module ip_vs_{svc.Scheduler} is not loaded and could not be " +
                $"loaded ({(knownSched ? "this kernel was built without it" : "unknown scheduler name")}); {CommandName} answered ENOENT.",
                svc.Scheduler, e);
        }
    }

    /// <summary>ipvsadm -A: adds a virtual service.</summary>
    public sealed record ServiceAdd(LvsService Service) : ServiceOperation(Service, "-A");

    /// <summary>ipvsadm -E: replaces a service's scheduler, flags, timeout, netmask and engine.</summary>
    public sealed record ServiceEdit(LvsService Service) : ServiceOperation(Service, "-E");

    /// <summary>ipvsadm -a / -e: a real server sent in full (NEW_DEST / SET_DEST) after its service's identity.</summary>
    /// <param name="RealServer">The real server, sent in its full form.</param>
    /// <param name="Option">The ipvsadm option of the command: -a or -e.</param>
    public abstract record RealServerOperation(LvsRealServer RealServer, string Option) : IpvsOperation(
        Option == "-a" ? IpvsNetlink.IPVS_CMD_NEW_DEST : IpvsNetlink.IPVS_CMD_SET_DEST)
    {
        /// <summary>-a or -e: fixed with the command (not changed by <c>with</c>).</summary>
        public string Option { get; } = Option;

        /// <summary>The service the real server belongs to.</summary>
        public ServiceKey Key => RealServer.Service;

        public override string Describe() => "ipvsadm " + IpvsadmSyntax.RealServerRule(Option, RealServer);
        public override string Target => $"{Key} -> {RealServer.Endpoint}";
        public override void Validate() => IpvsValidation.RealServer(RealServer, Validation);

        private protected override void WriteAttributes(NetlinkWriter w)
        {
            IpvsCodec.WriteServiceKey(w, Key);
            IpvsCodec.WriteRealServer(w, RealServer);
        }
    }

    /// <summary>ipvsadm -a: adds a real server.</summary>
    public sealed record RealServerAdd(LvsRealServer RealServer) : RealServerOperation(RealServer, "-a");

    /// <summary>ipvsadm -e: changes a real server's forwarding, weight and thresholds.</summary>
    public sealed record RealServerEdit(LvsRealServer RealServer) : RealServerOperation(RealServer, "-e");

    /// <summary>ipvsadm -d: deletes a real server (only its address and port identify it).</summary>
    public sealed record RealServerDelete(ServiceKey Key, IPAddress Address, ushort Port) : IpvsOperation(IpvsNetlink.IPVS_CMD_DEL_DEST)
    {
        /// <summary>"10.0.1.11:8080" or "[2001:db8::5]:80".</summary>
        public string Endpoint => IpvsadmSyntax.FormatEndpoint(Address, Port);

        public override string Describe() => $"ipvsadm -d {IpvsadmSyntax.ServiceArgument(Key)} -r {Endpoint}";
        public override string Target => $"{Key} -> {Endpoint}";
        public override void Validate() => IpvsValidation.Key(Key);

        private protected override void WriteAttributes(NetlinkWriter w)
        {
            IpvsCodec.WriteServiceKey(w, Key);
            IpvsCodec.WriteRealServerKey(w, Address, Port);
        }
    }
}
