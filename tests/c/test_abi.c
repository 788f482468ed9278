/* The ABI's growth rules: option structs carry struct_size and are read only within it, so a
 * host built against an older header (a shorter struct) still works and gets the defaults for
 * what it lacks; a struct never set up by its _init function is refused. Enum arguments are
 * checked. The "older" layouts below are what a host compiled against an earlier header
 * passes: a prefix of today's struct, allocated at exactly its own size on the heap so that
 * ASan and valgrind catch any read past it. */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "harness.h"

#define CONTAINS(haystack, needle)                                                          \
    do {                                                                                    \
        const char *h_ = (haystack);                                                        \
        if (h_ == NULL || strstr(h_, (needle)) == NULL)                                     \
            FAIL("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", (needle));           \
    } while (0)

/* Exactly `size` bytes on the heap, a copy of `src`. */
static void *exact(const void *src, size_t size) {
    void *p = malloc(size);
    CHECK(p != NULL);
    memcpy(p, src, size);
    return p;
}

/* ---- older layouts: today's structs cut after their first fields ---- */

typedef struct open_options_v1 {
    uint32_t struct_size;
    bool manual_clock;
    int64_t start_time;
    const char *issuer;
} open_options_v1;

typedef struct policy_v1 {
    uint32_t struct_size;
    bool mfa_required;
    uint64_t enrollment_window;
} policy_v1;

typedef struct reset_options_v1 {
    uint32_t struct_size;
    bool has_window;
    uint64_t window;
    const char *reason;
} reset_options_v1;

typedef struct audit_query_v1 {
    uint32_t struct_size;
    uint64_t after_seq;
    uint32_t limit;
} audit_query_v1;

static void init_sets_struct_size(void) {
    mfa_open_options o;
    memset(&o, 0, sizeof o);
    mfa_open_options_init(&o);
    CHECK(o.struct_size == sizeof o);
    mfa_policy p;
    memset(&p, 0, sizeof p);
    mfa_policy_init(&p);
    CHECK(p.struct_size == sizeof p);
    mfa_reset_options r;
    memset(&r, 0, sizeof r);
    mfa_reset_options_init(&r);
    CHECK(r.struct_size == sizeof r);
    mfa_audit_query q;
    memset(&q, 0, sizeof q);
    mfa_audit_query_init(&q);
    CHECK(q.struct_size == sizeof q);
    /* Each older layout is a prefix of today's: same offsets for the fields it has. */
    CHECK(offsetof(open_options_v1, issuer) == offsetof(mfa_open_options, issuer));
    CHECK(offsetof(policy_v1, enrollment_window) == offsetof(mfa_policy, enrollment_window));
    CHECK(offsetof(reset_options_v1, reason) == offsetof(mfa_reset_options, reason));
    CHECK(offsetof(audit_query_v1, limit) == offsetof(mfa_audit_query, limit));
    CHECK(sizeof(open_options_v1) < sizeof(mfa_open_options) && sizeof(policy_v1) < sizeof(mfa_policy));
    CHECK(sizeof(reset_options_v1) < sizeof(mfa_reset_options));
    CHECK(sizeof(audit_query_v1) < sizeof(mfa_audit_query));
}

static void a_struct_not_set_up_by_init_is_refused(void) {
    mfa_core *core = NULL;
    mfa_open_options o;
    memset(&o, 0, sizeof o);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", KEY, 32, &o, &core));
    CHECK(core == NULL);
    CONTAINS(mfa_last_error_message(), "mfa_open_options_init");

    fixture f = fixture_open();
    mfa_policy p;
    memset(&p, 0, sizeof p);
    p.enrollment_window = 3600;
    mfa_org org;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(f.core, "Zero", &p, &org));
    CONTAINS(mfa_last_error_message(), "mfa_policy_init");

    char secret[MFA_SECRET_LEN];
    enroll(f.core, f.member.id, secret, NULL);
    mfa_reset_options r;
    memset(&r, 0, sizeof r);
    mfa_receipt receipt;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(f.core, f.admin.id, f.member.id, &r, &receipt));
    CONTAINS(mfa_last_error_message(), "mfa_reset_options_init");
    const char *targets[] = {f.member.id};
    mfa_bulk_outcome_list list;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, targets, 1, &r, &list));

    mfa_audit_query q;
    memset(&q, 0, sizeof q);
    mfa_audit_event_list events;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, &q, &events));
    CONTAINS(mfa_last_error_message(), "mfa_audit_query_init");

    /* Nothing was reset. */
    mfa_user_mfa_status s;
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_ENROLLED);
    mfa_core_close(f.core);
}

static void a_struct_from_a_newer_header_is_refused(void) {
    /* A host compiled against a later header whose struct has grown: its struct_size is more
     * than this library knows, so fields it set would be ignored. */
    unsigned char big[sizeof(mfa_open_options) + 16];
    memset(big, 0, sizeof big);
    mfa_open_options o;
    mfa_open_options_init(&o);
    memcpy(big, &o, sizeof o);
    uint32_t size = sizeof big;
    memcpy(big, &size, sizeof size);
    mfa_core *core = NULL;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", KEY, 32, (const mfa_open_options *)(void *)big, &core));
    CONTAINS(mfa_last_error_message(), "newer mfa_core.h");

    mfa_policy p;
    mfa_policy_init(&p);
    p.struct_size += 8;
    core = open_at(":memory:", T0);
    mfa_org org;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, "Later", &p, &org));
    mfa_core_close(core);
}

static void a_size_that_cuts_a_field_is_refused(void) {
    mfa_core *core = open_at(":memory:", T0);
    mfa_policy p;
    mfa_policy_init(&p);
    p.struct_size = offsetof(mfa_policy, enrollment_window) + 4;
    mfa_org org;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, "Cut", &p, &org));
    CONTAINS(mfa_last_error_message(), "not the size of any mfa_policy");
    p.struct_size = 2; /* shorter than struct_size itself */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, "Tiny", &p, &org));
    mfa_core_close(core);
}

static void older_open_options_get_the_defaults(void) {
    /* v1 has no create_if_missing (default true) nor durability (default full). */
    char dir[] = "/tmp/mfa-abi-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/old.db", dir);
    open_options_v1 v1 = {sizeof(open_options_v1), true, T0 + 5, "OldHost"};
    open_options_v1 *heap = exact(&v1, sizeof v1);
    mfa_core *core = NULL;
    OK(mfa_core_open(path, KEY, 32, (const mfa_open_options *)(void *)heap, &core));
    int64_t now = 0;
    OK(mfa_now(core, &now));
    CHECK(now == T0 + 5); /* the fields it has are read */
    mfa_org org;
    OK(mfa_create_org(core, "Acme", NULL, &org));
    mfa_user u;
    OK(mfa_create_user(core, org.id, "a@acme.test", MFA_ROLE_OWNER, &u));
    mfa_enrollment e;
    OK(mfa_begin_enrollment(core, u.id, &e));
    CONTAINS(e.uri, "issuer=OldHost");
    mfa_enrollment_free(&e);
    mfa_core_close(core);
    free(heap);
    char side[80];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
        unlink(side);
    }
    CHECK(rmdir(dir) == 0);
}

static void an_older_policy_gets_the_defaults(void) {
    mfa_core *core = open_at(":memory:", T0);
    policy_v1 v1 = {sizeof(policy_v1), true, 3600};
    policy_v1 *heap = exact(&v1, sizeof v1);
    mfa_org org;
    OK(mfa_create_org(core, "Old", (const mfa_policy *)(void *)heap, &org));
    CHECK(org.policy.mfa_required && org.policy.enrollment_window == 3600);
    mfa_policy d;
    mfa_policy_init(&d);
    CHECK(org.policy.reset_limit_per_hour == d.reset_limit_per_hour);
    CHECK(org.policy.max_failed_verifications == d.max_failed_verifications);
    CHECK(org.policy.require_step_up == d.require_step_up);
    /* The policy inside a result is set up and can be passed back as it is. */
    CHECK(org.policy.struct_size == sizeof(mfa_policy));
    mfa_org copy;
    OK(mfa_create_org(core, "Copy", &org.policy, &copy));
    CHECK(copy.policy.mfa_required && copy.policy.enrollment_window == 3600);
    free(heap);
    mfa_core_close(core);
}

static void older_reset_options_and_query_get_the_defaults(void) {
    fixture f = fixture_open();
    char secret[MFA_SECRET_LEN];
    enroll(f.core, f.member.id, secret, NULL);
    /* v1 has no dry_run (default: a real reset) nor proofs (default: none). */
    reset_options_v1 v1 = {sizeof(reset_options_v1), true, 3600, "old host"};
    reset_options_v1 *heap = exact(&v1, sizeof v1);
    mfa_receipt r;
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, (const mfa_reset_options *)(void *)heap, &r));
    CHECK(!r.dry_run && r.audit_seq > 0 && r.deadline == T0 + 3600 && r.state == MFA_STATE_ENROLLMENT_REQUIRED);
    free(heap);

    /* v1 has no filters (default: none). */
    audit_query_v1 q1 = {sizeof(audit_query_v1), r.audit_seq - 1, 1};
    audit_query_v1 *qheap = exact(&q1, sizeof q1);
    mfa_audit_event_list page;
    OK(mfa_audit_events(f.core, (const mfa_audit_query *)(void *)qheap, &page));
    CHECK(page.len == 1 && page.items[0].seq == r.audit_seq);
    STREQ(page.items[0].action, "mfa.reset");
    STREQ(page.items[0].reason, "old host");
    mfa_audit_event_list_free(&page);
    free(qheap);
    mfa_core_close(f.core);
}

static void a_window_without_has_window_is_refused(void) {
    fixture f = fixture_open();
    char secret[MFA_SECRET_LEN];
    enroll(f.core, f.member.id, secret, NULL);
    mfa_reset_options o;
    mfa_reset_options_init(&o);
    o.window = 3600; /* has_window forgotten */
    mfa_receipt r;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    CONTAINS(mfa_last_error_message(), "has_window");
    const char *targets[] = {f.member.id};
    mfa_bulk_outcome_list list;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, targets, 1, &o, &list));
    mfa_user_mfa_status s;
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_ENROLLED);
    /* With has_window it is used; window 0 without it is the org's default. */
    o.has_window = true;
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    CHECK(r.deadline == T0 + 3600);
    mfa_reset_options_init(&o);
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    CHECK(r.deadline == T0 + 7 * 86400);
    mfa_core_close(f.core);
}

typedef struct policy_changes_v1 {
    uint32_t struct_size;
    bool has_mfa_required;
    bool mfa_required;
    bool has_enrollment_window;
    uint64_t enrollment_window;
} policy_changes_v1;

static void policy_changes_follow_the_same_rules(void) {
    fixture f = fixture_open();
    mfa_policy_changes c;
    memset(&c, 0, sizeof c);
    mfa_policy_changes_init(&c);
    CHECK(c.struct_size == sizeof c);
    mfa_org org;
    /* Not set up by _init. */
    mfa_policy_changes zero;
    memset(&zero, 0, sizeof zero);
    zero.has_enrollment_window = true;
    zero.enrollment_window = 600;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_update_policy(f.core, f.owner.id, f.org.id, &zero, NULL, &org));
    CONTAINS(mfa_last_error_message(), "mfa_policy_changes_init");
    /* A value without its flag is refused, not ignored. */
    c.enrollment_window = 600;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_update_policy(f.core, f.owner.id, f.org.id, &c, NULL, &org));
    CONTAINS(mfa_last_error_message(), "has_enrollment_window");
    mfa_policy_changes_init(&c);
    c.has_mfa_required = true;
    c.require_step_up = true;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_update_policy(f.core, f.owner.id, f.org.id, &c, NULL, &org));
    CONTAINS(mfa_last_error_message(), "has_require_step_up");
    OK(mfa_get_org(f.core, f.org.id, &org));
    CHECK(!org.policy.mfa_required && !org.policy.require_step_up && org.policy.enrollment_window == 7 * 86400);
    /* An older, shorter struct: the fields it lacks do not change. */
    policy_changes_v1 v1 = {sizeof(policy_changes_v1), false, false, true, 600};
    CHECK(offsetof(policy_changes_v1, enrollment_window) == offsetof(mfa_policy_changes, enrollment_window));
    policy_changes_v1 *heap = exact(&v1, sizeof v1);
    OK(mfa_update_policy(f.core, f.owner.id, f.org.id, (const mfa_policy_changes *)(void *)heap, NULL, &org));
    CHECK(org.policy.enrollment_window == 600 && org.policy.reset_limit_per_hour == 20);
    CHECK(!org.policy.mfa_required && !org.policy.require_step_up);
    free(heap);
    mfa_core_close(f.core);
}

static void a_role_outside_the_enum_is_refused(void) {
    fixture f = fixture_open();
    mfa_user u;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_user(f.core, f.org.id, "x@acme.test", (mfa_role)3, &u));
    CONTAINS(mfa_last_error_message(), "not an mfa_role");
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_user(f.core, f.org.id, "x@acme.test", (mfa_role)-1, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_role(f.core, f.owner.id, f.member.id, (mfa_role)-1, NULL, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_role(f.core, f.owner.id, f.member.id, (mfa_role)1000, NULL, &u));
    OK(mfa_get_user(f.core, f.member.id, &u));
    CHECK(u.role == MFA_ROLE_MEMBER);
    mfa_user_list users;
    OK(mfa_list_users(f.core, f.org.id, &users));
    CHECK(users.len == 3);
    mfa_user_list_free(&users);
    mfa_core_close(f.core);
}

int main(void) {
    RUN(init_sets_struct_size);
    RUN(a_struct_not_set_up_by_init_is_refused);
    RUN(a_struct_from_a_newer_header_is_refused);
    RUN(a_size_that_cuts_a_field_is_refused);
    RUN(older_open_options_get_the_defaults);
    RUN(an_older_policy_gets_the_defaults);
    RUN(older_reset_options_and_query_get_the_defaults);
    RUN(a_window_without_has_window_is_refused);
    RUN(policy_changes_follow_the_same_rules);
    RUN(a_role_outside_the_enum_is_refused);
    return 0;
}
