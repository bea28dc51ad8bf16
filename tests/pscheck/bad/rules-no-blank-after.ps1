# Two functions without the blank line -Command - needs between them.
# expect: 6:1: top-level statement (from line 3) is not followed by a blank line
function Get-One {
    return 1
}
function Get-Two {
    return 2
}
