# The function's closing brace is missing.
# expect: 9:6: missing '}'
function Get-Test {
    param(
        [string]$Name
    )
    if ($Name -eq 'x') {
        return 1
    }
