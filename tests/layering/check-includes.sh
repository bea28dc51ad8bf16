#!/bin/sh
# SPDX-License-Identifier: MIT
# The include half of the layering rule (the link half is in
# tests/CMakeLists.txt): a layer includes only itself and the layers below.
#   cmd/ -> reconcile/ -> providers/ (provider.h only) -> state/
top=${1:?usage: check-includes.sh SOURCE_DIR}
cd "$top" || exit 1
fail=0
bad() {
    echo "layering: $1" >&2
    fail=1
}
for f in state/*.c state/*.h; do
    grep -Hn '#include "\(cmd\|reconcile\|providers\)/' "$f" &&
        bad "$f: state/ includes a higher layer"
done
for f in reconcile/*.c reconcile/*.h; do
    [ -e "$f" ] || continue
    grep -Hn '#include "cmd/' "$f" && bad "$f: reconcile/ includes cmd/"
    grep -Hn '#include "providers/' "$f" | grep -v 'providers/provider.h' &&
        bad "$f: reconcile/ includes a provider (only providers/provider.h)"
    grep -Hn '#include <\(curl/\|git2\|openssl/ssl\|sys/socket\|netdb\)' "$f" &&
        bad "$f: reconcile/ includes a network or git library"
done
for f in $(find providers -name '*.[ch]'); do
    grep -Hn '#include "\(cmd\|reconcile\)/' "$f" &&
        bad "$f: providers/ includes a higher layer"
done
for f in cmd/*.c cmd/*.h; do
    grep -Hn '#include <\(curl/\|git2\|yaml.h\|openssl/\)' "$f" &&
        bad "$f: cmd/ uses a library that belongs to a wrapper module"
done
if [ $fail -eq 0 ]; then
    echo "layering: includes respect cmd -> reconcile -> providers -> state"
fi
exit $fail
