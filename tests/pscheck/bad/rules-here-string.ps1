# A here-string: a blank line in it would end the statement.
# expect: 4:10: here-string (a blank line in it would end the statement under -Command -)
function Get-Test {
    $s = @'
text
'@
    return $s
}
