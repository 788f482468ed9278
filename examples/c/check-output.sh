#!/usr/bin/env bash
# Checks what examples/c/host printed (its output file is $1): the story, in order.
set -euo pipefail
out="$1"
uuid='[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
expect=(
    "^mfa_core [0-9]+\.[0-9]+\.[0-9]+, store "
    "^org $uuid: owner $uuid, admin $uuid, member $uuid$"
    "^ana enrolled with 10 recovery codes$"
    "^receipt: target=$uuid previous_state=enrolled state=enrollment_required deadline_in=86400 credential_epoch=1 audit_seq=7$"
    "^member resets owner: forbidden \(HTTP 403\)$"
    "^audit 1 org.create success$"
    "^audit 2 user.create success$"
    "^audit 5 mfa.enroll.begin success$"
    "^audit 6 mfa.enroll.confirm success$"
    "^audit 7 mfa.reset success$"
    "^audit 8 mfa.reset denied forbidden$"
    "^chain: ok, 8 events checked$"
)
line=0
for pattern in "${expect[@]}"; do
    # Each expected line must come after the previous one.
    found=$(tail -n +"$((line + 1))" "$out" | grep -nE -m1 "$pattern" | cut -d: -f1 || true)
    if [[ -z "$found" ]]; then
        echo "examples/c/host: no line matching /$pattern/ (after line $line) in:" >&2
        cat "$out" >&2
        exit 1
    fi
    line=$((line + found))
done
[[ $(wc -l <"$out") -eq 14 ]] || { echo "examples/c/host printed $(wc -l <"$out") lines, expected 14" >&2; exit 1; }
