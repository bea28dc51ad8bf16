# foreach without its closing parenthesis.
# expect: 3:1: syntax error near 'foreach ($item in $list {'
foreach ($item in $list {
    $item
}
