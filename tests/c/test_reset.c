/* reset_mfa and reset_mfa_many (docs/reset.md). */
#include <stdint.h>

#include "harness.h"

static void a_reset_reopens_enrollment_and_returns_a_receipt(void) {
    fixture f = fixture_open();
    char secret[MFA_SECRET_LEN];
    enroll(f.core, f.member.id, secret, NULL);

    mfa_reset_options o;
    mfa_reset_options_init(&o);
    CHECK(!o.has_window && !o.dry_run && o.reason == NULL && o.proof == NULL && o.actor_proof == NULL);
    o.has_window = true;
    o.window = 3600;
    o.reason = "lost phone";
    mfa_receipt r;
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    STREQ(r.target, f.member.id);
    CHECK(r.previous_state == MFA_STATE_ENROLLED && r.state == MFA_STATE_ENROLLMENT_REQUIRED);
    CHECK(r.deadline == T0 + 3600 && r.credential_epoch == 1 && !r.dry_run && r.audit_seq > 0);

    mfa_user_mfa_status s;
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_ENROLLMENT_REQUIRED && s.deadline == T0 + 3600 && s.credential_epoch == 1);

    /* NULL options: the org's window (7 days); NULL receipt is allowed. */
    OK(mfa_reset_mfa(f.core, f.owner.id, f.member.id, NULL, NULL));
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.deadline == T0 + 7 * 86400 && s.credential_epoch == 2);
    mfa_core_close(f.core);
}

static void a_dry_run_changes_nothing(void) {
    fixture f = fixture_open();
    char secret[MFA_SECRET_LEN];
    enroll(f.core, f.member.id, secret, NULL);
    mfa_checkpoint before, after;
    OK(mfa_audit_checkpoint(f.core, &before));
    mfa_reset_options o;
    mfa_reset_options_init(&o);
    o.dry_run = true;
    mfa_receipt r;
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    CHECK(r.dry_run && r.audit_seq == 0 && r.state == MFA_STATE_ENROLLMENT_REQUIRED && r.credential_epoch == 1);
    OK(mfa_audit_checkpoint(f.core, &after));
    CHECK(after.seq == before.seq);
    mfa_user_mfa_status s;
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_ENROLLED && s.credential_epoch == 0);
    mfa_core_close(f.core);
}

static void the_rules_refuse_in_order(void) {
    fixture f = fixture_open();
    mfa_receipt r;
    memset(&r, 0xAB, sizeof r);
    mfa_reset_options o;
    mfa_reset_options_init(&o);
    o.has_window = true;
    o.window = 0;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    o.window = 365 * 86400 + 1;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    mfa_reset_options_init(&o);
    o.reason = BAD_UTF8;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(f.core, f.admin.id, "bad", NULL, &r));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(f.core, NULL, f.member.id, NULL, &r));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa(NULL, f.admin.id, f.member.id, NULL, &r));
    EXPECT(MFA_ERR_UNAUTHENTICATED,
           mfa_reset_mfa(f.core, "00000000-0000-7000-8000-000000000000", f.member.id, NULL, &r));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_reset_mfa(f.core, f.admin.id, "00000000-0000-7000-8000-000000000000", NULL, &r));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_reset_mfa(f.core, f.member.id, f.member.id, NULL, &r)); /* no proof */
    EXPECT(MFA_ERR_FORBIDDEN, mfa_reset_mfa(f.core, f.member.id, f.admin.id, NULL, &r));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_reset_mfa(f.core, f.admin.id, f.owner.id, NULL, &r));
    EXPECT(MFA_ERR_MFA_NOT_ENABLED, mfa_reset_mfa(f.core, f.admin.id, f.member.id, NULL, &r));
    /* Out-params are written only on success. */
    unsigned char untouched[sizeof r];
    memset(untouched, 0xAB, sizeof untouched);
    CHECK(memcmp(&r, untouched, sizeof r) == 0);
    mfa_core_close(f.core);
}

static void self_reset_takes_a_proof(void) {
    fixture f = fixture_open();
    char secret[MFA_SECRET_LEN], code[7];
    enroll(f.core, f.member.id, secret, NULL);
    advance(f.core, 30);
    mfa_reset_options o;
    mfa_reset_options_init(&o);
    o.proof = "000000";
    EXPECT(MFA_ERR_FORBIDDEN, mfa_reset_mfa(f.core, f.member.id, f.member.id, &o, NULL));
    code_now(f.core, secret, code);
    o.proof = code;
    mfa_receipt r;
    OK(mfa_reset_mfa(f.core, f.member.id, f.member.id, &o, &r));
    CHECK(r.previous_state == MFA_STATE_ENROLLED);
    mfa_core_close(f.core);
}

static void the_rate_limit_gives_retry_after(void) {
    mfa_policy policy;
    mfa_policy_init(&policy);
    policy.reset_limit_per_hour = 1;
    policy.mfa_required = true;
    fixture f = fixture_with(":memory:", &policy);
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, NULL, NULL));
    advance(f.core, 600);
    EXPECT(MFA_ERR_RATE_LIMITED, mfa_reset_mfa(f.core, f.admin.id, f.member.id, NULL, NULL));
    CHECK(mfa_last_error_retry_after() == 3000);
    mfa_core_close(f.core);
}

static void reset_many_gives_one_outcome_per_target(void) {
    mfa_policy policy;
    mfa_policy_init(&policy);
    policy.mfa_required = true;
    fixture f = fixture_with(":memory:", &policy);
    const char *targets[] = {f.member.id, f.owner.id, "not-a-uuid", f.admin.id};
    mfa_bulk_outcome_list list;
    OK(mfa_reset_mfa_many(f.core, f.admin.id, targets, 4, NULL, &list));
    CHECK(list.len == 4);
    CHECK(list.items[0].status == MFA_OK && list.items[0].receipt.credential_epoch == 1);
    STREQ(list.items[0].receipt.target, f.member.id);
    CHECK(list.items[1].status == MFA_ERR_FORBIDDEN);
    CHECK(list.items[2].status == MFA_ERR_INVALID_INPUT);
    CHECK(list.items[3].status == MFA_ERR_FORBIDDEN); /* self-reset without a proof */
    mfa_bulk_outcome_list_free(&list);
    CHECK(list.items == NULL && list.len == 0);

    OK(mfa_reset_mfa_many(f.core, f.admin.id, NULL, 0, NULL, &list));
    CHECK(list.len == 0);
    mfa_bulk_outcome_list_free(&list);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, NULL, 2, NULL, &list));
    const char *bad[] = {f.member.id, NULL};
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, bad, 2, NULL, &list));
    const char *bad_utf8[] = {BAD_UTF8};
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, bad_utf8, 1, NULL, &list));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, targets, 1, NULL, NULL));
    /* A count over the limit is refused before the array is read: NULL, or one real entry
     * with a huge count (AddressSanitizer would catch a read past it). */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, NULL, SIZE_MAX, NULL, &list));
    const char *one[] = {f.member.id};
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, one, 10001, NULL, &list));
    CHECK(strstr(mfa_last_error_message(), "at most 10000 targets") != NULL);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_reset_mfa_many(f.core, f.admin.id, one, (size_t)1 << 40, NULL, &list));

    /* The rate limit applies to the whole run and each refusal carries its retry_after. */
    mfa_org small;
    policy.reset_limit_per_hour = 2;
    OK(mfa_create_org(f.core, "Small", &policy, &small));
    mfa_user boss, a, b, c;
    OK(mfa_create_user(f.core, small.id, "boss@small.test", MFA_ROLE_OWNER, &boss));
    OK(mfa_create_user(f.core, small.id, "a@small.test", MFA_ROLE_MEMBER, &a));
    OK(mfa_create_user(f.core, small.id, "b@small.test", MFA_ROLE_MEMBER, &b));
    OK(mfa_create_user(f.core, small.id, "c@small.test", MFA_ROLE_MEMBER, &c));
    const char *three[] = {a.id, b.id, c.id};
    OK(mfa_reset_mfa_many(f.core, boss.id, three, 3, NULL, &list));
    CHECK(list.items[0].status == MFA_OK && list.items[1].status == MFA_OK);
    CHECK(list.items[2].status == MFA_ERR_RATE_LIMITED && list.items[2].retry_after == 3600);
    mfa_bulk_outcome_list_free(&list);
    mfa_core_close(f.core);
}

static void step_up_needs_the_actors_own_code(void) {
    mfa_policy policy;
    mfa_policy_init(&policy);
    policy.require_step_up = true;
    fixture f = fixture_with(":memory:", &policy);
    char admin_secret[MFA_SECRET_LEN], member_secret[MFA_SECRET_LEN], code[7];
    enroll(f.core, f.admin.id, admin_secret, NULL);
    enroll(f.core, f.member.id, member_secret, NULL);
    advance(f.core, 30);
    EXPECT(MFA_ERR_FORBIDDEN, mfa_reset_mfa(f.core, f.admin.id, f.member.id, NULL, NULL));
    mfa_reset_options o;
    mfa_reset_options_init(&o);
    code_now(f.core, admin_secret, code);
    o.actor_proof = code;
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, NULL));
    mfa_core_close(f.core);
}

int main(void) {
    RUN(a_reset_reopens_enrollment_and_returns_a_receipt);
    RUN(a_dry_run_changes_nothing);
    RUN(the_rules_refuse_in_order);
    RUN(self_reset_takes_a_proof);
    RUN(the_rate_limit_gives_retry_after);
    RUN(reset_many_gives_one_outcome_per_target);
    RUN(step_up_needs_the_actors_own_code);
    return 0;
}
