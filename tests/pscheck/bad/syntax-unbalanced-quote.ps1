# A quote left open swallows the rest of the line.
# expect: 4:61: syntax error near 'IIS', 'SMTP' -Force'
function Enable-Test {
    Enable-ExchangeCertificate -Thumbprint 'AB12 -Services 'IIS', 'SMTP' -Force
}
