/* The audit trail: paging, filters, event ownership, checkpoints and verification (docs/audit.md). */
#include "harness.h"

static void events_page_and_filter(void) {
    fixture f = fixture_open();
    char secret[MFA_SECRET_LEN];
    enroll(f.core, f.member.id, secret, NULL);
    mfa_reset_options o;
    mfa_reset_options_init(&o);
    o.reason = "ticket 42";
    mfa_receipt r;
    OK(mfa_reset_mfa(f.core, f.admin.id, f.member.id, &o, &r));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_reset_mfa(f.core, f.admin.id, f.owner.id, NULL, NULL));

    mfa_audit_event_list all;
    OK(mfa_audit_events(f.core, NULL, &all)); /* NULL query: the defaults */
    /* org.create, 3 x user.create, enroll begin + confirm, the reset, the denied reset */
    CHECK(all.len == 8);
    for (size_t i = 0; i < all.len; i++) {
        CHECK(all.items[i].seq == i + 1);
        CHECK(strlen(all.items[i].mac) == 64);
        CHECK(all.items[i].detail != NULL && all.items[i].detail[0] == '{');
    }
    STREQ(all.items[0].action, "org.create");
    CHECK(all.items[0].actor == NULL);
    mfa_audit_event *reset = &all.items[6];
    STREQ(reset->action, "mfa.reset");
    STREQ(reset->actor, f.admin.id);
    STREQ(reset->target, f.member.id);
    STREQ(reset->org, f.org.id);
    STREQ(reset->reason, "ticket 42");
    CHECK(reset->outcome == MFA_OUTCOME_SUCCESS && reset->code == NULL && reset->seq == r.audit_seq);
    mfa_audit_event *denied = &all.items[7];
    CHECK(denied->outcome == MFA_OUTCOME_DENIED);
    STREQ(denied->code, "forbidden");
    /* No secret in the trail. */
    for (size_t i = 0; i < all.len; i++) CHECK(strstr(all.items[i].detail, secret) == NULL);
    mfa_audit_event_list_free(&all);
    CHECK(all.items == NULL && all.len == 0);
    mfa_audit_event_list_free(&all);

    mfa_audit_query q;
    mfa_audit_query_init(&q);
    CHECK(q.after_seq == 0 && q.limit == 100 && q.actor == NULL);
    q.action = "mfa.reset";
    mfa_audit_event_list page;
    OK(mfa_audit_events(f.core, &q, &page));
    CHECK(page.len == 2);
    mfa_audit_event_list_free(&page);
    mfa_audit_query_init(&q);
    q.after_seq = 2;
    q.limit = 3;
    OK(mfa_audit_events(f.core, &q, &page));
    CHECK(page.len == 3 && page.items[0].seq == 3 && page.items[2].seq == 5);
    mfa_audit_event_list_free(&page);
    mfa_audit_query_init(&q);
    q.target = f.owner.id;
    q.actor = f.admin.id;
    OK(mfa_audit_events(f.core, &q, &page));
    CHECK(page.len == 1 && page.items[0].seq == 8);
    mfa_audit_event_list_free(&page);

    mfa_audit_query_init(&q);
    q.limit = 0;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, &q, &page));
    q.limit = 10001;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, &q, &page));
    mfa_audit_query_init(&q);
    q.actor = BAD_UTF8;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, &q, &page));
    q.actor = "not-a-uuid";
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, &q, &page));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, NULL, NULL));
    /* Positions past 2^63 - 1 are the caller's mistake, not a storage fault; the list stays. */
    mfa_audit_query_init(&q);
    page.items = NULL;
    page.len = 77;
    q.after_seq = (uint64_t)INT64_MAX + 1;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, &q, &page));
    q.after_seq = UINT64_MAX;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_events(f.core, &q, &page));
    CHECK(page.items == NULL && page.len == 77);
    q.after_seq = INT64_MAX;
    OK(mfa_audit_events(f.core, &q, &page));
    CHECK(page.len == 0);
    mfa_audit_event_list_free(&page);
    mfa_core_close(f.core);
}

static void the_chain_verifies_against_checkpoints(void) {
    fixture f = fixture_open();
    mfa_audit_report report;
    OK(mfa_verify_audit(f.core, NULL, &report));
    CHECK(report.ok && report.checked == 4 && report.first_bad_seq == 0);

    mfa_checkpoint cp;
    OK(mfa_audit_checkpoint(f.core, &cp));
    CHECK(cp.seq == 4 && strlen(cp.mac) == 64);
    mfa_user later;
    OK(mfa_create_user(f.core, f.org.id, "later@acme.test", MFA_ROLE_MEMBER, &later));
    OK(mfa_verify_audit(f.core, &cp, &report));
    CHECK(report.ok && report.checked == 5);

    /* A checkpoint the trail does not reach (a truncated tail or an older copy). */
    mfa_checkpoint ahead = cp;
    ahead.seq = 50;
    OK(mfa_verify_audit(f.core, &ahead, &report));
    CHECK(!report.ok && report.first_bad_seq > 0);
    /* A checkpoint whose MAC is not the chain's. */
    mfa_checkpoint forged = cp;
    forged.mac[0] = forged.mac[0] == '0' ? '1' : '0';
    OK(mfa_verify_audit(f.core, &forged, &report));
    CHECK(!report.ok && report.first_bad_seq == 4);

    mfa_checkpoint bad = cp;
    bad.mac[10] = 'z';
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_verify_audit(f.core, &bad, &report));
    memset(bad.mac, 'a', sizeof bad.mac); /* no NUL */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_verify_audit(f.core, &bad, &report));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_verify_audit(f.core, NULL, NULL));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_audit_checkpoint(f.core, NULL));
    mfa_core_close(f.core);
}

int main(void) {
    RUN(events_page_and_filter);
    RUN(the_chain_verifies_against_checkpoints);
    return 0;
}
