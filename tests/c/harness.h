/* A small test harness shared by the C tests: assertions that print where they failed, and a
 * fixture that opens a store with a manual clock and bootstraps one org. Each test file is its
 * own program: it runs its tests and exits non-zero on the first failure. */
#ifndef MFA_TEST_HARNESS_H
#define MFA_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mfa_core.h"

/* A step boundary of the TOTP clock (the scenarios' T0). */
#define T0 1700000010

#define FAIL(...)                                                       \
    do {                                                                \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                 \
        fprintf(stderr, __VA_ARGS__);                                   \
        fputc('\n', stderr);                                            \
        exit(1);                                                        \
    } while (0)

#define CHECK(cond)                                                     \
    do {                                                                \
        if (!(cond)) FAIL("check failed: %s", #cond);                   \
    } while (0)

/* Expects a call to return `want`; on a mismatch prints both codes and the detail message. */
#define EXPECT(want, call)                                                                  \
    do {                                                                                    \
        mfa_status got_ = (call);                                                           \
        if (got_ != (want)) {                                                               \
            const char *msg_ = mfa_last_error_message();                                    \
            FAIL("%s returned %s, expected %s (%s)", #call, mfa_status_str(got_),           \
                 mfa_status_str(want), msg_ ? msg_ : "no message");                         \
        }                                                                                   \
    } while (0)

#define OK(call) EXPECT(MFA_OK, call)

#define STREQ(a, b)                                                                         \
    do {                                                                                    \
        const char *a_ = (a), *b_ = (b);                                                    \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                                \
            FAIL("%s is \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

#define RUN(test)                                                       \
    do {                                                                \
        test();                                                         \
        printf("ok %s\n", #test);                                       \
    } while (0)

/* The key every test store uses. */
__attribute__((unused)) static const uint8_t KEY[32] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

/* Not valid UTF-8: a lone continuation byte. */
__attribute__((unused)) static const char BAD_UTF8[] = {'a', (char)0x80, 'b', 0};

/* An org with an owner, an admin and a member. */
typedef struct fixture {
    mfa_core *core;
    mfa_org org;
    mfa_user owner, admin, member;
} fixture;

static inline mfa_core *open_at(const char *path, int64_t start) {
    mfa_open_options options;
    mfa_open_options_init(&options);
    options.manual_clock = true;
    options.start_time = start;
    mfa_core *core = NULL;
    OK(mfa_core_open(path, KEY, sizeof KEY, &options, &core));
    CHECK(core != NULL);
    return core;
}

static inline fixture fixture_with(const char *path, const mfa_policy *policy) {
    fixture f;
    f.core = open_at(path, T0);
    OK(mfa_create_org(f.core, "Acme", policy, &f.org));
    OK(mfa_create_user(f.core, f.org.id, "owner@acme.test", MFA_ROLE_OWNER, &f.owner));
    OK(mfa_create_user(f.core, f.org.id, "admin@acme.test", MFA_ROLE_ADMIN, &f.admin));
    OK(mfa_create_user(f.core, f.org.id, "member@acme.test", MFA_ROLE_MEMBER, &f.member));
    return f;
}

static inline fixture fixture_open(void) { return fixture_with(":memory:", NULL); }

/* The current code of a secret on the core's clock. */
static inline void code_now(mfa_core *core, const char *secret, char code[7]) {
    int64_t now = 0;
    OK(mfa_now(core, &now));
    OK(mfa_totp_code(secret, now, code));
}

/* Enrolls `user` and returns its secret; the recovery codes go to `codes` when not NULL. */
static inline void enroll(mfa_core *core, const char *user, char secret[MFA_SECRET_LEN],
                          mfa_recovery_codes *codes) {
    mfa_enrollment e;
    OK(mfa_begin_enrollment(core, user, &e));
    memcpy(secret, e.secret, MFA_SECRET_LEN);
    mfa_enrollment_free(&e);
    char code[7];
    code_now(core, secret, code);
    mfa_recovery_codes local;
    OK(mfa_confirm_enrollment(core, user, code, codes ? codes : &local));
    if (!codes) mfa_recovery_codes_clear(&local);
}

/* Moves the manual clock by `seconds`. */
static inline void advance(mfa_core *core, int64_t seconds) {
    int64_t now = 0;
    OK(mfa_now(core, &now));
    OK(mfa_set_time(core, now + seconds));
}

#endif
