/* Enrollment, verification, recovery codes and TOTP codes (docs/enrollment.md). */
#include "harness.h"

static void enrollment_gives_a_secret_a_uri_and_ten_codes(void) {
    fixture f = fixture_open();
    mfa_user_mfa_status s;
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_NOT_ENROLLED && !s.has_deadline);
    STREQ(s.user, f.member.id);

    mfa_enrollment e;
    OK(mfa_begin_enrollment(f.core, f.member.id, &e));
    CHECK(strlen(e.secret) == 32);
    CHECK(strncmp(e.uri, "otpauth://totp/Acme:member%40acme.test?secret=", 46) == 0);
    CHECK(strstr(e.uri, e.secret) != NULL);
    char secret[MFA_SECRET_LEN];
    memcpy(secret, e.secret, sizeof secret);
    mfa_enrollment_free(&e);
    CHECK(e.uri == NULL && e.secret[0] == 0); /* wiped */
    mfa_enrollment_free(&e);                  /* twice is safe */

    mfa_recovery_codes codes;
    EXPECT(MFA_ERR_INVALID_CODE, mfa_confirm_enrollment(f.core, f.member.id, "000000", &codes));
    EXPECT(MFA_ERR_INVALID_CODE, mfa_confirm_enrollment(f.core, f.member.id, "12 456", &codes));
    char code[7];
    code_now(f.core, secret, code);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_confirm_enrollment(f.core, f.member.id, code, NULL));
    OK(mfa_confirm_enrollment(f.core, f.member.id, code, &codes));
    CHECK(codes.count == MFA_RECOVERY_CODE_COUNT);
    for (size_t i = 0; i < codes.count; i++) CHECK(strlen(codes.codes[i]) == 11 && codes.codes[i][5] == '-');
    mfa_recovery_codes_clear(&codes);
    CHECK(codes.count == 0 && codes.codes[0][0] == 0);

    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_ENROLLED && s.recovery_codes_remaining == 10);
    EXPECT(MFA_ERR_CONFLICT, mfa_begin_enrollment(f.core, f.member.id, &e));
    EXPECT(MFA_ERR_CONFLICT, mfa_confirm_enrollment(f.core, f.admin.id, code, &codes)); /* nothing pending */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_begin_enrollment(f.core, BAD_UTF8, &e));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_begin_enrollment(f.core, f.admin.id, NULL));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_get_mfa_status(f.core, "00000000-0000-7000-8000-000000000000", &s));
    mfa_core_close(f.core);
}

static void verify_accepts_each_code_once(void) {
    fixture f = fixture_open();
    mfa_verification v;
    EXPECT(MFA_ERR_MFA_NOT_ENABLED, mfa_verify(f.core, f.member.id, "123456", &v));

    char secret[MFA_SECRET_LEN], code[7];
    mfa_recovery_codes codes;
    enroll(f.core, f.member.id, secret, &codes);
    advance(f.core, 30);
    code_now(f.core, secret, code);
    OK(mfa_verify(f.core, f.member.id, code, &v));
    CHECK(v.method == MFA_VERIFY_TOTP && v.recovery_codes_remaining == 10);
    EXPECT(MFA_ERR_INVALID_CODE, mfa_verify(f.core, f.member.id, code, &v)); /* replay */
    EXPECT(MFA_ERR_INVALID_CODE, mfa_verify(f.core, f.member.id, "12345a", &v));

    OK(mfa_verify(f.core, f.member.id, codes.codes[0], NULL)); /* out may be NULL */
    OK(mfa_verify(f.core, f.member.id, codes.codes[1], &v));
    CHECK(v.method == MFA_VERIFY_RECOVERY_CODE && v.recovery_codes_remaining == 8);
    EXPECT(MFA_ERR_INVALID_CODE, mfa_verify(f.core, f.member.id, codes.codes[1], &v));

    advance(f.core, 30);
    code_now(f.core, secret, code);
    mfa_recovery_codes fresh;
    OK(mfa_regenerate_recovery_codes(f.core, f.member.id, code, &fresh));
    CHECK(fresh.count == 10);
    EXPECT(MFA_ERR_INVALID_CODE, mfa_verify(f.core, f.member.id, codes.codes[2], &v)); /* old ones stop */
    OK(mfa_verify(f.core, f.member.id, fresh.codes[0], &v));
    mfa_recovery_codes_clear(&codes);
    mfa_recovery_codes_clear(&fresh);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_verify(f.core, f.member.id, NULL, &v));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_verify(f.core, f.member.id, BAD_UTF8, &v));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_regenerate_recovery_codes(f.core, f.member.id, code, NULL));
    mfa_core_close(f.core);
}

static void failures_throttle_with_a_doubling_retry_after(void) {
    fixture f = fixture_open(); /* max_failed_verifications = 5 */
    char secret[MFA_SECRET_LEN], code[7];
    enroll(f.core, f.member.id, secret, NULL);
    mfa_verification v;
    for (int i = 0; i < 5; i++) EXPECT(MFA_ERR_INVALID_CODE, mfa_verify(f.core, f.member.id, "000000", &v));
    EXPECT(MFA_ERR_RATE_LIMITED, mfa_verify(f.core, f.member.id, "000000", &v));
    CHECK(mfa_last_error_retry_after() == 30);
    char *problem = mfa_last_error_problem_details();
    CHECK(strstr(problem, "\"retry_after\":30") != NULL && strstr(problem, "\"status\":429") != NULL);
    mfa_string_free(problem);

    advance(f.core, 30);
    EXPECT(MFA_ERR_INVALID_CODE, mfa_verify(f.core, f.member.id, "000000", &v));
    EXPECT(MFA_ERR_RATE_LIMITED, mfa_verify(f.core, f.member.id, "000000", &v));
    CHECK(mfa_last_error_retry_after() == 60);
    advance(f.core, 60);
    code_now(f.core, secret, code);
    OK(mfa_verify(f.core, f.member.id, code, &v));
    CHECK(mfa_last_error_retry_after() == 0);
    mfa_core_close(f.core);
}

static void disabled_and_locked_out_users(void) {
    mfa_policy policy;
    mfa_policy_init(&policy);
    policy.mfa_required = true;
    policy.enrollment_window = 60;
    fixture f = fixture_with(":memory:", &policy);
    mfa_user_mfa_status s;
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_ENROLLMENT_REQUIRED && s.has_deadline && s.deadline == T0 + 60);
    advance(f.core, 61);
    OK(mfa_get_mfa_status(f.core, f.member.id, &s));
    CHECK(s.state == MFA_STATE_LOCKED_OUT);
    mfa_enrollment e;
    EXPECT(MFA_ERR_FORBIDDEN, mfa_begin_enrollment(f.core, f.member.id, &e));

    OK(mfa_disable_user(f.core, f.owner.id, f.admin.id, NULL, NULL));
    EXPECT(MFA_ERR_UNAUTHENTICATED, mfa_begin_enrollment(f.core, f.admin.id, &e));
    mfa_verification v;
    EXPECT(MFA_ERR_UNAUTHENTICATED, mfa_verify(f.core, f.admin.id, "123456", &v));
    mfa_core_close(f.core);
}

static void totp_codes_match_rfc_6238(void) {
    /* RFC 6238 appendix B, SHA-1, secret "12345678901234567890", last six digits. */
    const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const struct { int64_t t; const char *code; } vectors[] = {
        {59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
        {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
    };
    char code[7];
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        OK(mfa_totp_code(secret, vectors[i].t, code));
        STREQ(code, vectors[i].code);
    }
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_totp_code("not base32!", 59, code));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_totp_code(secret, -1, code));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_totp_code(NULL, 59, code));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_totp_code(secret, 59, NULL));
}

static void totp_code_refuses_short_secrets_and_far_times(void) {
    /* Valid base32, but under 128 bits: a caller's mistake, never MFA_ERR_INTERNAL. */
    const char *short_secrets[] = {"", "AA", "GEZDGNBVGY3TQOJQ"};
    char code[7] = "xxxxxx";
    for (size_t i = 0; i < sizeof short_secrets / sizeof short_secrets[0]; i++) {
        EXPECT(MFA_ERR_INVALID_INPUT, mfa_totp_code(short_secrets[i], 59, code));
        STREQ(code, "xxxxxx");
    }
    const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    OK(mfa_totp_code(secret, 253402300799, code));
    CHECK(strlen(code) == 6);
    strcpy(code, "xxxxxx");
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_totp_code(secret, 253402300800, code));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_totp_code(secret, INT64_MAX, code));
    STREQ(code, "xxxxxx");
}

int main(void) {
    RUN(enrollment_gives_a_secret_a_uri_and_ten_codes);
    RUN(verify_accepts_each_code_once);
    RUN(failures_throttle_with_a_doubling_retry_after);
    RUN(disabled_and_locked_out_users);
    RUN(totp_codes_match_rfc_6238);
    RUN(totp_code_refuses_short_secrets_and_far_times);
    return 0;
}
