# pscheck reads -RequestBase64 as a parameter (the grammar's lexer takes no
# digit there), but a quote inside the literal is still an error.
# expect: 4:1: syntax error near 'Invoke-ExcertAgent -RequestBase64 'eyJ'x'
Invoke-ExcertAgent -RequestBase64 'eyJ'x'=='
