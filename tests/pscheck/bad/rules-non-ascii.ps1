# Outside ASCII: the console code page would change it.
# expect: 4:22: byte 0xc3 is not printable ASCII
# expect: 4:23: byte 0xbc is not printable ASCII
$name = 'Zertifikat für'
