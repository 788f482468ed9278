/*
 * A host that uses the system's SQLite itself and links mfa-core's static library, which
 * bundles its own (newer) SQLite. Each must keep its own: the host's sqlite3_* calls go to the
 * system library (the version its header names), while mfa-core keeps working on its copy.
 * Usage: sqlite_host STORE_PATH. Exits 0 and prints "ok" when both hold.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "mfa_core.h"

static int fail(const char *what) {
    fprintf(stderr, "sqlite_host: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) return fail("usage: sqlite_host STORE_PATH");

    /* The host's own SQLite calls reach the library its header describes. */
    printf("host sqlite %s (header %s), mfa_core %s\n", sqlite3_libversion(), SQLITE_VERSION,
           mfa_version());
    if (strcmp(sqlite3_libversion(), SQLITE_VERSION) != 0 ||
        sqlite3_libversion_number() != SQLITE_VERSION_NUMBER)
        return fail("the host's sqlite3_libversion() is not the system SQLite's");

    /* mfa-core works on its own SQLite: a store with an org and a verified audit trail. */
    static const uint8_t key[32] = {7};
    mfa_core *core = NULL;
    if (mfa_core_open(argv[1], key, sizeof key, NULL, &core) != MFA_OK) return fail(mfa_last_error_message());
    mfa_org org;
    if (mfa_create_org(core, "Acme", NULL, &org) != MFA_OK) return fail(mfa_last_error_message());
    mfa_audit_report report;
    if (mfa_verify_audit(core, NULL, &report) != MFA_OK || !report.ok || report.checked != 1)
        return fail("mfa-core's audit trail does not verify");
    mfa_core_close(core);

    /* And the system SQLite reads the same file through the host's own calls. */
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return fail("sqlite3_open_v2");
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT sqlite_version(), count(*) FROM sqlite_schema", -1, &stmt, NULL) !=
            SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW)
        return fail(sqlite3_errmsg(db));
    const char *version = (const char *)sqlite3_column_text(stmt, 0);
    int objects = sqlite3_column_int(stmt, 1);
    printf("system sqlite %s sees %d schema objects in the store\n", version, objects);
    if (strcmp(version, SQLITE_VERSION) != 0 || objects < 1) return fail("the system SQLite did not read the store");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    puts("ok");
    return 0;
}
