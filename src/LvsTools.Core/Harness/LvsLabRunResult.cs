namespace LvsTools;

/// <summary>Where Invoke-LvsLab ran its command.</summary>
public enum LvsLabKernel
{
    /// <summary>The running kernel (it has IPVS).</summary>
    Host,
    /// <summary>The User-mode Linux guest (linux.uml with the IPVS modules).</summary>
    Uml,
}

/// <summary>What one Invoke-LvsLab run did (-PassThru).</summary>
public sealed record LvsLabRunResult(int ExitCode, TimeSpan Duration, LvsLabKernel Kernel, string Path, string Command);
