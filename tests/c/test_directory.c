/* Orgs and users: create, read, list, roles, disable and enable, policy changes, renames and
 * deletions (docs/directory.md). */
#include "harness.h"

static void orgs_are_created_read_and_listed(void) {
    mfa_core *core = open_at(":memory:", T0);
    mfa_policy policy;
    mfa_policy_init(&policy);
    CHECK(!policy.mfa_required && policy.enrollment_window == 7 * 86400);
    CHECK(policy.reset_limit_per_hour == 20 && policy.max_failed_verifications == 5);
    CHECK(!policy.require_step_up);
    policy.mfa_required = true;
    policy.enrollment_window = 3600;

    mfa_org a, b, got;
    OK(mfa_create_org(core, "Alpha", &policy, &a));
    OK(mfa_create_org(core, "Beta", NULL, &b));
    CHECK(strlen(a.id) == 36 && a.created_at == T0);
    CHECK(a.policy.mfa_required && a.policy.enrollment_window == 3600);
    CHECK(!b.policy.mfa_required);
    OK(mfa_get_org(core, a.id, &got));
    STREQ(got.name, "Alpha");

    mfa_org_list list;
    OK(mfa_list_orgs(core, &list));
    CHECK(list.len == 2);
    mfa_org_list_free(&list);
    CHECK(list.items == NULL && list.len == 0);
    mfa_org_list_free(&list); /* twice is safe */

    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, "", NULL, &got));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, BAD_UTF8, NULL, &got));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, NULL, NULL, &got));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, "Gamma", NULL, NULL));
    policy.enrollment_window = 0;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_org(core, "Gamma", &policy, &got));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_get_org(core, "00000000-0000-7000-8000-000000000000", &got));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_get_org(core, "nope", &got));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_list_orgs(core, NULL));
    OK(mfa_list_orgs(core, &list));
    CHECK(list.len == 2); /* nothing was created by the refused calls */
    mfa_org_list_free(&list);
    mfa_core_close(core);
}

static void users_are_created_found_and_listed(void) {
    fixture f = fixture_open();
    CHECK(f.owner.role == MFA_ROLE_OWNER && f.admin.role == MFA_ROLE_ADMIN);
    CHECK(f.member.role == MFA_ROLE_MEMBER && f.member.status == MFA_ACCOUNT_ACTIVE);
    CHECK(f.member.credential_epoch == 0);
    STREQ(f.member.org, f.org.id);

    mfa_user u;
    OK(mfa_get_user(f.core, f.member.id, &u));
    STREQ(u.email, "member@acme.test");
    OK(mfa_find_user_by_email(f.core, f.org.id, "MEMBER@Acme.Test", &u));
    STREQ(u.id, f.member.id);
    EXPECT(MFA_ERR_NOT_FOUND, mfa_find_user_by_email(f.core, f.org.id, "nobody@acme.test", &u));

    EXPECT(MFA_ERR_CONFLICT, mfa_create_user(f.core, f.org.id, "Member@ACME.test", MFA_ROLE_MEMBER, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_user(f.core, f.org.id, "new@acme.test", 7, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_user(f.core, f.org.id, "new@acme.test", -1, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_user(f.core, f.org.id, "not an email", MFA_ROLE_MEMBER, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_user(f.core, f.org.id, BAD_UTF8, MFA_ROLE_MEMBER, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_create_user(f.core, NULL, "new@acme.test", MFA_ROLE_MEMBER, &u));
    EXPECT(MFA_ERR_NOT_FOUND,
           mfa_create_user(f.core, "00000000-0000-7000-8000-000000000000", "new@acme.test", MFA_ROLE_MEMBER, &u));

    mfa_user_list list;
    OK(mfa_list_users(f.core, f.org.id, &list));
    CHECK(list.len == 3);
    STREQ(list.items[0].email, "admin@acme.test"); /* by email */
    STREQ(list.items[2].email, "owner@acme.test");
    mfa_user_list_free(&list);
    CHECK(list.items == NULL);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_list_users(f.core, BAD_UTF8, &list));
    mfa_core_close(f.core);
}

static void roles_follow_the_actor_rules(void) {
    fixture f = fixture_open();
    mfa_user u;
    /* A member changes nobody; an admin cannot touch an owner nor grant owner. */
    EXPECT(MFA_ERR_FORBIDDEN, mfa_set_role(f.core, f.member.id, f.admin.id, MFA_ROLE_MEMBER, NULL, &u));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_set_role(f.core, f.admin.id, f.owner.id, MFA_ROLE_MEMBER, NULL, &u));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_set_role(f.core, f.admin.id, f.member.id, MFA_ROLE_OWNER, NULL, &u));
    OK(mfa_set_role(f.core, f.admin.id, f.member.id, MFA_ROLE_ADMIN, NULL, &u));
    CHECK(u.role == MFA_ROLE_ADMIN);
    OK(mfa_set_role(f.core, f.owner.id, f.member.id, MFA_ROLE_MEMBER, NULL, NULL)); /* out may be NULL */
    OK(mfa_get_user(f.core, f.member.id, &u));
    CHECK(u.role == MFA_ROLE_MEMBER);
    /* The last owner stays. */
    EXPECT(MFA_ERR_CONFLICT, mfa_set_role(f.core, f.owner.id, f.owner.id, MFA_ROLE_ADMIN, NULL, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_role(f.core, f.owner.id, f.member.id, 3, NULL, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_role(f.core, f.owner.id, f.member.id, MFA_ROLE_ADMIN, BAD_UTF8, &u));
    EXPECT(MFA_ERR_UNAUTHENTICATED,
           mfa_set_role(f.core, "00000000-0000-7000-8000-000000000000", f.member.id, MFA_ROLE_ADMIN, NULL, &u));
    mfa_core_close(f.core);
}

static void disabled_users_cannot_act_until_enabled(void) {
    fixture f = fixture_open();
    mfa_user u;
    EXPECT(MFA_ERR_CONFLICT, mfa_disable_user(f.core, f.owner.id, f.owner.id, NULL, &u));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_disable_user(f.core, f.admin.id, f.owner.id, NULL, &u));
    OK(mfa_disable_user(f.core, f.owner.id, f.admin.id, NULL, &u));
    CHECK(u.status == MFA_ACCOUNT_DISABLED);
    /* A disabled actor is unauthenticated. */
    EXPECT(MFA_ERR_UNAUTHENTICATED, mfa_reset_mfa(f.core, f.admin.id, f.member.id, NULL, NULL));
    EXPECT(MFA_ERR_UNAUTHENTICATED, mfa_enable_user(f.core, f.admin.id, f.admin.id, &u));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_enable_user(f.core, f.member.id, f.admin.id, &u));
    OK(mfa_enable_user(f.core, f.owner.id, f.admin.id, NULL));
    OK(mfa_get_user(f.core, f.admin.id, &u));
    CHECK(u.status == MFA_ACCOUNT_ACTIVE);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_enable_user(f.core, f.owner.id, NULL, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_disable_user(f.core, NULL, f.admin.id, NULL, &u));
    mfa_core_close(f.core);
}

static void other_orgs_are_not_found(void) {
    fixture f = fixture_open();
    mfa_org other;
    mfa_user stranger, u;
    OK(mfa_create_org(f.core, "Other", NULL, &other));
    OK(mfa_create_user(f.core, other.id, "stranger@other.test", MFA_ROLE_MEMBER, &stranger));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_set_role(f.core, f.owner.id, stranger.id, MFA_ROLE_ADMIN, NULL, &u));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_disable_user(f.core, f.owner.id, stranger.id, NULL, &u));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_reset_mfa(f.core, f.owner.id, stranger.id, NULL, NULL));
    mfa_core_close(f.core);
}

static void owners_change_the_policy(void) {
    fixture f = fixture_open();
    mfa_policy_changes changes;
    mfa_policy_changes_init(&changes);
    CHECK(!changes.has_mfa_required && !changes.has_enrollment_window && !changes.has_require_step_up);
    CHECK(!changes.has_reset_limit_per_hour && !changes.has_max_failed_verifications);
    mfa_org org;
    /* Nothing flagged: nothing to change. */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_update_policy(f.core, f.owner.id, f.org.id, &changes, NULL, &org));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_update_policy(f.core, f.owner.id, f.org.id, NULL, NULL, &org));
    changes.has_enrollment_window = true;
    changes.enrollment_window = 0;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_update_policy(f.core, f.owner.id, f.org.id, &changes, NULL, &org));
    changes.enrollment_window = 600;
    changes.has_max_failed_verifications = true;
    changes.max_failed_verifications = 3;
    EXPECT(MFA_ERR_FORBIDDEN, mfa_update_policy(f.core, f.admin.id, f.org.id, &changes, NULL, &org));
    OK(mfa_update_policy(f.core, f.owner.id, f.org.id, &changes, NULL, &org));
    CHECK(org.policy.enrollment_window == 600 && org.policy.max_failed_verifications == 3);
    CHECK(org.policy.reset_limit_per_hour == 20 && !org.policy.mfa_required);
    OK(mfa_get_org(f.core, f.org.id, &org));
    CHECK(org.policy.enrollment_window == 600);
    OK(mfa_update_policy(f.core, f.owner.id, f.org.id, &changes, NULL, NULL));
    mfa_core_close(f.core);
}

static void users_are_renamed_and_deleted(void) {
    fixture f = fixture_open();
    mfa_user u;
    OK(mfa_rename_user(f.core, f.admin.id, f.member.id, "Mia@acme.test", NULL, &u));
    STREQ(u.email, "Mia@acme.test");
    STREQ(u.id, f.member.id);
    EXPECT(MFA_ERR_CONFLICT, mfa_rename_user(f.core, f.owner.id, f.member.id, "ADMIN@acme.test", NULL, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_rename_user(f.core, f.owner.id, f.member.id, "nope", NULL, &u));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_rename_user(f.core, f.owner.id, f.member.id, NULL, NULL, &u));
    EXPECT(MFA_ERR_FORBIDDEN, mfa_rename_user(f.core, f.admin.id, f.owner.id, "o@acme.test", NULL, NULL));

    EXPECT(MFA_ERR_FORBIDDEN, mfa_delete_user(f.core, f.admin.id, f.owner.id, NULL));
    EXPECT(MFA_ERR_CONFLICT, mfa_delete_user(f.core, f.owner.id, f.owner.id, NULL));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_delete_user(f.core, f.owner.id, NULL, NULL));
    OK(mfa_delete_user(f.core, f.admin.id, f.member.id, NULL));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_get_user(f.core, f.member.id, &u));
    EXPECT(MFA_ERR_NOT_FOUND, mfa_delete_user(f.core, f.admin.id, f.member.id, NULL));
    /* The email is free again. */
    OK(mfa_create_user(f.core, f.org.id, "mia@acme.test", MFA_ROLE_MEMBER, &u));
    /* info counts what is left, by state, and gives the audit head. */
    mfa_store_info *info = NULL;
    OK(mfa_core_info(f.core, &info));
    CHECK(info->orgs == 1 && info->users_total == 3 && info->users_not_enrolled == 3);
    CHECK(info->users_enrolled == 0 && info->users_locked_out == 0 && info->users_disabled == 0);
    mfa_checkpoint head;
    OK(mfa_audit_checkpoint(f.core, &head));
    CHECK(info->audit_events == head.seq && info->audit_head.seq == head.seq);
    STREQ(info->audit_head.mac, head.mac);
    mfa_store_info_free(info);
    mfa_core_close(f.core);
}

int main(void) {
    RUN(orgs_are_created_read_and_listed);
    RUN(users_are_created_found_and_listed);
    RUN(roles_follow_the_actor_rules);
    RUN(disabled_users_cannot_act_until_enabled);
    RUN(other_orgs_are_not_found);
    RUN(owners_change_the_policy);
    RUN(users_are_renamed_and_deleted);
    return 0;
}
