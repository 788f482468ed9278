/* The handle, the clock, versions, status codes and the last error. */
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static void open_and_close_in_memory(void) {
    mfa_core *core = open_at(":memory:", T0);
    int64_t now = 0;
    OK(mfa_now(core, &now));
    CHECK(now == T0);
    OK(mfa_set_time(core, T0 + 90));
    OK(mfa_now(core, &now));
    CHECK(now == T0 + 90);
    /* Outside 1970 to 9999 the clock is refused and stays where it was. */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_time(core, INT64_C(9223372036854775800)));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_time(core, -1));
    OK(mfa_now(core, &now));
    CHECK(now == T0 + 90);
    OK(mfa_set_time(core, INT64_C(253402300799)));
    mfa_core_close(core);
}

static void open_refuses_bad_arguments(void) {
    mfa_core *core = (mfa_core *)0x1; /* must stay untouched on failure */
    uint8_t short_key[16] = {0};
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(NULL, KEY, 32, NULL, &core));
    STREQ(mfa_last_error_message(), "invalid input: path is NULL");
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(BAD_UTF8, KEY, 32, NULL, &core));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", NULL, 32, NULL, &core));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", short_key, sizeof short_key, NULL, &core));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", KEY, 33, NULL, &core));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", KEY, 32, NULL, NULL));
    mfa_open_options options;
    mfa_open_options_init(&options);
    options.issuer = BAD_UTF8;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", KEY, 32, &options, &core));
    options.issuer = "";
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", KEY, 32, &options, &core));
    mfa_open_options_init(&options);
    options.manual_clock = true;
    options.start_time = INT64_MAX;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(":memory:", KEY, 32, &options, &core));
    CHECK(core == (mfa_core *)0x1);
}

static void a_file_keeps_its_key_and_refuses_what_is_not_a_store(void) {
    char dir[] = "/tmp/mfa-c-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64], junk[64];
    snprintf(path, sizeof path, "%s/store.db", dir);
    snprintf(junk, sizeof junk, "%s/junk.db", dir);

    mfa_core *core = NULL;
    OK(mfa_core_open(path, KEY, 32, NULL, &core)); /* NULL options: the system clock */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_time(core, T0));
    mfa_org org;
    OK(mfa_create_org(core, "Kept", NULL, &org));
    mfa_core_close(core);

    uint8_t other[32];
    memcpy(other, KEY, 32);
    other[0] ^= 1;
    core = NULL;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(path, other, 32, NULL, &core));
    CHECK(core == NULL);
    OK(mfa_core_open(path, KEY, 32, NULL, &core));
    mfa_org again;
    OK(mfa_get_org(core, org.id, &again));
    STREQ(again.name, "Kept");
    mfa_core_close(core);

    FILE *f = fopen(junk, "wb");
    CHECK(f != NULL);
    const char text[] = "this is not an SQLite database, and must stay as it is.\n";
    CHECK(fwrite(text, 1, sizeof text - 1, f) == sizeof text - 1);
    fclose(f);
    EXPECT(MFA_ERR_STORAGE, mfa_core_open(junk, KEY, 32, NULL, &core));
    char back[sizeof text] = {0};
    f = fopen(junk, "rb");
    CHECK(f != NULL);
    CHECK(fread(back, 1, sizeof back, f) == sizeof text - 1);
    fclose(f);
    STREQ(back, text);

    /* Clean up the WAL files SQLite leaves beside the store. */
    char side[80];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
        unlink(side);
    }
    unlink(junk);
    CHECK(rmdir(dir) == 0);
}

/* A new store is owner-only whatever the umask; info tells when an existing one is not; an
 * empty file is refused and kept; create_if_missing=false never creates; a storage error's
 * problem details name no file. */
static void store_files_info_and_creation(void) {
    char dir[] = "/tmp/mfa-c-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64], empty[64], missing[64];
    snprintf(path, sizeof path, "%s/store.db", dir);
    snprintf(empty, sizeof empty, "%s/empty.db", dir);
    snprintf(missing, sizeof missing, "%s/missing.db", dir);

    mode_t old = umask(0);
    mfa_core *core = NULL;
    OK(mfa_core_open(path, KEY, 32, NULL, &core));
    umask(old);
    mfa_store_info *info = NULL;
    OK(mfa_core_info(core, &info));
    CHECK(info->schema_version >= 1);
    STREQ(info->path, path);
    STREQ(info->engine, "sqlite");
    CHECK(info->has_mode && info->mode == 0600 && !info->readable_by_others);
    CHECK(info->has_file_size && info->file_size > 0 && info->key_check_ok);
    mfa_store_info_free(info);
    /* A backup: a new 0600 file with the same head; never over an existing file. */
    char copy[80];
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    mfa_checkpoint head, copied;
    OK(mfa_audit_checkpoint(core, &head));
    OK(mfa_backup(core, copy, &copied));
    CHECK(copied.seq == head.seq);
    STREQ(copied.mac, head.mac);
    struct stat copy_stat;
    CHECK(stat(copy, &copy_stat) == 0 && (copy_stat.st_mode & 0777) == 0600);
    EXPECT(MFA_ERR_CONFLICT, mfa_backup(core, copy, NULL));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_backup(core, NULL, NULL));
    mfa_core *restored = NULL;
    OK(mfa_core_open(copy, KEY, 32, NULL, &restored));
    mfa_audit_report report;
    OK(mfa_verify_audit(restored, &copied, &report));
    CHECK(report.ok && report.checked == head.seq);
    mfa_core_close(restored);
    CHECK(unlink(copy) == 0);
    mfa_core_close(core);

    CHECK(chmod(path, 0644) == 0);
    OK(mfa_core_open(path, KEY, 32, NULL, &core));
    OK(mfa_core_info(core, &info));
    CHECK(info->mode == 0644 && info->readable_by_others);
    mfa_store_info_free(info);
    mfa_core_close(core);

    core = open_at(":memory:", T0);
    OK(mfa_core_info(core, &info));
    CHECK(info->path == NULL && !info->has_mode && !info->readable_by_others);
    STREQ(info->engine, "sqlite");
    CHECK(!info->has_file_size && info->key_check_ok && info->orgs == 0 && info->users_total == 0);
    CHECK(info->audit_events == 0 && info->audit_head.seq == 0);
    mfa_store_info_free(info);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_backup(core, path, NULL)); /* in memory: nothing to copy */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_info(core, NULL));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_info(NULL, &info));
    mfa_core_close(core);

    FILE *f = fopen(empty, "wb");
    CHECK(f != NULL);
    fclose(f);
    core = NULL;
    EXPECT(MFA_ERR_STORAGE, mfa_core_open(empty, KEY, 32, NULL, &core));
    CHECK(core == NULL);
    CHECK(strstr(mfa_last_error_message(), empty) != NULL); /* the message, for logs, names it */
    char *problem = mfa_last_error_problem_details();
    CHECK(problem != NULL && strstr(problem, dir) == NULL && strstr(problem, "\"storage\"") != NULL);
    mfa_string_free(problem);
    struct stat st;
    CHECK(stat(empty, &st) == 0 && st.st_size == 0);

    mfa_open_options options;
    mfa_open_options_init(&options);
    CHECK(options.create_if_missing && options.durability == MFA_DURABILITY_FULL);
    options.create_if_missing = false;
    EXPECT(MFA_ERR_STORAGE, mfa_core_open(missing, KEY, 32, &options, &core));
    CHECK(access(missing, F_OK) != 0);
    options.create_if_missing = true;
    options.durability = 7;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(missing, KEY, 32, &options, &core));
    options.durability = MFA_DURABILITY_NORMAL;
    OK(mfa_core_open(missing, KEY, 32, &options, &core));
    mfa_org org;
    OK(mfa_create_org(core, "Normal", NULL, &org));
    mfa_core_close(core);

    const char *names[] = {path, empty, missing};
    const char *suffixes[] = {"", "-wal", "-shm"};
    char side[80];
    for (size_t n = 0; n < 3; n++) {
        for (size_t i = 0; i < 3; i++) {
            snprintf(side, sizeof side, "%s%s", names[n], suffixes[i]);
            unlink(side);
        }
    }
    CHECK(rmdir(dir) == 0);
}

/* Rotation: the store moves to the new key, the handle is retired, the old key is refused, the
 * whole trail verifies with the new key against the checkpoint taken before. */
static void rotating_the_key(void) {
    char dir[] = "/tmp/mfa-c-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/store.db", dir);
    mfa_core *core = open_at(path, T0);
    mfa_org org;
    OK(mfa_create_org(core, "Rotated", NULL, &org));
    mfa_checkpoint before, head;
    OK(mfa_audit_checkpoint(core, &before));
    uint8_t next[32];
    memcpy(next, KEY, 32);
    next[31] ^= 0x5a;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_rotate_key(core, NULL, 32, NULL));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_rotate_key(core, next, 31, NULL));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_rotate_key(core, KEY, 32, NULL)); /* the current key */
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_rotate_key(NULL, next, 32, NULL));
    OK(mfa_rotate_key(core, next, 32, &head));
    CHECK(head.seq == before.seq + 1);
    mfa_org again;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_get_org(core, org.id, &again)); /* retired */
    CHECK(strstr(mfa_last_error_message(), "rotated") != NULL);
    mfa_core_close(core);

    core = NULL;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_core_open(path, KEY, 32, NULL, &core));
    CHECK(core == NULL);
    OK(mfa_core_open(path, next, 32, NULL, &core));
    OK(mfa_get_org(core, org.id, &again));
    STREQ(again.name, "Rotated");
    mfa_audit_report report;
    OK(mfa_verify_audit(core, &before, &report));
    CHECK(report.ok && report.checked == head.seq);
    mfa_core_close(core);

    char side[80];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
        unlink(side);
    }
    CHECK(rmdir(dir) == 0);
}

static void null_handles_and_frees(void) {
    mfa_core_close(NULL);
    mfa_string_free(NULL);
    mfa_open_options_init(NULL);
    mfa_policy_init(NULL);
    mfa_reset_options_init(NULL);
    mfa_audit_query_init(NULL);
    mfa_enrollment_free(NULL);
    mfa_recovery_codes_clear(NULL);
    mfa_org_list_free(NULL);
    mfa_user_list_free(NULL);
    mfa_bulk_outcome_list_free(NULL);
    mfa_audit_event_list_free(NULL);
    mfa_store_info_free(NULL);
    int64_t now;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_now(NULL, &now));
    STREQ(mfa_last_error_message(), "invalid input: core is NULL");
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_set_time(NULL, T0));
    mfa_core *core = open_at(":memory:", T0);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_now(core, NULL));
    mfa_core_close(core);
}

static void versions_and_status_text(void) {
    STREQ(mfa_version(), MFA_CORE_VERSION);
    char built[32];
    snprintf(built, sizeof built, "%d.%d.%d", MFA_CORE_VERSION_MAJOR, MFA_CORE_VERSION_MINOR,
             MFA_CORE_VERSION_PATCH);
    STREQ(built, MFA_CORE_VERSION);

    const struct { mfa_status status; const char *text; int http; } table[] = {
        {MFA_OK, "ok", 200},
        {MFA_ERR_INVALID_INPUT, "invalid_input", 400},
        {MFA_ERR_UNAUTHENTICATED, "unauthenticated", 401},
        {MFA_ERR_FORBIDDEN, "forbidden", 403},
        {MFA_ERR_NOT_FOUND, "not_found", 404},
        {MFA_ERR_MFA_NOT_ENABLED, "mfa_not_enabled", 400},
        {MFA_ERR_CONFLICT, "conflict", 409},
        {MFA_ERR_INVALID_CODE, "invalid_code", 401},
        {MFA_ERR_RATE_LIMITED, "rate_limited", 429},
        {MFA_ERR_STORAGE, "storage", 503},
        {MFA_ERR_INTERNAL, "internal", 500},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK((int)table[i].status == (int)i); /* stable values 0..10 */
        STREQ(mfa_status_str(table[i].status), table[i].text);
        CHECK(mfa_status_http(table[i].status) == table[i].http);
    }
    STREQ(mfa_status_str(11), "unknown");
    STREQ(mfa_status_str(-1), "unknown");
    CHECK(mfa_status_http(99) == 500);
}

static void last_error_is_set_by_failures_and_cleared_by_successes(void) {
    mfa_core *core = open_at(":memory:", T0);
    mfa_user user;
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_get_user(core, "not-a-uuid", &user));
    const char *message = mfa_last_error_message();
    CHECK(message != NULL && strstr(message, "user") != NULL);
    CHECK(mfa_last_error_retry_after() == 0);

    char *problem = mfa_last_error_problem_details();
    CHECK(problem != NULL);
    CHECK(strstr(problem, "\"status\":400") != NULL);
    CHECK(strstr(problem, "\"code\":\"invalid_input\"") != NULL);
    mfa_string_free(problem);

    int64_t now;
    OK(mfa_now(core, &now));
    CHECK(mfa_last_error_message() == NULL);
    CHECK(mfa_last_error_problem_details() == NULL);
    mfa_core_close(core);
}

int main(void) {
    RUN(open_and_close_in_memory);
    RUN(open_refuses_bad_arguments);
    RUN(a_file_keeps_its_key_and_refuses_what_is_not_a_store);
    RUN(store_files_info_and_creation);
    RUN(rotating_the_key);
    RUN(null_handles_and_frees);
    RUN(versions_and_status_text);
    RUN(last_error_is_set_by_failures_and_cleared_by_successes);
    return 0;
}
