# Messages that say what is wrong and what to do, for values no kernel state can match and for huge values.
# These need no kernel: every case fails before the first request.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-LvsModulePath) -Force
    $script:huge = 'x' * 4999 + 'y'
}

Describe 'Filters that can never match are errors, not silence' {
    It '<Command>' -ForEach @(
        @{ Command = 'Get-LvsConnection -State Bogus'; ErrorId = 'InvalidConnectionState'; Like = "'Bogus' matches no connection state the kernel reports: use one of ESTABLISHED, *SYN_SENT*(wildcards allowed)." }
        @{ Command = 'Get-LvsConnection -State ESTAB*, Nope*'; ErrorId = 'InvalidConnectionState'; Like = "'Nope*' matches no connection state*" }
        @{ Command = 'Get-LvsConnection -Protocol TPC'; ErrorId = 'InvalidConnectionProtocol'; Like = "'TPC' matches no protocol the kernel reports: use one of TCP, UDP, SCTP, IP, ICMP, ICMPv6 (wildcards allowed)." }
        @{ Command = 'Get-NetAlias -Label averyverylonglabel0'; ErrorId = 'InvalidLabel'; Like = "'averyverylonglabel0' cannot be an address label: labels are at most 15 characters (such as eth0:1)." }
    ) {
        $e = { $ErrorActionPreference = 'Stop'; & ([scriptblock]::Create($Command)) } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -BeLike $Like
    }

    It 'accepts every state and protocol the kernel writes, and wildcards that match one' {
        # Nothing is read on a kernel without IPVS, but the filter itself must not be refused.
        $e = $null
        try { Get-LvsConnection -State ESTABLISHED, syn*, NONE -Protocol tcp, IP, IP_47 -ErrorAction Stop } catch { $e = $_ }
        if ($e) { $e.FullyQualifiedErrorId | Should -Not -BeLike 'InvalidConnection*' }
    }
}

Describe 'A huge value is echoed clipped, once for every message' {
    It '<Command>' -ForEach @(
        @{ Command = 'Get-NetAlias -IPAddress $huge' }
        @{ Command = 'Get-Sysctl -Name $huge' }
        @{ Command = 'New-LvsService -Protocol Tcp -VirtualAddress 10.0.0.1 -Port 80 -Scheduler $huge -WhatIf' }
        @{ Command = 'Get-NetInterface -NetNamespace $huge' }
        @{ Command = 'Get-LvsConnection -State $huge' }
    ) {
        $e = { $ErrorActionPreference = 'Stop'; & ([scriptblock]::Create($Command)) } | Should -Throw -PassThru
        $e.Exception.Message | Should -Not -BeLike "*$huge*"
        $e.Exception.Message | Should -BeLike '*… (5000 characters)*'
        $e.Exception.Message.Length | Should -BeLessThan 600
    }
}

Describe 'A refused netlink request says what it needs' {
    It '<Operation>' -ForEach @(
        @{ Operation = 'IPVS_CMD_GET_SERVICE'; Like = 'Reading IPVS (services, real servers, timeouts, sync daemons, statistics) needs root (or CAP_NET_ADMIN)*reads too*' }
        @{ Operation = 'IPVS_CMD_GET_DEST'; Like = 'Reading IPVS*' }
        @{ Operation = 'RTM_GETLINK'; Like = 'Reading interfaces and addresses is open to every user*security policy*' }
        @{ Operation = 'RTM_NEWADDR'; Like = 'Changing network configuration needs root (or CAP_NET_ADMIN)*' }
        @{ Operation = 'IPVS_CMD_NEW_SERVICE'; Like = 'Changing network configuration needs root*' }
    ) {
        # ErrorMapper is internal to the module: reached through its assembly.
        $mapper = [LvsTools.Commands.NewLvsServiceCommand].Assembly.GetType('LvsTools.Internal.ErrorMapper', $true)
        $mapper.GetMethod('PermissionAdvice').Invoke($null, @($Operation)) | Should -BeLike $Like
    }
}
