/* A host program on the C ABI: open a store, bootstrap an org and users, enroll one user,
 * reset that user's MFA as an admin, and print the receipt and the audit trail.
 *
 * Build (after scripts/c-dist.sh; see the README's "Use from C"):
 *   cc host.c $(pkg-config --cflags --libs mfa_core) -o host
 * Usage: ./host [STORE_PATH]
 *   The store: STORE_PATH, else $MFA_CORE_DB, else a fresh store in a temporary folder.
 *   The key: the key file named by $MFA_CORE_KEY_FILE (32 raw bytes or 64 hex digits, as
 *   `mfa-admin init --generate-key` writes it), else a random key (for a fresh store only).
 *   These are the variables mfa-admin reads, so both can work on the same store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mfa_core.h"

static const char *state_name(mfa_state s) {
    switch (s) {
        case MFA_STATE_NOT_ENROLLED: return "not_enrolled";
        case MFA_STATE_ENROLLMENT_REQUIRED: return "enrollment_required";
        case MFA_STATE_LOCKED_OUT: return "locked_out";
        case MFA_STATE_ENROLLED: return "enrolled";
    }
    return "?";
}

static const char *outcome_name(mfa_outcome o) {
    switch (o) {
        case MFA_OUTCOME_SUCCESS: return "success";
        case MFA_OUTCOME_DENIED: return "denied";
        case MFA_OUTCOME_FAILURE: return "failure";
    }
    return "?";
}

/* Reports a failed call with its code and detail, and says whether it failed. */
static int failed(mfa_status status, const char *what) {
    if (status == MFA_OK) return 0;
    const char *detail = mfa_last_error_message();
    fprintf(stderr, "%s: %s (%s)\n", what, mfa_status_str(status), detail ? detail : "");
    return 1;
}

/* A random 32-byte key from the OS, for a throwaway store. */
static int random_key(uint8_t key[MFA_KEY_LEN]) {
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f) return 0;
    size_t n = fread(key, 1, 32, f);
    fclose(f);
    return n == 32;
}

int main(int argc, char **argv) {
    char path[256];
    const char *db = getenv("MFA_CORE_DB");
    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else if (db != NULL) {
        snprintf(path, sizeof path, "%s", db);
    } else {
        char dir[] = "/tmp/mfa-host-XXXXXX";
        if (!mkdtemp(dir)) return 1;
        snprintf(path, sizeof path, "%s/store.db", dir);
    }
    uint8_t key[MFA_KEY_LEN];
    const char *key_file = getenv("MFA_CORE_KEY_FILE");
    if (key_file != NULL) {
        if (failed(mfa_key_load_file(key_file, key), "key file")) return 1;
    } else if (!random_key(key)) {
        return 1;
    }

    printf("mfa_core %s, store %s\n", mfa_version(), path);
    mfa_core *core = NULL;
    if (failed(mfa_core_open(path, key, sizeof key, NULL, &core), "open")) return 1;
    int rc = 1;

    mfa_org org;
    mfa_user owner, admin, member;
    if (failed(mfa_create_org(core, "Acme", NULL, &org), "create_org")) goto out;
    if (failed(mfa_create_user(core, org.id, "owner@acme.test", MFA_ROLE_OWNER, &owner), "create_user") ||
        failed(mfa_create_user(core, org.id, "admin@acme.test", MFA_ROLE_ADMIN, &admin), "create_user") ||
        failed(mfa_create_user(core, org.id, "ana@acme.test", MFA_ROLE_MEMBER, &member), "create_user"))
        goto out;
    printf("org %s: owner %s, admin %s, member %s\n", org.id, owner.id, admin.id, member.id);

    /* The member enrolls: the URI goes into a QR code, the app shows the code. */
    mfa_enrollment enrollment;
    if (failed(mfa_begin_enrollment(core, member.id, &enrollment), "begin_enrollment")) goto out;
    int64_t now = 0;
    char code[7];
    mfa_status st = mfa_now(core, &now);
    if (st == MFA_OK) st = mfa_totp_code(enrollment.secret, now, code);
    mfa_enrollment_free(&enrollment); /* wipes the secret */
    mfa_recovery_codes codes;
    if (failed(st, "totp_code") || failed(mfa_confirm_enrollment(core, member.id, code, &codes), "confirm"))
        goto out;
    printf("ana enrolled with %zu recovery codes\n", codes.count);
    mfa_recovery_codes_clear(&codes);

    /* Ana lost her phone: the admin resets her MFA with a one-day window. */
    mfa_reset_options options;
    mfa_reset_options_init(&options);
    options.has_window = true;
    options.window = 86400;
    options.reason = "lost phone, ticket 4711";
    mfa_receipt receipt;
    int64_t before = 0, after = 0;
    if (failed(mfa_now(core, &before), "now") ||
        failed(mfa_reset_mfa(core, admin.id, member.id, &options, &receipt), "reset_mfa") ||
        failed(mfa_now(core, &after), "now"))
        goto out;
    /* The reset happened between `before` and `after` (a second may tick in between): its
     * deadline is one window after a time in that range. */
    int64_t window = (int64_t)options.window;
    bool on_time = receipt.deadline >= before + window && receipt.deadline <= after + window;
    long long deadline_in = on_time ? window : receipt.deadline - before;
    printf("receipt: target=%s previous_state=%s state=%s deadline_in=%lld credential_epoch=%llu audit_seq=%llu\n",
           receipt.target, state_name(receipt.previous_state), state_name(receipt.state), deadline_in,
           (unsigned long long)receipt.credential_epoch, (unsigned long long)receipt.audit_seq);

    /* A member may not reset the owner: refused, and the attempt is audited. */
    st = mfa_reset_mfa(core, member.id, owner.id, NULL, NULL);
    printf("member resets owner: %s (HTTP %u)\n", mfa_status_str(st), (unsigned)mfa_status_http(st));

    mfa_audit_event_list events;
    if (failed(mfa_audit_events(core, NULL, &events), "audit_events")) goto out;
    for (size_t i = 0; i < events.len; i++) {
        const mfa_audit_event *e = &events.items[i];
        printf("audit %llu %s %s%s%s\n", (unsigned long long)e->seq, e->action, outcome_name(e->outcome),
               e->code ? " " : "", e->code ? e->code : "");
    }
    mfa_audit_event_list_free(&events);

    mfa_audit_report report;
    if (failed(mfa_verify_audit(core, NULL, &report), "verify_audit")) goto out;
    printf("chain: %s, %llu events checked\n", report.ok ? "ok" : "BROKEN", (unsigned long long)report.checked);
    rc = report.ok ? 0 : 1;
out:
    mfa_core_close(core);
    return rc;
}
