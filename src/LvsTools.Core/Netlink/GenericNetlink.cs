namespace LvsTools.Core.Netlink;

/// <summary>A resolved generic netlink family (nlctrl's answer).</summary>
public sealed record GenericFamily(string Name, ushort Id, uint Version, uint HeaderSize, uint MaxAttribute);

/// <summary>Generic netlink: the 4-byte genlmsghdr and family resolution through nlctrl.</summary>
public static class GenericNetlink
{
    /// <summary>GENL_ID_CTRL: the controller family's fixed id.</summary>
    public const ushort ControllerId = 0x10;
    public const int HeaderSize = 4;

    private const byte CtrlCmdNewFamily = 1, CtrlCmdGetFamily = 3;
    private const ushort CtrlAttrFamilyId = 1, CtrlAttrFamilyName = 2, CtrlAttrVersion = 3, CtrlAttrHdrSize = 4, CtrlAttrMaxAttr = 5;

    /// <summary>Begins a generic netlink message: nlmsghdr plus genlmsghdr {cmd, version, reserved}.</summary>
    public static NetlinkWriter BeginMessage(this NetlinkWriter w, ushort familyId, byte command, byte version, NetlinkFlags flags = NetlinkFlags.None)
    {
        w.BeginMessage(familyId, flags);
        return w.WriteBytes([command, version, 0, 0]);
    }

    /// <summary>
    /// Resolves a family by name. Equivalent to: genl ctrl get name IPVS.
    /// </summary>
    /// <exception cref="GenericFamilyNotFoundException">No such family in this namespace's kernel.</exception>
    public static GenericFamily ResolveFamily(NetlinkConnection connection, string name)
    {
        var w = new NetlinkWriter(64);
        w.BeginMessage(ControllerId, CtrlCmdGetFamily, 1).String(CtrlAttrFamilyName, name).EndMessage();
        GenericFamily? family = null;
        try
        {
            connection.Execute(w, "CTRL_CMD_GETFAMILY", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
            {
                family = ParseFamily(p);
            });
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENOENT)
        {
            throw new GenericFamilyNotFoundException(name, e);
        }
        return family ?? throw new NetlinkProtocolException($"CTRL_CMD_GETFAMILY {name}: no family in the reply");
    }

    /// <summary>Parses a CTRL_CMD_NEWFAMILY payload (genlmsghdr + attributes).</summary>
    public static GenericFamily ParseFamily(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderSize || payload[0] != CtrlCmdNewFamily)
            throw new NetlinkProtocolException("CTRL_CMD_GETFAMILY: the reply is not CTRL_CMD_NEWFAMILY");
        string name = "";
        ushort id = 0;
        uint version = 0, hdr = 0, max = 0;
        foreach (var a in new NetlinkAttributeReader(payload[HeaderSize..]))
        {
            switch (a.Type)
            {
                case CtrlAttrFamilyId: id = a.U16(); break;
                case CtrlAttrFamilyName: name = a.String(); break;
                case CtrlAttrVersion: version = a.U32(); break;
                case CtrlAttrHdrSize: hdr = a.U32(); break;
                case CtrlAttrMaxAttr: max = a.U32(); break;
            }
        }
        if (id == 0)
            throw new NetlinkProtocolException("CTRL_CMD_NEWFAMILY without a family id");
        return new GenericFamily(name, id, version, hdr, max);
    }
}
