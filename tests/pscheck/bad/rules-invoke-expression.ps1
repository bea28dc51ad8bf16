# Code made from a string: what the agent must never do with a request.
# expect: 5:5: 'invoke-expression' turns data into code
# expect: 6:11: '[scriptblock]::Create' turns data into code
function Invoke-Test {
    Invoke-Expression ('Set-SendConnector -Identity ' + $Name)
    $sb = [scriptblock]::Create($Text)
}
