# SPDX-License-Identifier: MIT
#
# excert agent, protocol 1: the one PowerShell script through which excert
# talks to an Exchange server.  docs/agent-protocol.md is the contract; this
# file implements it for Windows PowerShell 5.1 on Exchange 2016, 2019 and SE
# (Mailbox and Edge Transport servers).
#
# How it runs.  excert sends, on the standard input of
#     powershell.exe -NoProfile -NonInteractive -Command -
# (over ssh, or as the script of a WinRM shell), this file as it is, a blank
# line, the line
#     Invoke-ExcertAgent -RequestBase64 '<base64 of the request JSON>'
# and another blank line.  The file only defines functions; nothing runs
# before that last line.  The request reaches the agent as base64, which has
# no quote, so no value from excert.yaml is ever part of PowerShell code: it
# is decoded and parsed by ConvertFrom-Json, and only ever used as data
# (never Invoke-Expression, never a script block built from a string).
#
# The reply (one JSON document) is written to standard output as base64 of
# its UTF-8 bytes between two marker lines:
#     -----BEGIN EXCERT REPLY-----
#     ...
#     -----END EXCERT REPLY-----
# Whatever else the shell prints (banners, warnings, progress) is ignored by
# excert.  Operations run in order and the batch stops at the first one that
# fails; a failure carries one of the protocol's error categories, taken from
# the ErrorRecord when Exchange's own category is one of them.
#
# The rules of -Command -.  PowerShell reads such input like an interactive
# prompt: a complete line runs at once, and once a statement is incomplete
# it collects lines up to the next blank line and runs them together.  Hence:
#   - no blank line inside any block: function bodies, hashtables, script
#     blocks, try/catch, parameter lists (and no here-strings at all);
#   - a blank line after every top-level statement, so that it runs before
#     the next one is read;
#   - ASCII only: the console's code page would change anything else.
# tests/pscheck checks these rules and parses this file with a PowerShell
# grammar; that grammar also wants every string quoted (no bareword lists
# such as IIS,SMTP) and param() on its own line.
#
# PowerShell 5.1 pitfalls avoided on purpose: ConvertTo-Json's default depth
# of 2 (-Depth 10 here), dates as \/Date()\/ and enums as numbers (every
# value is converted explicitly: strings with [string], enums with
# ToString(), DER with ToBase64String), one-element arrays unrolled by the
# pipeline (lists are collected with @() where they are used) and arrays
# serialized as {"value":...,"Count":...} (System.Array's type data is
# removed before the reply is serialized).

# ---------------------------------------------------------------------------
# Errors

# An ErrorRecord with one of the protocol's categories; operations throw it.
function New-ExcertError {
    param(
        [string]$Category,
        [string]$Message
    )
    $exception = New-Object -TypeName 'System.Exception' -ArgumentList $Message
    $errorCategory = [System.Management.Automation.ErrorCategory]$Category
    return (New-Object -TypeName 'System.Management.Automation.ErrorRecord' -ArgumentList $exception, 'ExcertAgent', $errorCategory, $null)
}

# One line, at most 1000 characters.
function Format-ExcertMessage {
    param(
        [string]$Text
    )
    $line = ($Text -replace '[\s\p{C}]+', ' ').Trim()
    if ($line.Length -gt 1000) {
        $line = $line.Substring(0, 997) + '...'
    }
    if ($line -eq '') {
        $line = 'unknown error'
    }
    return $line
}

# The reply's error object for an ErrorRecord: its category when the
# protocol knows it (Exchange's own ManagementObjectNotFoundException is
# ObjectNotFound, for instance), NotSpecified otherwise.
function ConvertTo-ExcertErrorInfo {
    param(
        $Record
    )
    $known = @('InvalidArgument', 'ObjectNotFound', 'ResourceExists', 'InvalidOperation', 'PermissionDenied', 'ProtocolError', 'NotImplemented', 'NotSpecified')
    $name = 'NotSpecified'
    $text = ''
    if ($null -ne $Record) {
        if ($null -ne $Record.CategoryInfo) {
            $candidate = $Record.CategoryInfo.Category.ToString()
            if ($known -ccontains $candidate) {
                $name = $candidate
            }
        }
        if ($null -ne $Record.ErrorDetails -and [string]$Record.ErrorDetails.Message -ne '') {
            $text = [string]$Record.ErrorDetails.Message
        } elseif ($null -ne $Record.Exception) {
            $text = [string]$Record.Exception.Message
        } else {
            $text = [string]$Record
        }
    }
    return [ordered]@{
        category = $name
        message = (Format-ExcertMessage -Text $text)
    }
}

# ---------------------------------------------------------------------------
# The request

# A member of a parsed JSON object, by its exact (case-sensitive) name;
# $null when absent.
function Get-ExcertMember {
    param(
        $Object,
        [string]$Name
    )
    if ($null -eq $Object) {
        return $null
    }
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property -or $property.Name -cne $Name) {
        return $null
    }
    return $property.Value
}

function Test-ExcertObject {
    param(
        $Value
    )
    return ($null -ne $Value -and $Value -is [System.Management.Automation.PSCustomObject])
}

# Decodes and checks the request: base64, UTF-8 (strict), JSON, protocol 1,
# this server, a non-empty list of operations with unique ids.  Any problem
# is a ProtocolError, and the batch does not run at all.
function Read-ExcertRequest {
    param(
        [string]$RequestBase64
    )
    try {
        $bytes = [System.Convert]::FromBase64String($RequestBase64)
        $utf8 = New-Object -TypeName 'System.Text.UTF8Encoding' -ArgumentList $false, $true
        $text = $utf8.GetString($bytes)
        $request = $text | ConvertFrom-Json -ErrorAction Stop
    } catch {
        throw (New-ExcertError -Category 'ProtocolError' -Message ('the request is not base64 of UTF-8 JSON: ' + $_.Exception.Message))
    }
    if (-not (Test-ExcertObject -Value $request)) {
        throw (New-ExcertError -Category 'ProtocolError' -Message 'the request is not a JSON object')
    }
    $protocol = Get-ExcertMember -Object $request -Name 'protocol'
    if (-not (($protocol -is [int] -or $protocol -is [long]) -and $protocol -eq 1)) {
        throw (New-ExcertError -Category 'ProtocolError' -Message ('this agent speaks protocol 1; the request says {0}' -f [string]$protocol))
    }
    $server = Get-ExcertMember -Object $request -Name 'server'
    if ($server -isnot [string]) {
        throw (New-ExcertError -Category 'ProtocolError' -Message 'the request has no server name')
    }
    if (-not [string]::Equals($server, [string]$env:COMPUTERNAME, [System.StringComparison]::OrdinalIgnoreCase)) {
        throw (New-ExcertError -Category 'ProtocolError' -Message ('the request is for server ''{0}'', but this is ''{1}''' -f $server, $env:COMPUTERNAME))
    }
    $operations = Get-ExcertMember -Object $request -Name 'operations'
    if ($operations -isnot [System.Collections.IList] -or $operations.Count -lt 1) {
        throw (New-ExcertError -Category 'ProtocolError' -Message 'the request has no operations')
    }
    $ids = New-Object -TypeName 'System.Collections.Generic.HashSet[string]'
    $list = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($operation in $operations) {
        if (-not (Test-ExcertObject -Value $operation)) {
            throw (New-ExcertError -Category 'ProtocolError' -Message 'an operation is not a JSON object')
        }
        $id = Get-ExcertMember -Object $operation -Name 'id'
        $name = Get-ExcertMember -Object $operation -Name 'op'
        $arguments = Get-ExcertMember -Object $operation -Name 'args'
        if ($id -isnot [string] -or $id -eq '' -or $name -isnot [string] -or $name -eq '') {
            throw (New-ExcertError -Category 'ProtocolError' -Message 'every operation needs a string id and op')
        }
        if (-not $ids.Add($id)) {
            throw (New-ExcertError -Category 'ProtocolError' -Message ('operation id ''{0}'' is not unique' -f $id))
        }
        if ($null -eq $arguments) {
            $arguments = New-Object -TypeName 'System.Management.Automation.PSObject'
        } elseif (-not (Test-ExcertObject -Value $arguments)) {
            throw (New-ExcertError -Category 'ProtocolError' -Message ('the args of operation ''{0}'' are not a JSON object' -f $id))
        }
        $list.Add([pscustomobject]@{ Id = $id; Op = $name; Args = $arguments })
    }
    return @{ Operations = $list }
}

# The arguments of an operation, checked.  A bad or missing argument is
# InvalidArgument; messages name the argument, never its value (passwords
# and keys travel here).
function Get-ExcertArgValue {
    param(
        $Arguments,
        [string]$Name
    )
    $property = $Arguments.PSObject.Properties[$Name]
    if ($null -eq $property -or $property.Name -cne $Name) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('missing argument ''{0}''' -f $Name))
    }
    return $property.Value
}

function Get-ExcertArgString {
    param(
        $Arguments,
        [string]$Name,
        [switch]$AllowNull
    )
    $value = Get-ExcertArgValue -Arguments $Arguments -Name $Name
    if ($null -eq $value -and $AllowNull) {
        return $null
    }
    if ($value -isnot [string] -or $value -eq '') {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('argument ''{0}'' must be a non-empty string' -f $Name))
    }
    return $value
}

function Get-ExcertArgBool {
    param(
        $Arguments,
        [string]$Name
    )
    $value = Get-ExcertArgValue -Arguments $Arguments -Name $Name
    if ($value -isnot [bool]) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('argument ''{0}'' must be true or false' -f $Name))
    }
    return $value
}

function Get-ExcertArgInt {
    param(
        $Arguments,
        [string]$Name
    )
    $value = Get-ExcertArgValue -Arguments $Arguments -Name $Name
    if ($value -isnot [int] -and $value -isnot [long]) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('argument ''{0}'' must be an integer' -f $Name))
    }
    return [long]$value
}

# A list of strings; written to the pipeline, so callers collect it with @().
function Get-ExcertArgStringList {
    param(
        $Arguments,
        [string]$Name
    )
    $value = Get-ExcertArgValue -Arguments $Arguments -Name $Name
    if ($value -isnot [System.Collections.IList]) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('argument ''{0}'' must be a list of strings' -f $Name))
    }
    foreach ($item in $value) {
        if ($item -isnot [string] -or $item -eq '') {
            throw (New-ExcertError -Category 'InvalidArgument' -Message ('argument ''{0}'' must be a list of non-empty strings' -f $Name))
        }
    }
    foreach ($item in $value) {
        $item
    }
}

# A thumbprint argument: 40 hex digits, returned in upper case.
function Get-ExcertArgThumbprint {
    param(
        $Arguments
    )
    $value = Get-ExcertArgString -Arguments $Arguments -Name 'thumbprint'
    if ($value -cnotmatch '\A[0-9A-Fa-f]{40}\z') {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''thumbprint'' must be 40 hexadecimal digits')
    }
    return $value.ToUpperInvariant()
}

# A TlsCertificateName argument: "<I>issuer<S>subject" on one line.
function Get-ExcertArgTlsName {
    param(
        $Arguments
    )
    $value = Get-ExcertArgString -Arguments $Arguments -Name 'tls_certificate_name'
    if ($value -notmatch '\A<I>[^\r\n]+<S>[^\r\n]+\z') {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''tls_certificate_name'' must have the form <I>issuer<S>subject')
    }
    return $value
}

# Base64 (standard alphabet) to bytes.
function ConvertFrom-ExcertBase64 {
    param(
        [string]$Text,
        [string]$Name
    )
    try {
        $bytes = [System.Convert]::FromBase64String($Text)
    } catch {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('argument ''{0}'' is not valid base64' -f $Name))
    }
    if ($bytes.Length -eq 0) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('argument ''{0}'' is empty' -f $Name))
    }
    return , $bytes
}

# A SecureString for a -Password parameter (ConvertTo-SecureString refuses
# an empty string; a PKCS#12 may have an empty password).
function ConvertTo-ExcertSecureString {
    param(
        [string]$Password
    )
    if ($Password -eq '') {
        return (New-Object -TypeName 'System.Security.SecureString')
    }
    return (ConvertTo-SecureString -String $Password -AsPlainText -Force)
}

# ---------------------------------------------------------------------------
# Values for the reply

# A string, or $null for null and empty values.
function ConvertTo-ExcertString {
    param(
        $Value
    )
    if ($null -eq $Value) {
        return $null
    }
    $text = [string]$Value
    if ($text -eq '') {
        return $null
    }
    return $text
}

# 40 upper-case hex digits, or $null.
function ConvertTo-ExcertThumbprint {
    param(
        $Value
    )
    if ($null -eq $Value) {
        return $null
    }
    $text = ([string]$Value).Trim().ToUpperInvariant()
    if ($text -cnotmatch '\A[0-9A-F]{40}\z') {
        return $null
    }
    return $text
}

# Times, should a result carry one: ISO 8601 UTC, whatever the culture.
function ConvertTo-ExcertTime {
    param(
        [datetime]$Time
    )
    return $Time.ToUniversalTime().ToString('yyyy-MM-dd''T''HH:mm:ss''Z''', [System.Globalization.CultureInfo]::InvariantCulture)
}

# The names of an AllowedServices value.  Exchange's ToString() gives
# "IMAP, POP, IIS, SMTP" ("None" for none); a value that lost its type on
# the way may arrive as the number of the [Flags] enum instead (IMAP=1,
# POP=2, UM=4, IIS=8, SMTP=16, Federation=32, UMCallRouter=64).  Written
# to the pipeline: callers collect it with @().
function Get-ExcertServiceNames {
    param(
        $Services
    )
    if ($null -eq $Services) {
        return
    }
    $flags = [ordered]@{ 'IMAP' = 1; 'POP' = 2; 'UM' = 4; 'IIS' = 8; 'SMTP' = 16; 'Federation' = 32; 'UMCallRouter' = 64 }
    $text = $Services.ToString().Trim()
    if ($text -match '\A[0-9]+\z') {
        $number = [long]$text
        foreach ($key in $flags.Keys) {
            if (($number -band $flags[$key]) -ne 0) {
                $key
            }
        }
        return
    }
    foreach ($part in $text.Split(',')) {
        $name = $part.Trim()
        if ($name -ne '' -and $name -ne 'None') {
            $name
        }
    }
}

# An X509Certificate2 built from DER bytes (to read what a deserialized
# certificate object may lack).
function New-ExcertX509 {
    param(
        [byte[]]$RawData
    )
    return (New-Object -TypeName 'System.Security.Cryptography.X509Certificates.X509Certificate2' -ArgumentList @(, $RawData))
}

# DER as base64 from what Exchange gives for a request: Base64 text with or
# without the -----BEGIN/END----- lines (New-ExchangeCertificate
# -GenerateRequest, the CertificateRequest property), or bytes.
function ConvertTo-ExcertDerBase64 {
    param(
        $Value
    )
    if ($null -eq $Value) {
        return $null
    }
    if ($Value -is [byte[]]) {
        return [System.Convert]::ToBase64String($Value)
    }
    $text = (@($Value) | ForEach-Object { [string]$_ }) -join "`n"
    $body = New-Object -TypeName 'System.Text.StringBuilder'
    foreach ($line in $text.Split("`n")) {
        $trimmed = $line.Trim()
        if ($trimmed -ne '' -and -not $trimmed.StartsWith('-----')) {
            [void]$body.Append($trimmed)
        }
    }
    $der = [System.Convert]::FromBase64String($body.ToString())
    if ($der.Length -eq 0) {
        return $null
    }
    return [System.Convert]::ToBase64String($der)
}

# ---------------------------------------------------------------------------
# Exchange

# Opens the Exchange Management Shell in the caller's scope (it is dot-sourced
# from Invoke-ExcertAgent, so that what RemoteExchange.ps1 defines lives as
# long as the batch).  Mailbox: the supported way, RemoteExchange.ps1 and
# Connect-ExchangeServer -auto, as the EMS shortcut does (a full-language
# local session).  Edge has no remote PowerShell: its shell is the local
# snap-in (Microsoft.Exchange.Management.PowerShell.SnapIn since 2013, E2010
# before; whichever is registered).
function Connect-ExcertExchange {
    param(
        $ConnectContext
    )
    if ($ConnectContext.IsEdge) {
        $excertSnapin = $null
        foreach ($excertCandidate in @('Microsoft.Exchange.Management.PowerShell.SnapIn', 'Microsoft.Exchange.Management.PowerShell.E2010')) {
            if ($null -eq $excertSnapin -and $null -ne (Get-PSSnapin -Registered -Name $excertCandidate -ErrorAction SilentlyContinue)) {
                $excertSnapin = $excertCandidate
            }
        }
        if ($null -eq $excertSnapin) {
            throw (New-ExcertError -Category 'InvalidOperation' -Message 'no Exchange management snap-in is registered on this Edge server')
        }
        if ($null -eq (Get-PSSnapin -Name $excertSnapin -ErrorAction SilentlyContinue)) {
            $null = Add-PSSnapin -Name $excertSnapin -ErrorAction Stop
        }
    } else {
        $excertInstallPath = [string]$env:ExchangeInstallPath
        if ($excertInstallPath -eq '') {
            throw (New-ExcertError -Category 'InvalidOperation' -Message 'ExchangeInstallPath is not set: is Exchange installed on this server?')
        }
        $excertRemoteExchange = [System.IO.Path]::Combine($excertInstallPath, 'bin', 'RemoteExchange.ps1')
        if (-not [System.IO.File]::Exists($excertRemoteExchange)) {
            throw (New-ExcertError -Category 'InvalidOperation' -Message ('{0} does not exist' -f $excertRemoteExchange))
        }
        . $excertRemoteExchange | Out-Null
        Connect-ExchangeServer -auto -ClientApplication:'ManagementShell' | Out-Null
    }
    if ($null -eq (Get-Command -Name 'Get-ExchangeCertificate' -ErrorAction SilentlyContinue)) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message 'the Exchange Management Shell did not load (no Get-ExchangeCertificate)')
    }
    $ConnectContext.Connected = $true
}

# Every certificate and pending request of this server.
function Get-ExcertCertificates {
    @(Get-ExchangeCertificate -Server $env:COMPUTERNAME -ErrorAction Stop)
}

function Test-ExcertPending {
    param(
        $Certificate
    )
    return ([string]$Certificate.Status -eq 'PendingRequest')
}

# A certificate's thumbprint; from its RawData when the object lacks it
# (objects deserialized without Exchange's types carry only RawData).
function Get-ExcertCertThumbprint {
    param(
        $Certificate
    )
    $thumbprint = ConvertTo-ExcertThumbprint -Value $Certificate.Thumbprint
    if ($null -eq $thumbprint -and $null -ne $Certificate.RawData) {
        $x509 = New-ExcertX509 -RawData $Certificate.RawData
        $thumbprint = ConvertTo-ExcertThumbprint -Value $x509.Thumbprint
    }
    return $thumbprint
}

# The certificate (or pending request) of this server with that thumbprint,
# or $null.
function Find-ExcertCertificate {
    param(
        [string]$Thumbprint
    )
    foreach ($certificate in (Get-ExcertCertificates)) {
        if ((Get-ExcertCertThumbprint -Certificate $certificate) -eq $Thumbprint) {
            return $certificate
        }
    }
    return $null
}

# Like Find-ExcertCertificate, but ObjectNotFound when there is none.
function Get-ExcertCertificate {
    param(
        [string]$Thumbprint
    )
    $certificate = Find-ExcertCertificate -Thumbprint $Thumbprint
    if ($null -eq $certificate) {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message ('no certificate {0} on {1}' -f $Thumbprint, $env:COMPUTERNAME))
    }
    return $certificate
}

# The internal transport certificate (the default SMTP certificate) of this
# server: Get-TransportService's InternalTransportCertificateThumbprint.
function Get-ExcertTransportCertificate {
    $service = Get-TransportService -Identity $env:COMPUTERNAME -ErrorAction Stop
    return (ConvertTo-ExcertThumbprint -Value $service.InternalTransportCertificateThumbprint)
}

# An object's identity for a Set- cmdlet: its GUID (no wildcard, no
# ambiguity), else its Identity as a string.
function Get-ExcertIdentity {
    param(
        $Object
    )
    $guid = ConvertTo-ExcertString -Value $Object.Guid
    if ($null -ne $guid) {
        return $guid
    }
    return [string]$Object.Identity
}

# The hybrid configuration, or $null: none, or no such cmdlet (Edge).
function Get-ExcertHybridConfiguration {
    if ($null -eq (Get-Command -Name 'Get-HybridConfiguration' -ErrorAction SilentlyContinue)) {
        return $null
    }
    try {
        $hybrid = Get-HybridConfiguration -ErrorAction Stop
    } catch {
        if ($_.CategoryInfo.Category.ToString() -eq 'ObjectNotFound') {
            return $null
        }
        throw
    }
    return $hybrid
}

# Issuer and subject as compared in TlsCertificateName: trimmed, one space
# after each comma, case ignored by the caller.
function Format-ExcertDn {
    param(
        [string]$Name
    )
    return ($Name.Trim() -replace '\s*,\s*', ', ')
}

# Whether a TlsCertificateName ("<I>issuer<S>subject") names this issuer
# and subject.
function Test-ExcertTlsNameRefers {
    param(
        [string]$TlsName,
        [string]$Issuer,
        [string]$Subject
    )
    $match = [regex]::Match($TlsName, '\A<I>(.*)<S>(.*)\z', [System.Text.RegularExpressions.RegexOptions]::IgnoreCase)
    if (-not $match.Success) {
        return $false
    }
    $sameIssuer = [string]::Equals((Format-ExcertDn -Name $match.Groups[1].Value), (Format-ExcertDn -Name $Issuer), [System.StringComparison]::OrdinalIgnoreCase)
    $sameSubject = [string]::Equals((Format-ExcertDn -Name $match.Groups[2].Value), (Format-ExcertDn -Name $Subject), [System.StringComparison]::OrdinalIgnoreCase)
    return ($sameIssuer -and $sameSubject)
}

# ---------------------------------------------------------------------------
# observe

# One installed certificate.  issuer and subject are Exchange's own strings
# (Windows order, "S=" for state), which excert turns into
# TlsCertificateName; der is RawData, from which excert reads everything else.
function ConvertTo-ExcertCertificate {
    param(
        $Certificate
    )
    $raw = [byte[]]$Certificate.RawData
    if ($null -eq $raw -or $raw.Length -eq 0) {
        throw (New-ExcertError -Category 'NotSpecified' -Message ('certificate {0} has no RawData' -f [string]$Certificate.Thumbprint))
    }
    $x509 = New-ExcertX509 -RawData $raw
    $issuer = ConvertTo-ExcertString -Value $Certificate.Issuer
    if ($null -eq $issuer) {
        $issuer = $x509.Issuer
    }
    $subject = ConvertTo-ExcertString -Value $Certificate.Subject
    if ($null -eq $subject) {
        $subject = $x509.Subject
    }
    $status = 'Unknown'
    if ($null -ne $Certificate.Status) {
        $status = $Certificate.Status.ToString()
    }
    if (@('Valid', 'Invalid', 'DateInvalid', 'Revoked', 'Untrusted', 'RevocationCheckFailure', 'Unknown') -cnotcontains $status) {
        $status = 'Unknown'
    }
    return [ordered]@{
        thumbprint = (ConvertTo-ExcertThumbprint -Value $x509.Thumbprint)
        der = [System.Convert]::ToBase64String($raw)
        issuer = [string]$issuer
        subject = [string]$subject
        friendly_name = (ConvertTo-ExcertString -Value $Certificate.FriendlyName)
        services = @(Get-ExcertServiceNames -Services $Certificate.Services)
        status = $status
        has_private_key = [bool]$Certificate.HasPrivateKey
        exportable = [bool]$Certificate.PrivateKeyExportable
        self_signed = [bool]$Certificate.IsSelfSigned
    }
}

# One pending request (Status PendingRequest).  CertificateRequest holds the
# PKCS#10 request as Base64 text; csr is its DER, $null when unreadable.
function ConvertTo-ExcertPendingRequest {
    param(
        $Certificate
    )
    $domains = New-Object -TypeName 'System.Collections.Generic.List[string]'
    foreach ($domain in $Certificate.CertificateDomains) {
        $name = ConvertTo-ExcertString -Value $domain
        if ($null -ne $name) {
            $domains.Add($name)
        }
    }
    $csr = $null
    try {
        $csr = ConvertTo-ExcertDerBase64 -Value $Certificate.CertificateRequest
    } catch {
        $csr = $null
    }
    return [ordered]@{
        thumbprint = (Get-ExcertCertThumbprint -Certificate $Certificate)
        subject = [string]$Certificate.Subject
        domains = $domains.ToArray()
        friendly_name = (ConvertTo-ExcertString -Value $Certificate.FriendlyName)
        key_size = [int]$Certificate.PublicKeySize
        exportable = [bool]$Certificate.PrivateKeyExportable
        csr = $csr
    }
}

# The https bindings of 'Default Web Site' on 443 and 'Exchange Back End' on
# 444 (WebAdministration's Get-WebBinding; certificateHash is the bound
# certificate's thumbprint, empty when none).
function Get-ExcertIisBindings {
    $null = Import-Module -Name 'WebAdministration' -ErrorAction Stop
    $sites = [ordered]@{ 'Default Web Site' = 443; 'Exchange Back End' = 444 }
    foreach ($siteName in $sites.Keys) {
        $port = [int]$sites[$siteName]
        foreach ($binding in @(Get-WebBinding -Name $siteName -Protocol 'https' -ErrorAction Stop)) {
            # bindingInformation is "address:port:host"; an IPv6 address
            # holds colons too, so the port is the second field from the end.
            $fields = ([string]$binding.bindingInformation).Split(':')
            if ($fields.Count -ge 3 -and $fields[$fields.Count - 2] -eq [string]$port) {
                [ordered]@{
                    site = $siteName
                    port = $port
                    thumbprint = (ConvertTo-ExcertThumbprint -Value $binding.certificateHash)
                }
            }
        }
    }
}

# AdminDisplayVersion as "15.2.1544.4": a ServerVersion has Major, Minor,
# Build and Revision; its text form is "Version 15.2 (Build 1544.4)".
function Get-ExcertVersion {
    param(
        $Version
    )
    if ($null -eq $Version) {
        return $null
    }
    if ($null -ne $Version.Major -and $null -ne $Version.Build) {
        return ('{0}.{1}.{2}.{3}' -f $Version.Major, $Version.Minor, $Version.Build, $Version.Revision)
    }
    $text = [string]$Version
    $match = [regex]::Match($text, '(\d+)\.(\d+) \(Build (\d+)\.(\d+)\)')
    if ($match.Success) {
        return ('{0}.{1}.{2}.{3}' -f $match.Groups[1].Value, $match.Groups[2].Value, $match.Groups[3].Value, $match.Groups[4].Value)
    }
    return (ConvertTo-ExcertString -Value $text)
}

# observe: everything excert needs to know about this server.
# Get-ExchangeCertificate -Server lists certificates and pending requests;
# Get-ReceiveConnector -Server this server's connectors (local ones on
# Edge); Get-AuthConfig is organisation-wide and absent on Edge.
function Invoke-ExcertObserve {
    param(
        $Context
    )
    $ErrorActionPreference = 'Stop'
    $server = Get-ExchangeServer -Identity $env:COMPUTERNAME -ErrorAction Stop
    $role = 'Mailbox'
    if ([string]$server.ServerRole -match 'Edge') {
        $role = 'Edge'
    }
    $certificates = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $pending = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($certificate in (Get-ExcertCertificates)) {
        if (Test-ExcertPending -Certificate $certificate) {
            $pending.Add((ConvertTo-ExcertPendingRequest -Certificate $certificate))
        } else {
            $certificates.Add((ConvertTo-ExcertCertificate -Certificate $certificate))
        }
    }
    $connectors = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($connector in @(Get-ReceiveConnector -Server $env:COMPUTERNAME -ErrorAction Stop)) {
        $connectors.Add([ordered]@{
            identity = [string]$connector.Identity
            fqdn = (ConvertTo-ExcertString -Value $connector.Fqdn)
            tls_certificate_name = (ConvertTo-ExcertString -Value $connector.TlsCertificateName)
        })
    }
    $bindings = @()
    $auth = $null
    if ($role -ne 'Edge') {
        $bindings = @(Get-ExcertIisBindings)
        $authConfig = Get-AuthConfig -ErrorAction Stop
        $auth = [ordered]@{
            current = (ConvertTo-ExcertThumbprint -Value $authConfig.CurrentCertificateThumbprint)
            next = (ConvertTo-ExcertThumbprint -Value $authConfig.NextCertificateThumbprint)
        }
    }
    return [ordered]@{
        name = [string]$server.Name
        fqdn = [string]$server.Fqdn
        role = $role
        version = (Get-ExcertVersion -Version $server.AdminDisplayVersion)
        certificates = $certificates.ToArray()
        pending_requests = $pending.ToArray()
        receive_connectors = $connectors.ToArray()
        iis_bindings = $bindings
        transport_certificate = (Get-ExcertTransportCertificate)
        auth_certificate = $auth
    }
}

# observe_org: the organisation's send connectors (Get-SendConnector) and
# hybrid configuration (Get-HybridConfiguration; $null when there is none).
function Invoke-ExcertObserveOrg {
    param(
        $Context
    )
    $ErrorActionPreference = 'Stop'
    $connectors = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($connector in @(Get-SendConnector -ErrorAction Stop)) {
        $connectors.Add([ordered]@{
            name = [string]$connector.Name
            fqdn = (ConvertTo-ExcertString -Value $connector.Fqdn)
            tls_certificate_name = (ConvertTo-ExcertString -Value $connector.TlsCertificateName)
        })
    }
    $hybrid = $null
    $configuration = Get-ExcertHybridConfiguration
    if ($null -ne $configuration) {
        $hybrid = [ordered]@{
            tls_certificate_name = (ConvertTo-ExcertString -Value $configuration.TlsCertificateName)
        }
    }
    return [ordered]@{
        send_connectors = $connectors.ToArray()
        hybrid = $hybrid
    }
}

# ---------------------------------------------------------------------------
# Certificates

# new_request: New-ExchangeCertificate -GenerateRequest makes the key on
# this server and returns the PKCS#10 request as Base64 text (with BEGIN/END
# lines); -RequestFile is gone since the 2022 H1 CUs.  The cmdlet does not
# return the thumbprint: the new pending request is the one whose
# CertificateRequest is this request (or, failing that, the one pending
# request that was not there before).
function Invoke-ExcertNewRequest {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $subject = Get-ExcertArgString -Arguments $Arguments -Name 'subject'
    $domains = @(Get-ExcertArgStringList -Arguments $Arguments -Name 'domains')
    $keySize = Get-ExcertArgInt -Arguments $Arguments -Name 'key_size'
    if (@(2048, 3072, 4096) -notcontains $keySize) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''key_size'' must be 2048, 3072 or 4096')
    }
    $friendlyName = Get-ExcertArgString -Arguments $Arguments -Name 'friendly_name'
    if ($friendlyName.Length -ge 64) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''friendly_name'' must have fewer than 64 characters')
    }
    $exportable = Get-ExcertArgBool -Arguments $Arguments -Name 'exportable'
    $before = New-Object -TypeName 'System.Collections.Generic.HashSet[string]'
    foreach ($certificate in (Get-ExcertCertificates)) {
        [void]$before.Add([string](Get-ExcertCertThumbprint -Certificate $certificate))
    }
    $parameters = @{
        GenerateRequest = $true
        SubjectName = $subject
        KeySize = [int]$keySize
        FriendlyName = $friendlyName
        PrivateKeyExportable = $exportable
        Server = $env:COMPUTERNAME
        Force = $true
        Confirm = $false
        ErrorAction = 'Stop'
    }
    if ($domains.Count -gt 0) {
        $parameters['DomainName'] = [string[]]$domains
    }
    $output = New-ExchangeCertificate @parameters
    try {
        $csr = ConvertTo-ExcertDerBase64 -Value $output
    } catch {
        $csr = $null
    }
    if ($null -eq $csr) {
        throw (New-ExcertError -Category 'NotSpecified' -Message 'New-ExchangeCertificate did not return a Base64 request')
    }
    $byRequest = $null
    $added = New-Object -TypeName 'System.Collections.Generic.List[string]'
    foreach ($certificate in (Get-ExcertCertificates)) {
        if (Test-ExcertPending -Certificate $certificate) {
            $thumbprint = Get-ExcertCertThumbprint -Certificate $certificate
            $theirs = $null
            try {
                $theirs = ConvertTo-ExcertDerBase64 -Value $certificate.CertificateRequest
            } catch {
                $theirs = $null
            }
            if ($null -ne $theirs -and $theirs -ceq $csr) {
                $byRequest = $thumbprint
            }
            if (-not $before.Contains([string]$thumbprint)) {
                $added.Add([string]$thumbprint)
            }
        }
    }
    $thumbprint = $byRequest
    if ($null -eq $thumbprint -and $added.Count -eq 1) {
        $thumbprint = $added[0]
    }
    if ($null -eq $thumbprint) {
        throw (New-ExcertError -Category 'NotSpecified' -Message 'the request was made, but its pending request cannot be found on this server')
    }
    return [ordered]@{
        thumbprint = $thumbprint
        csr = $csr
    }
}

# The certificates in an import argument: PEM (any number of CERTIFICATE
# blocks, or one PKCS7 block) or DER (PKCS#7 or one certificate).
function Read-ExcertCertificateData {
    param(
        [byte[]]$Data
    )
    $collection = New-Object -TypeName 'System.Security.Cryptography.X509Certificates.X509Certificate2Collection'
    $text = [System.Text.Encoding]::ASCII.GetString($Data)
    if ($text.Contains('-----BEGIN ')) {
        $blocks = [regex]::Matches($text, '-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]+)-----END \1-----')
        foreach ($block in $blocks) {
            $der = [System.Convert]::FromBase64String($block.Groups[2].Value)
            if ($block.Groups[1].Value -ceq 'CERTIFICATE') {
                [void]$collection.Add((New-ExcertX509 -RawData $der))
            } elseif ($block.Groups[1].Value -ceq 'PKCS7') {
                $collection.Import($der)
            }
        }
        return @{ Collection = $collection; Pem = $true }
    }
    $collection.Import($Data)
    return @{ Collection = $collection; Pem = $false }
}

# The leaf of a chain: the certificate that issued none of the others.
function Get-ExcertLeaf {
    param(
        $Collection,
        [switch]$FirstIsLeaf
    )
    if ($FirstIsLeaf) {
        return $Collection[0]
    }
    foreach ($candidate in $Collection) {
        $issues = $false
        foreach ($other in $Collection) {
            if ($other.Thumbprint -ne $candidate.Thumbprint -and $other.Issuer -eq $candidate.Subject) {
                $issues = $true
            }
        }
        if (-not $issues) {
            return $candidate
        }
    }
    return $Collection[0]
}

# import: completes a pending request of this server with the issued
# certificate (Import-ExchangeCertificate -FileData; Exchange completes a
# request only where it was made).  A PEM chain is handed over as PKCS#7,
# the form Import-ExchangeCertificate documents for chains.  A pending
# request carries the key, so the request that matches is the one whose
# public key is the certificate's; none is ObjectNotFound.
function Invoke-ExcertImport {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $data = ConvertFrom-ExcertBase64 -Text (Get-ExcertArgString -Arguments $Arguments -Name 'certificate') -Name 'certificate'
    $friendlyName = Get-ExcertArgString -Arguments $Arguments -Name 'friendly_name' -AllowNull
    if ($null -ne $friendlyName -and $friendlyName.Length -ge 64) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''friendly_name'' must have fewer than 64 characters')
    }
    try {
        $read = Read-ExcertCertificateData -Data $data
    } catch {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''certificate'' is neither a PEM chain nor PKCS#7')
    }
    $collection = $read.Collection
    if ($collection.Count -eq 0) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''certificate'' holds no certificate')
    }
    $leaf = Get-ExcertLeaf -Collection $collection -FirstIsLeaf:([bool]$read.Pem)
    $thumbprint = ConvertTo-ExcertThumbprint -Value $leaf.Thumbprint
    $leafKey = [System.Convert]::ToBase64String($leaf.PublicKey.EncodedKeyValue.RawData)
    $pendingCount = 0
    $keysKnown = 0
    $keyMatches = 0
    foreach ($certificate in (Get-ExcertCertificates)) {
        if (Test-ExcertPending -Certificate $certificate) {
            $pendingCount++
            # A pending request's RawData is the placeholder certificate
            # Windows keeps with the request's key.
            try {
                $requestKey = [System.Convert]::ToBase64String((New-ExcertX509 -RawData $certificate.RawData).PublicKey.EncodedKeyValue.RawData)
                $keysKnown++
                if ($requestKey -ceq $leafKey) {
                    $keyMatches++
                }
            } catch {
                $requestKey = $null
            }
        } elseif ((Get-ExcertCertThumbprint -Certificate $certificate) -eq $thumbprint -and [bool]$certificate.HasPrivateKey) {
            throw (New-ExcertError -Category 'ResourceExists' -Message ('certificate {0} is already installed on {1}' -f $thumbprint, $env:COMPUTERNAME))
        }
    }
    if ($pendingCount -eq 0 -or ($keysKnown -eq $pendingCount -and $keyMatches -eq 0)) {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message ('no pending request of {0} holds the key of certificate {1}' -f $env:COMPUTERNAME, $thumbprint))
    }
    $fileData = $data
    if ($read.Pem) {
        $fileData = $collection.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pkcs7)
    }
    $parameters = @{
        FileData = [byte[]]$fileData
        Server = $env:COMPUTERNAME
        Confirm = $false
        ErrorAction = 'Stop'
    }
    if ($null -ne $friendlyName) {
        $parameters['FriendlyName'] = $friendlyName
    }
    $null = Import-ExchangeCertificate @parameters
    $installed = Find-ExcertCertificate -Thumbprint $thumbprint
    if ($null -eq $installed -or (Test-ExcertPending -Certificate $installed) -or -not [bool]$installed.HasPrivateKey) {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message ('certificate {0} did not complete a pending request of {1}' -f $thumbprint, $env:COMPUTERNAME))
    }
    return [ordered]@{
        thumbprint = $thumbprint
    }
}

# enable: Enable-ExchangeCertificate -Services adds services (it never
# removes one).  For SMTP it asks whether to replace the default SMTP (the
# internal transport) certificate; -Force answers "replace".  When the
# request says not to replace it, the previous one is enabled for SMTP again
# with -Force, which makes it the internal transport certificate again (as
# CSS-Exchange's MonitorExchangeAuthCertificate does).  Edge has no IIS, POP,
# IMAP or UM.
function Invoke-ExcertEnable {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $thumbprint = Get-ExcertArgThumbprint -Arguments $Arguments
    $requested = @(Get-ExcertArgStringList -Arguments $Arguments -Name 'services')
    $replace = Get-ExcertArgBool -Arguments $Arguments -Name 'replace_transport_certificate'
    $allowed = @('IMAP', 'POP', 'UM', 'IIS', 'SMTP', 'Federation', 'UMCallRouter')
    $services = New-Object -TypeName 'System.Collections.Generic.List[string]'
    foreach ($service in $requested) {
        if ($allowed -cnotcontains $service) {
            throw (New-ExcertError -Category 'InvalidArgument' -Message ('unknown service ''{0}'' (known: {1})' -f $service, ($allowed -join ', ')))
        }
        if (-not $services.Contains($service)) {
            $services.Add($service)
        }
    }
    if ($services.Count -eq 0) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''services'' is empty')
    }
    if ($Context.IsEdge) {
        foreach ($service in @('IIS', 'IMAP', 'POP', 'UM')) {
            if ($services.Contains($service)) {
                throw (New-ExcertError -Category 'InvalidOperation' -Message ('{0} cannot be enabled on an Edge Transport server' -f $service))
            }
        }
    }
    $certificate = Get-ExcertCertificate -Thumbprint $thumbprint
    if (Test-ExcertPending -Certificate $certificate) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message ('{0} is a pending request, not a certificate' -f $thumbprint))
    }
    if (-not [bool]$certificate.HasPrivateKey) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message ('certificate {0} has no private key on {1}' -f $thumbprint, $env:COMPUTERNAME))
    }
    if ($null -ne $certificate.NotAfter -and ([datetime]$certificate.NotAfter).ToUniversalTime() -lt [datetime]::UtcNow) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message ('certificate {0} expired on {1}' -f $thumbprint, (ConvertTo-ExcertTime -Time $certificate.NotAfter)))
    }
    $previous = Get-ExcertTransportCertificate
    $null = Enable-ExchangeCertificate -Thumbprint $thumbprint -Server $env:COMPUTERNAME -Services $services.ToArray() -Force -Confirm:$false -ErrorAction Stop
    if ($services.Contains('SMTP') -and -not $replace -and $null -ne $previous -and $previous -ne $thumbprint) {
        if ((Get-ExcertTransportCertificate) -ne $previous) {
            $null = Enable-ExchangeCertificate -Thumbprint $previous -Server $env:COMPUTERNAME -Services @('SMTP') -Force -Confirm:$false -ErrorAction Stop
        }
    }
    $after = Get-ExcertCertificate -Thumbprint $thumbprint
    return [ordered]@{
        services = @(Get-ExcertServiceNames -Services $after.Services)
        transport_certificate = (Get-ExcertTransportCertificate)
    }
}

# export_pfx: Export-ExchangeCertificate -BinaryEncoded -Password returns an
# object whose FileData is the PKCS#12 (key and chain); it needs
# PrivateKeyExportable, refused here before Exchange refuses it.
function Invoke-ExcertExportPfx {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $thumbprint = Get-ExcertArgThumbprint -Arguments $Arguments
    $password = Get-ExcertArgString -Arguments $Arguments -Name 'password'
    $certificate = Get-ExcertCertificate -Thumbprint $thumbprint
    if (Test-ExcertPending -Certificate $certificate) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message ('{0} is a pending request, not a certificate' -f $thumbprint))
    }
    if (-not [bool]$certificate.HasPrivateKey) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message ('certificate {0} has no private key on {1}' -f $thumbprint, $env:COMPUTERNAME))
    }
    if (-not [bool]$certificate.PrivateKeyExportable) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message ('the private key of certificate {0} is not exportable' -f $thumbprint))
    }
    $secure = ConvertTo-ExcertSecureString -Password $password
    $output = Export-ExchangeCertificate -Thumbprint $thumbprint -Server $env:COMPUTERNAME -BinaryEncoded -Password $secure -Confirm:$false -ErrorAction Stop
    $bytes = $null
    foreach ($item in @($output)) {
        if ($null -eq $bytes -and $null -ne $item -and $null -ne $item.FileData) {
            $bytes = [byte[]]$item.FileData
        }
    }
    if ($null -eq $bytes -or $bytes.Length -eq 0) {
        throw (New-ExcertError -Category 'NotSpecified' -Message 'Export-ExchangeCertificate returned no FileData')
    }
    return [ordered]@{
        pfx = [System.Convert]::ToBase64String($bytes)
    }
}

# The leaf of a PKCS#12 (the certificate that comes with its key), read here
# only for its thumbprint; the key is not kept (EphemeralKeySet where .NET
# has it, 4.7.2 and later; Reset() in any case).
function Get-ExcertPfxThumbprint {
    param(
        [byte[]]$Data,
        [string]$Password
    )
    $flagType = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]
    $collection = New-Object -TypeName 'System.Security.Cryptography.X509Certificates.X509Certificate2Collection'
    try {
        $loaded = $false
        if ([System.Enum]::GetNames($flagType) -ccontains 'EphemeralKeySet') {
            try {
                $collection.Import($Data, $Password, [System.Enum]::Parse($flagType, 'EphemeralKeySet'))
                $loaded = $true
            } catch {
                $collection.Clear()
            }
        }
        if (-not $loaded) {
            $collection.Import($Data, $Password, [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::DefaultKeySet)
        }
        $thumbprint = $null
        foreach ($certificate in $collection) {
            if ($null -eq $thumbprint -and $certificate.HasPrivateKey) {
                $thumbprint = ConvertTo-ExcertThumbprint -Value $certificate.Thumbprint
            }
        }
        return $thumbprint
    } finally {
        foreach ($certificate in $collection) {
            $certificate.Reset()
        }
    }
}

# import_pfx: Import-ExchangeCertificate -FileData -Password (SecureString)
# -PrivateKeyExportable installs a PKCS#12 with its key; the certificate is
# then enabled for nothing.
function Invoke-ExcertImportPfx {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $data = ConvertFrom-ExcertBase64 -Text (Get-ExcertArgString -Arguments $Arguments -Name 'pfx') -Name 'pfx'
    $password = Get-ExcertArgValue -Arguments $Arguments -Name 'password'
    if ($password -isnot [string]) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''password'' must be a string')
    }
    $exportable = Get-ExcertArgBool -Arguments $Arguments -Name 'exportable'
    $friendlyName = Get-ExcertArgString -Arguments $Arguments -Name 'friendly_name' -AllowNull
    if ($null -ne $friendlyName -and $friendlyName.Length -ge 64) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''friendly_name'' must have fewer than 64 characters')
    }
    try {
        $thumbprint = Get-ExcertPfxThumbprint -Data $data -Password $password
    } catch {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''pfx'' cannot be opened: not PKCS#12, or a wrong password')
    }
    if ($null -eq $thumbprint) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''pfx'' holds no certificate with its private key')
    }
    if ($null -ne (Find-ExcertCertificate -Thumbprint $thumbprint)) {
        throw (New-ExcertError -Category 'ResourceExists' -Message ('certificate {0} is already installed on {1}' -f $thumbprint, $env:COMPUTERNAME))
    }
    $parameters = @{
        FileData = $data
        Password = (ConvertTo-ExcertSecureString -Password $password)
        PrivateKeyExportable = $exportable
        Server = $env:COMPUTERNAME
        Confirm = $false
        ErrorAction = 'Stop'
    }
    if ($null -ne $friendlyName) {
        $parameters['FriendlyName'] = $friendlyName
    }
    $null = Import-ExchangeCertificate @parameters
    if ($null -eq (Find-ExcertCertificate -Thumbprint $thumbprint)) {
        throw (New-ExcertError -Category 'NotSpecified' -Message ('Import-ExchangeCertificate succeeded, but certificate {0} is not on {1}' -f $thumbprint, $env:COMPUTERNAME))
    }
    return [ordered]@{
        thumbprint = $thumbprint
    }
}

# remove: Remove-ExchangeCertificate -Confirm:$false (it would prompt
# otherwise); it also removes pending requests.  Exchange refuses to remove
# a certificate tagged on a send connector; the agent refuses, before
# anything changes, when any TlsCertificateName (send connectors, this
# server's receive connectors, the hybrid configuration) names the
# certificate's issuer and subject.
function Invoke-ExcertRemove {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $thumbprint = Get-ExcertArgThumbprint -Arguments $Arguments
    $certificate = Get-ExcertCertificate -Thumbprint $thumbprint
    if (-not (Test-ExcertPending -Certificate $certificate)) {
        $issuer = [string]$certificate.Issuer
        $subject = [string]$certificate.Subject
        if (($issuer -eq '' -or $subject -eq '') -and $null -ne $certificate.RawData) {
            $x509 = New-ExcertX509 -RawData $certificate.RawData
            $issuer = $x509.Issuer
            $subject = $x509.Subject
        }
        $users = New-Object -TypeName 'System.Collections.Generic.List[string]'
        foreach ($connector in @(Get-SendConnector -ErrorAction Stop)) {
            if (Test-ExcertTlsNameRefers -TlsName ([string]$connector.TlsCertificateName) -Issuer $issuer -Subject $subject) {
                $users.Add(('send connector ''{0}''' -f [string]$connector.Name))
            }
        }
        foreach ($connector in @(Get-ReceiveConnector -Server $env:COMPUTERNAME -ErrorAction Stop)) {
            if (Test-ExcertTlsNameRefers -TlsName ([string]$connector.TlsCertificateName) -Issuer $issuer -Subject $subject) {
                $users.Add(('receive connector ''{0}''' -f [string]$connector.Identity))
            }
        }
        $hybrid = Get-ExcertHybridConfiguration
        if ($null -ne $hybrid -and (Test-ExcertTlsNameRefers -TlsName ([string]$hybrid.TlsCertificateName) -Issuer $issuer -Subject $subject)) {
            $users.Add('the hybrid configuration')
        }
        if ($users.Count -gt 0) {
            throw (New-ExcertError -Category 'InvalidOperation' -Message ('certificate {0} is named by the TlsCertificateName of {1}' -f $thumbprint, ($users -join ', ')))
        }
    }
    $null = Remove-ExchangeCertificate -Thumbprint $thumbprint -Server $env:COMPUTERNAME -Confirm:$false -ErrorAction Stop
    return [ordered]@{}
}

# ---------------------------------------------------------------------------
# Connectors and hybrid

# set_send_connector_tls: send connectors belong to the organisation.  The
# name is matched exactly (Get-SendConnector's Identity would take
# wildcards), then Set-SendConnector -TlsCertificateName on its GUID.
function Invoke-ExcertSetSendConnector {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $name = Get-ExcertArgString -Arguments $Arguments -Name 'name'
    $tlsName = Get-ExcertArgTlsName -Arguments $Arguments
    $found = @(Get-SendConnector -ErrorAction Stop | Where-Object { [string]$_.Name -eq $name })
    if ($found.Count -eq 0) {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message ('no send connector named ''{0}''' -f $name))
    }
    if ($found.Count -gt 1) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message ('several send connectors are named ''{0}''' -f $name))
    }
    $null = Set-SendConnector -Identity (Get-ExcertIdentity -Object $found[0]) -TlsCertificateName $tlsName -Confirm:$false -ErrorAction Stop
    return [ordered]@{}
}

# set_receive_connector_tls: the identity is "SERVER\name" and must be this
# server's (Get-ReceiveConnector -Server), then Set-ReceiveConnector
# -TlsCertificateName on its GUID.
function Invoke-ExcertSetReceiveConnector {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $identity = Get-ExcertArgString -Arguments $Arguments -Name 'identity'
    $tlsName = Get-ExcertArgTlsName -Arguments $Arguments
    $slash = $identity.IndexOf('\')
    if ($slash -lt 1 -or -not [string]::Equals($identity.Substring(0, $slash), [string]$env:COMPUTERNAME, [System.StringComparison]::OrdinalIgnoreCase)) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message ('receive connector ''{0}'' does not belong to {1}' -f $identity, $env:COMPUTERNAME))
    }
    $found = @(Get-ReceiveConnector -Server $env:COMPUTERNAME -ErrorAction Stop | Where-Object { [string]$_.Identity -eq $identity })
    if ($found.Count -eq 0) {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message ('no receive connector ''{0}''' -f $identity))
    }
    $null = Set-ReceiveConnector -Identity (Get-ExcertIdentity -Object $found[0]) -TlsCertificateName $tlsName -Confirm:$false -ErrorAction Stop
    return [ordered]@{}
}

# set_hybrid_tls: Set-HybridConfiguration -TlsCertificateName; the
# organisation has at most one hybrid configuration.
function Invoke-ExcertSetHybrid {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $tlsName = Get-ExcertArgTlsName -Arguments $Arguments
    if ($Context.IsEdge) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message 'the hybrid configuration is not managed on an Edge Transport server')
    }
    if ($null -eq (Get-ExcertHybridConfiguration)) {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message 'the organisation has no hybrid configuration')
    }
    $null = Set-HybridConfiguration -TlsCertificateName $tlsName -Confirm:$false -ErrorAction Stop
    return [ordered]@{}
}

# ---------------------------------------------------------------------------
# Services and files

# restart: transport is Restart-Service MSExchangeTransport (Edge too); iis
# is "iisreset /noforce", which gives up rather than kill IIS, and there is
# no IIS on Edge.
function Invoke-ExcertRestart {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $service = Get-ExcertArgString -Arguments $Arguments -Name 'service'
    if ($service -ceq 'transport') {
        $null = Restart-Service -Name 'MSExchangeTransport' -Force -ErrorAction Stop -WarningAction SilentlyContinue
    } elseif ($service -ceq 'iis') {
        if ($Context.IsEdge) {
            throw (New-ExcertError -Category 'InvalidOperation' -Message 'there is no IIS on an Edge Transport server')
        }
        $iisreset = [System.IO.Path]::Combine([string]$env:SystemRoot, 'System32', 'iisreset.exe')
        $output = & $iisreset '/noforce'
        if ($LASTEXITCODE -ne 0) {
            throw (New-ExcertError -Category 'InvalidOperation' -Message ('iisreset /noforce failed (exit status {0}): {1}' -f $LASTEXITCODE, (@($output) -join ' ')))
        }
    } else {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''service'' must be ''transport'' or ''iis''')
    }
    return [ordered]@{}
}

# The token of an http-01 challenge: base64url only, so that it cannot
# climb out of the challenge directory.
function Get-ExcertArgToken {
    param(
        $Arguments
    )
    $token = Get-ExcertArgString -Arguments $Arguments -Name 'token'
    if ($token -cnotmatch '\A[A-Za-z0-9_-]+\z' -or $token.Length -gt 255) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''token'' must be base64url ([A-Za-z0-9_-], at most 255 characters)')
    }
    return $token
}

# Whether Path is a reparse point (a junction or a symbolic link, also
# one whose target is gone); $false when nothing is there.
function Test-ExcertReparsePoint {
    param(
        [string]$Path
    )
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue
    if ($null -ne $item) {
        return (($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0)
    }
    try {
        $attributes = [System.IO.File]::GetAttributes($Path)
    } catch {
        return $false
    }
    return (($attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0)
}

# Refuses a junction or symbolic link at Path: one planted in the webroot
# would send the answer, or its deletion, wherever it points.
function Assert-ExcertNotReparsePoint {
    param(
        [string]$Path
    )
    if (Test-ExcertReparsePoint -Path $Path) {
        throw (New-ExcertError -Category 'PermissionDenied' -Message ('{0} is a junction or symbolic link: refusing to follow it for http-01' -f $Path))
    }
}

# <webroot>\.well-known\acme-challenge, the webroot being the physicalPath
# of 'Default Web Site' with its environment variables expanded
# (%SystemDrive%\inetpub\wwwroot by default).  The webroot may be a
# junction (IIS was told so); .well-known and acme-challenge may not be,
# checked before and after each is made (with -Create, when missing).
function Get-ExcertChallengeDirectory {
    param(
        $Context,
        [switch]$Create
    )
    if ($Context.IsEdge) {
        throw (New-ExcertError -Category 'InvalidOperation' -Message 'there is no IIS on an Edge Transport server')
    }
    $null = Import-Module -Name 'WebAdministration' -ErrorAction Stop
    $site = @(Get-Website -ErrorAction Stop | Where-Object { [string]$_.Name -eq 'Default Web Site' })
    if ($site.Count -ne 1) {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message 'IIS has no site named ''Default Web Site''')
    }
    $root = [System.Environment]::ExpandEnvironmentVariables([string]$site[0].physicalPath)
    if ($root -eq '') {
        throw (New-ExcertError -Category 'ObjectNotFound' -Message '''Default Web Site'' has no physical path')
    }
    $directory = $root
    foreach ($name in @('.well-known', 'acme-challenge')) {
        $directory = [System.IO.Path]::Combine($directory, $name)
        Assert-ExcertNotReparsePoint -Path $directory
        if ($Create -and -not [System.IO.Directory]::Exists($directory)) {
            $null = [System.IO.Directory]::CreateDirectory($directory)
            Assert-ExcertNotReparsePoint -Path $directory
        }
    }
    return $directory
}

# place_http01: writes the key authorization as ASCII without BOM into a
# new file (a stale one is deleted first; a junction or link is refused,
# never followed), creating the directories when missing.
function Invoke-ExcertPlaceHttp01 {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $token = Get-ExcertArgToken -Arguments $Arguments
    $content = Get-ExcertArgString -Arguments $Arguments -Name 'content'
    if ($content -cnotmatch '\A[\x21-\x7E]+\z') {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''content'' must be printable ASCII without spaces')
    }
    $directory = Get-ExcertChallengeDirectory -Context $Context -Create
    $path = [System.IO.Path]::Combine($directory, $token)
    Assert-ExcertNotReparsePoint -Path $path
    if ([System.IO.File]::Exists($path)) {
        [System.IO.File]::Delete($path)
    }
    $ascii = New-Object -TypeName 'System.Text.ASCIIEncoding'
    $bytes = $ascii.GetBytes($content)
    $stream = [System.IO.File]::Open($path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
    try {
        $stream.Write($bytes, 0, $bytes.Length)
    } finally {
        $stream.Dispose()
    }
    return [ordered]@{
        path = $path
    }
}

# clear_http01: removes the file; one that is already gone is no error.  A
# junction or link on the way, or as the file, is refused, never followed.
function Invoke-ExcertClearHttp01 {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $token = Get-ExcertArgToken -Arguments $Arguments
    $path = [System.IO.Path]::Combine((Get-ExcertChallengeDirectory -Context $Context), $token)
    Assert-ExcertNotReparsePoint -Path $path
    if ([System.IO.File]::Exists($path)) {
        [System.IO.File]::Delete($path)
    }
    return [ordered]@{}
}

# ---------------------------------------------------------------------------
# The organisation's lease (docs/agent-protocol.md, lease)

# The directory that holds the lease: %ProgramData%\excert, made readable and
# writable by Administrators and SYSTEM only, and never a link or junction
# (a user who could plant one could keep every excert out).
function Get-ExcertLeaseDirectory {
    $dir = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'excert')
    if (-not [System.IO.Directory]::Exists($dir)) {
        $null = New-Item -ItemType Directory -Path $dir -ErrorAction Stop
        $acl = Get-Acl -LiteralPath $dir
        $acl.SetAccessRuleProtection($true, $false)
        foreach ($sid in @('S-1-5-32-544', 'S-1-5-18')) {
            $identity = New-Object -TypeName 'System.Security.Principal.SecurityIdentifier' -ArgumentList $sid
            $rule = New-Object -TypeName 'System.Security.AccessControl.FileSystemAccessRule' -ArgumentList $identity, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow'
            $acl.AddAccessRule($rule)
        }
        Set-Acl -LiteralPath $dir -AclObject $acl -ErrorAction Stop
    }
    $item = Get-Item -LiteralPath $dir -Force -ErrorAction Stop
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        throw (New-ExcertError -Category 'PermissionDenied' -Message ('{0} is a link or junction; the lease is not kept there' -f $dir))
    }
    return $dir
}

# take, renew or release the lease.  The record (owner, token, expiry in the
# server's own UTC clock, so that the controllers' clocks never matter) is
# read and written through one handle opened with no sharing, so that one
# agent at a time decides; another waits for the handle (10 s at most).  A
# renewal after expiry fails even if nobody took the lease in between: the
# holder's view of the organisation may be out of date.
function Invoke-ExcertLease {
    param(
        $Context,
        $Arguments
    )
    $ErrorActionPreference = 'Stop'
    $action = Get-ExcertArgString -Arguments $Arguments -Name 'action'
    $token = Get-ExcertArgString -Arguments $Arguments -Name 'token'
    if ($token -cnotmatch '\A[0-9a-f]{16,128}\z') {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''token'' must be 16 to 128 lowercase hex digits')
    }
    if (@('take', 'renew', 'release') -cnotcontains $action) {
        throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''action'' must be take, renew or release')
    }
    $owner = $null
    $ttl = 0
    if ($action -cne 'release') {
        $owner = Get-ExcertArgString -Arguments $Arguments -Name 'owner'
        if ($owner.Length -gt 200 -or $owner -cmatch '[\x00-\x1f\x7f]') {
            throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''owner'' must be 1 to 200 printable characters')
        }
        $ttl = Get-ExcertArgInt -Arguments $Arguments -Name 'ttl'
        if ($ttl -lt 10 -or $ttl -gt 3600) {
            throw (New-ExcertError -Category 'InvalidArgument' -Message 'argument ''ttl'' must be 10 to 3600 seconds')
        }
    }
    $path = [System.IO.Path]::Combine((Get-ExcertLeaseDirectory), 'lease.json')
    $stream = $null
    $deadline = [System.DateTime]::UtcNow.AddSeconds(10)
    while ($null -eq $stream) {
        try {
            $stream = [System.IO.File]::Open($path, [System.IO.FileMode]::OpenOrCreate, [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)
        } catch [System.IO.IOException] {
            if ([System.DateTime]::UtcNow -gt $deadline) {
                throw (New-ExcertError -Category 'InvalidOperation' -Message ('{0} stayed busy for 10 s' -f $path))
            }
            Start-Sleep -Milliseconds 100
        }
    }
    try {
        $now = [System.DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $utf8 = New-Object -TypeName 'System.Text.UTF8Encoding' -ArgumentList $false
        $reader = New-Object -TypeName 'System.IO.StreamReader' -ArgumentList $stream, $utf8, $false, 4096, $true
        $text = $reader.ReadToEnd()
        $reader.Dispose()
        $record = $null
        if ($text.Trim() -ne '') {
            try {
                $record = $text | ConvertFrom-Json -ErrorAction Stop
            } catch {
                $record = $null
            }
        }
        $live = $false
        $mine = $false
        if ($null -ne $record -and $null -ne $record.expires -and $null -ne $record.token) {
            $live = [long]$record.expires -gt $now
            $mine = [string]::Equals([string]$record.token, $token, [System.StringComparison]::Ordinal)
        }
        $held = $false
        $write = $false
        if ($action -ceq 'release') {
            if ($mine) {
                $record = $null
                $write = $true
            }
        } elseif (($action -ceq 'renew' -and $live -and $mine) -or ($action -ceq 'take' -and -not ($live -and -not $mine))) {
            $record = [pscustomobject]@{ owner = $owner; token = $token; expires = $now + $ttl }
            $held = $true
            $live = $true
            $write = $true
        }
        if ($write) {
            $body = ''
            if ($null -ne $record) {
                $body = ConvertTo-Json -InputObject $record -Compress
            }
            $bytes = $utf8.GetBytes($body)
            $stream.SetLength(0)
            $stream.Write($bytes, 0, $bytes.Length)
            $stream.Flush($true)
        }
        $answerOwner = $null
        $left = 0
        if ($null -ne $record -and $live) {
            $answerOwner = [string]$record.owner
            $left = [long]$record.expires - $now
        }
        return [ordered]@{ held = $held; owner = $answerOwner; seconds_left = $left }
    } finally {
        $stream.Dispose()
    }
}

# ---------------------------------------------------------------------------
# The batch

# The operations that need the Exchange cmdlets.
function Test-ExcertNeedsExchange {
    param(
        [string]$Name
    )
    return (@('observe', 'observe_org', 'new_request', 'import', 'enable', 'export_pfx', 'import_pfx', 'set_send_connector_tls', 'set_receive_connector_tls', 'set_hybrid_tls', 'remove') -ccontains $Name)
}

# One operation, by its name: a fixed table, never a name turned into a
# command.  Unknown operations are NotImplemented (protocol section 5).
function Invoke-ExcertOperation {
    param(
        [string]$Name,
        $Arguments,
        $Context
    )
    switch -CaseSensitive ($Name) {
        'observe' { return (Invoke-ExcertObserve -Context $Context) }
        'observe_org' { return (Invoke-ExcertObserveOrg -Context $Context) }
        'new_request' { return (Invoke-ExcertNewRequest -Context $Context -Arguments $Arguments) }
        'import' { return (Invoke-ExcertImport -Context $Context -Arguments $Arguments) }
        'enable' { return (Invoke-ExcertEnable -Context $Context -Arguments $Arguments) }
        'export_pfx' { return (Invoke-ExcertExportPfx -Context $Context -Arguments $Arguments) }
        'import_pfx' { return (Invoke-ExcertImportPfx -Context $Context -Arguments $Arguments) }
        'set_send_connector_tls' { return (Invoke-ExcertSetSendConnector -Context $Context -Arguments $Arguments) }
        'set_receive_connector_tls' { return (Invoke-ExcertSetReceiveConnector -Context $Context -Arguments $Arguments) }
        'set_hybrid_tls' { return (Invoke-ExcertSetHybrid -Context $Context -Arguments $Arguments) }
        'restart' { return (Invoke-ExcertRestart -Context $Context -Arguments $Arguments) }
        'remove' { return (Invoke-ExcertRemove -Context $Context -Arguments $Arguments) }
        'place_http01' { return (Invoke-ExcertPlaceHttp01 -Context $Context -Arguments $Arguments) }
        'clear_http01' { return (Invoke-ExcertClearHttp01 -Context $Context -Arguments $Arguments) }
        'lease' { return (Invoke-ExcertLease -Context $Context -Arguments $Arguments) }
    }
    throw (New-ExcertError -Category 'NotImplemented' -Message ('unknown operation ''{0}''' -f $Name))
}

# Writes the reply: compact JSON, base64 of its UTF-8 bytes in lines of 76,
# between the marker lines, straight to standard output (no formatting, no
# line wrapping by the host).
function Write-ExcertReply {
    param(
        $Reply
    )
    # Windows PowerShell's type data for System.Array makes ConvertTo-Json
    # write some arrays as {"value":[...],"Count":n}.
    try {
        Remove-TypeData -TypeName 'System.Array' -ErrorAction SilentlyContinue
    } catch {
        $null = $_
    }
    $json = ConvertTo-Json -InputObject $Reply -Depth 10 -Compress
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($json)
    $body = [System.Convert]::ToBase64String($bytes, [System.Base64FormattingOptions]::InsertLineBreaks)
    $newline = [System.Environment]::NewLine
    [System.Console]::Out.Write('-----BEGIN EXCERT REPLY-----' + $newline + $body + $newline + '-----END EXCERT REPLY-----' + $newline)
    [System.Console]::Out.Flush()
}

# The entry point: the last line excert sends calls it with the request.
# Variables here are prefixed with "excert": RemoteExchange.ps1 is
# dot-sourced into this scope.
function Invoke-ExcertAgent {
    param(
        [string]$RequestBase64
    )
    $ProgressPreference = 'SilentlyContinue'
    $ConfirmPreference = 'None'
    $excertReply = [ordered]@{
        protocol = 1
        server = [string]$env:COMPUTERNAME
        agent = 'excert-agent 1'
        results = @()
        error = $null
    }
    $excertResults = New-Object -TypeName 'System.Collections.Generic.List[object]'
    try {
        $excertRequest = Read-ExcertRequest -RequestBase64 $RequestBase64
        $excertContext = @{
            Connected = $false
            IsEdge = (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v15\EdgeTransportRole')
        }
        foreach ($excertOperation in $excertRequest.Operations) {
            $excertEntry = [ordered]@{
                id = $excertOperation.Id
                op = $excertOperation.Op
                ok = $false
            }
            try {
                if ((Test-ExcertNeedsExchange -Name $excertOperation.Op) -and -not $excertContext.Connected) {
                    . Connect-ExcertExchange -ConnectContext $excertContext
                }
                $excertValue = Invoke-ExcertOperation -Name $excertOperation.Op -Arguments $excertOperation.Args -Context $excertContext
                if ($excertValue -isnot [System.Collections.IDictionary]) {
                    throw (New-ExcertError -Category 'NotSpecified' -Message ('operation ''{0}'' produced no result object' -f $excertOperation.Op))
                }
                $excertEntry['ok'] = $true
                $excertEntry['result'] = $excertValue
            } catch {
                $excertEntry['error'] = ConvertTo-ExcertErrorInfo -Record $_
            }
            $excertResults.Add($excertEntry)
            if (-not $excertEntry['ok']) {
                break
            }
        }
    } catch {
        $excertReply['error'] = ConvertTo-ExcertErrorInfo -Record $_
    }
    $excertReply['results'] = $excertResults.ToArray()
    try {
        Write-ExcertReply -Reply $excertReply
    } catch {
        $excertFallback = [ordered]@{
            protocol = 1
            server = [string]$env:COMPUTERNAME
            agent = 'excert-agent 1'
            results = @()
            error = (ConvertTo-ExcertErrorInfo -Record $_)
        }
        Write-ExcertReply -Reply $excertFallback
    }
}
