# A blank line inside a hashtable literal, inside a function.
# expect: 7:1: blank line inside a statement (from line 3): -Command - would run it cut short
function Get-Test {
    return [ordered]@{
        a = 1
        b = 2

    }
}
