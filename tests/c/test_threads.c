/* One handle shared by 4 threads: every call succeeds or fails as it would alone, the last
 * error stays per thread, and the audit chain stays whole. */
#include <pthread.h>
#include <unistd.h>

#include "harness.h"

#define THREADS 4
#define ROUNDS 25

static mfa_core *core;
static mfa_org org;
static pthread_barrier_t barrier;

typedef struct worker {
    int index;
    int resets;
    int failures;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    char email[64];
    snprintf(email, sizeof email, "admin%d@threads.test", w->index);
    mfa_user admin;
    OK(mfa_create_user(core, org.id, email, MFA_ROLE_ADMIN, &admin));

    /* Thread 0 fails while the others succeed: each keeps its own last error. */
    pthread_barrier_wait(&barrier);
    mfa_user none;
    if (w->index == 0) {
        EXPECT(MFA_ERR_INVALID_INPUT, mfa_get_user(core, "not-a-uuid", &none));
    } else {
        OK(mfa_get_user(core, admin.id, &none));
    }
    pthread_barrier_wait(&barrier);
    if (w->index == 0) {
        CHECK(mfa_last_error_message() != NULL);
    } else {
        CHECK(mfa_last_error_message() == NULL);
    }

    for (int round = 0; round < ROUNDS; round++) {
        mfa_user member;
        snprintf(email, sizeof email, "m%d-%d@threads.test", w->index, round);
        OK(mfa_create_user(core, org.id, email, MFA_ROLE_MEMBER, &member));
        mfa_receipt r;
        OK(mfa_reset_mfa(core, admin.id, member.id, NULL, &r));
        CHECK(r.credential_epoch == 1 && r.audit_seq > 0);
        w->resets++;
        mfa_user_mfa_status s;
        OK(mfa_get_mfa_status(core, member.id, &s));
        CHECK(s.state == MFA_STATE_ENROLLMENT_REQUIRED);
        mfa_verification v;
        EXPECT(MFA_ERR_MFA_NOT_ENABLED, mfa_verify(core, member.id, "123456", &v));
        w->failures++;
        mfa_audit_query q;
        mfa_audit_query_init(&q);
        q.actor = admin.id;
        q.action = "mfa.reset";
        mfa_audit_event_list list;
        OK(mfa_audit_events(core, &q, &list));
        CHECK(list.len == (size_t)round + 1);
        mfa_audit_event_list_free(&list);
    }
    return NULL;
}

static void four_threads_share_one_handle(void) {
    char dir[] = "/tmp/mfa-c-threads-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[80];
    snprintf(path, sizeof path, "%s/store.db", dir);
    core = open_at(path, T0);
    mfa_policy policy;
    mfa_policy_init(&policy);
    policy.reset_limit_per_hour = 1000;
    policy.mfa_required = true;
    OK(mfa_create_org(core, "Threads", &policy, &org));
    CHECK(pthread_barrier_init(&barrier, NULL, THREADS) == 0);

    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.index = i};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    pthread_barrier_destroy(&barrier);

    int resets = 0;
    for (int i = 0; i < THREADS; i++) resets += workers[i].resets;
    CHECK(resets == THREADS * ROUNDS);

    /* Every reset is in the trail exactly once; seqs are gapless; the chain verifies. */
    mfa_audit_query q;
    mfa_audit_query_init(&q);
    q.limit = 10000;
    mfa_audit_event_list all;
    OK(mfa_audit_events(core, &q, &all));
    int reset_events = 0;
    for (size_t i = 0; i < all.len; i++) {
        CHECK(all.items[i].seq == i + 1);
        if (strcmp(all.items[i].action, "mfa.reset") == 0) reset_events++;
    }
    CHECK(reset_events == resets);
    mfa_audit_report report;
    OK(mfa_verify_audit(core, NULL, &report));
    CHECK(report.ok && report.checked == all.len);
    mfa_audit_event_list_free(&all);
    mfa_core_close(core);

    char side[96];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
        unlink(side);
    }
    CHECK(rmdir(dir) == 0);
}

int main(void) {
    RUN(four_threads_share_one_handle);
    return 0;
}
