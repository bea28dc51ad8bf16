# A $( subexpression inside a double-quoted string is never closed.
# expect: 3:1: syntax error near '$message = "at $(Get-Date -Format 'o'"'
$message = "at $(Get-Date -Format 'o'"
