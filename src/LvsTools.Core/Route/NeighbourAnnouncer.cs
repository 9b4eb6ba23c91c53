using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Route;

/// <summary>
/// Tells a segment's neighbours that an address now lives on an interface, so that their neighbour entries for it switch
/// to this interface's MAC at once instead of when they time out (a VIP moved from one director to another):
/// IPv4, a gratuitous ARP (an ARP request for the address, from the address, to broadcast: `arping -U`); IPv6, an
/// unsolicited neighbour advertisement with the override flag to all nodes (RFC 4861 7.2.6). keepalived sends the same
/// frames when VRRP makes it master. The frames leave from inside the interface's network namespace.
/// </summary>
public static unsafe class NeighbourAnnouncer
{
    private const int AF_PACKET = 17, ETH_P_ARP = 0x0806, IPPROTO_IPV6 = 41, IPV6_FREEBIND = 78;

    /// <summary>The command-line twin of an announcement, for -WhatIf.</summary>
    public static string Describe(string interfaceName, IPAddress address, int count) =>
        address.AddressFamily == AddressFamily.InterNetwork
            ? $"arping -U -c {count} -I {interfaceName} {address}"
            : $"unsolicited neighbour advertisement x{count} for {address} on {interfaceName} (ndsend {address} {interfaceName})";

    /// <summary>The interface's Ethernet address, or null when it has none to announce (loopback, ipip, a point-to-point link).</summary>
    public static byte[]? EthernetAddressOf(NetInterface link)
    {
        if (link.MacAddress is not { } text || (link.Flags & InterfaceFlags.NoArp) != 0 || (link.Flags & InterfaceFlags.Loopback) != 0)
            return null;
        var parts = text.Split(':');
        if (parts.Length != 6)
            return null;
        var mac = new byte[6];
        for (int i = 0; i < 6; i++)
            if (!byte.TryParse(parts[i], System.Globalization.NumberStyles.HexNumber, null, out mac[i]))
                return null;
        return mac.All(b => b == 0) ? null : mac;
    }

    /// <summary>Refuses an interface with no Ethernet address to announce from (checked before anything is changed).</summary>
    /// <exception cref="LvsException">CannotAnnounce (InvalidArgument).</exception>
    public static byte[] RequireEthernetAddress(NetInterface link) =>
        EthernetAddressOf(link) ?? throw LvsException.Invalid("CannotAnnounce",
            $"Interface {link.Name} has no Ethernet address (loopback, a tunnel or a NOARP link): there are no neighbours to announce an address to.", link.Name);

    /// <summary>
    /// Sends <paramref name="count"/> announcements of <paramref name="address"/> from <paramref name="link"/>,
    /// <paramref name="gap"/> apart, from inside <paramref name="ns"/>.
    /// </summary>
    public static void Announce(NetNamespace ns, NetInterface link, IPAddress address, int count = 1, TimeSpan gap = default)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var mac = RequireEthernetAddress(link);
        ns.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                if (i > 0 && gap > TimeSpan.Zero)
                    Thread.Sleep(gap);
                if (address.AddressFamily == AddressFamily.InterNetwork)
                    SendArp(link, mac, address);
                else
                    SendAdvertisement(link, mac, address);
            }
        });
    }

    private static void SendArp(NetInterface link, byte[] mac, IPAddress address)
    {
        Span<byte> frame = stackalloc byte[60];
        frame.Clear();
        frame[..6].Fill(0xff);                                  // to: broadcast
        mac.CopyTo(frame[6..]);                                 // from: this interface
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], ETH_P_ARP);
        BinaryPrimitives.WriteUInt16BigEndian(frame[14..], 1);  // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame[16..], 0x0800);
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame[20..], 1);  // ARP request
        mac.CopyTo(frame[22..]);                                // sender: this MAC and the address
        address.TryWriteBytes(frame[28..], out _);
        address.TryWriteBytes(frame[38..], out _);              // target: the address itself (target MAC left 0)
        int fd = Native.socket(AF_PACKET, Native.SOCK_RAW | Native.SOCK_CLOEXEC, BinaryPrimitives.ReverseEndianness((ushort)ETH_P_ARP));
        if (fd < 0)
            throw Failed(link, address, Marshal.GetLastPInvokeError());
        try
        {
            var to = new SockaddrLl { Family = AF_PACKET, Protocol = BinaryPrimitives.ReverseEndianness((ushort)ETH_P_ARP), IfIndex = link.Index, HaLen = 6 };
            for (int i = 0; i < 6; i++)
                to.Addr[i] = 0xff;
            fixed (byte* p = frame)
                if (sendto(fd, p, frame.Length, 0, &to, sizeof(SockaddrLl)) < 0)
                    throw Failed(link, address, Marshal.GetLastPInvokeError());
        }
        finally
        {
            Native.close(fd);
        }
    }

    private static void SendAdvertisement(NetInterface link, byte[] mac, IPAddress address)
    {
        // type 136, code 0, checksum (the kernel fills it in for ICMPv6 raw sockets), flags: override; the target; option 2:
        // the target's link-layer address.
        var message = new byte[32];
        message[0] = 136;
        message[4] = 0x20;
        address.TryWriteBytes(message.AsSpan(8), out _);
        message[24] = 2;
        message[25] = 1;
        mac.CopyTo(message, 26);
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6);
            socket.SetRawSocketOption(IPPROTO_IPV6, IPV6_FREEBIND, BitConverter.GetBytes(1)); // a VIP still in duplicate address detection
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 255); // RFC 4861: hop limit 255
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, link.Index);
            socket.Bind(new IPEndPoint(address, 0));
            socket.SendTo(message, new IPEndPoint(IPAddress.Parse("ff02::1"), 0));
        }
        catch (SocketException e)
        {
            throw Failed(link, address, e.SocketErrorCode == SocketError.AccessDenied, e.Message);
        }
    }

    private static LvsException Failed(NetInterface link, IPAddress address, int errno) =>
        Failed(link, address, errno is 1 or 13, Marshal.GetPInvokeErrorMessage(errno));

    // The socket layer's own text: a SocketException carries it (its error code is .NET's, not an errno).
    private static LvsException Failed(NetInterface link, IPAddress address, bool denied, string why) =>
        new(denied ? LvsErrorKind.PermissionDenied : LvsErrorKind.OperationFailed, "AnnounceFailed",
            $"The announcement of {address} on {link.Name} could not be sent: {why}" +
            (denied ? " (sending raw frames needs root: CAP_NET_RAW)." : "."), address.ToString());

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public fixed byte Addr[8];
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint sendto(int fd, byte* buf, nint len, int flags, SockaddrLl* to, int tolen);
}
