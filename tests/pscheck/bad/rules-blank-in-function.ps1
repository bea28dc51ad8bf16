# -Command - would run the first half of this function on its own.
# expect: 5:1: blank line inside a statement (from line 3): -Command - would run it cut short
function Get-Test {
    $a = 1

    return $a
}
