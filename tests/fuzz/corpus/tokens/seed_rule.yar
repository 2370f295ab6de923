// Detection guidance for EMB-2021-0001 (embargoed).
rule EMB_2021_0001_webshell_dropped
{
    meta:
        author = "Vendor PSIRT"
        description = "ASPX web shell written through the ECP file write"
        reference = "EMB-2021-0001"
        severity = "high"
    strings:
        $script = "<script language=\"JScript\" runat=\"server\">" ascii nocase
        $eval = "eval(Request[" ascii
        $oab = "ExternalUrl" ascii
    condition:
        filesize < 20KB and $script and ($eval or $oab)
}

rule EMB_2021_0001_ssrf_cookie
{
    meta:
        author = "Vendor PSIRT"
        description = "Request log line with the SSRF backend cookie"
        reference = "EMB-2021-0001"
    strings:
        $cookie = "X-AnonResource-Backend=" ascii
        $ecp = "/ecp/" ascii
    condition:
        all of them
}
