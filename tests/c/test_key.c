/* Loading the key from a key file: raw and hex files give the same key and open the same store;
 * a bad length, non-hex text or a file other users can read is refused; a store made by
 * `mfa-admin init --generate-key` (the binary named by $MFA_ADMIN) opens with its key file. */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static const char HEX[] = "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f\n";

static char dir[] = "/tmp/mfa-c-key-XXXXXX";

/* Writes `len` bytes to `dir/name` with `mode` and returns the path (static buffer per name). */
static const char *key_file(const char *name, const void *bytes, size_t len, mode_t mode) {
    static char paths[8][128];
    static int used = 0;
    CHECK(used < 8);
    char *path = paths[used++];
    snprintf(path, 128, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(bytes, 1, len, f) == len);
    CHECK(fclose(f) == 0);
    CHECK(chmod(path, mode) == 0);
    return path;
}

static void raw_and_hex_files_give_the_same_key(void) {
    uint8_t raw[32], hex[32];
    OK(mfa_key_load_file(key_file("raw.key", KEY, sizeof KEY, 0600), raw));
    OK(mfa_key_load_file(key_file("hex.key", HEX, strlen(HEX), 0400), hex));
    CHECK(memcmp(raw, KEY, 32) == 0);
    CHECK(memcmp(hex, KEY, 32) == 0);
    CHECK(MFA_KEY_LEN == 32);

    /* A store made with the raw file's key opens with the hex file's. */
    char store[128];
    snprintf(store, sizeof store, "%s/store.db", dir);
    mfa_core *core = NULL;
    OK(mfa_core_open(store, raw, MFA_KEY_LEN, NULL, &core));
    mfa_org org;
    OK(mfa_create_org(core, "Acme", NULL, &org));
    mfa_core_close(core);
    core = NULL;
    OK(mfa_core_open(store, hex, MFA_KEY_LEN, NULL, &core));
    mfa_org again;
    OK(mfa_get_org(core, org.id, &again));
    STREQ(again.name, "Acme");
    mfa_core_close(core);
}

static void bad_files_are_invalid_input_and_leave_the_buffer(void) {
    uint8_t out[32];
    memset(out, 0xAA, sizeof out);
    const char *short_file = key_file("short.key", KEY, 31, 0600);
    const char *not_hex = key_file("nothex.key", "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 64, 0600);
    const char *open_file = key_file("open.key", KEY, sizeof KEY, 0644);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_key_load_file(short_file, out));
    CHECK(strstr(mfa_last_error_message(), "32 raw bytes or 64 hex digits") != NULL);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_key_load_file(not_hex, out));
    CHECK(strstr(mfa_last_error_message(), "zz01") == NULL);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_key_load_file(open_file, out));
    CHECK(strstr(mfa_last_error_message(), "UNPROTECTED KEY FILE") != NULL);
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_key_load_file("/nonexistent/mfa.key", out));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_key_load_file(NULL, out));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_key_load_file(BAD_UTF8, out));
    EXPECT(MFA_ERR_INVALID_INPUT, mfa_key_load_file(short_file, NULL));
    for (size_t i = 0; i < sizeof out; i++) CHECK(out[i] == 0xAA);
}

static void a_store_made_by_mfa_admin_opens_with_its_key_file(void) {
    const char *admin = getenv("MFA_ADMIN");
    if (admin == NULL) FAIL("set MFA_ADMIN to the mfa-admin binary (scripts/test-c.sh does)");
    char store[128], key[128], cmd[512];
    snprintf(store, sizeof store, "%s/admin.db", dir);
    snprintf(key, sizeof key, "%s/admin.key", dir);
    snprintf(cmd, sizeof cmd,
             "env -u MFA_CORE_KEY \"%s\" init --db \"%s\" --key-file \"%s\" --generate-key >/dev/null", admin,
             store, key);
    CHECK(system(cmd) == 0);
    uint8_t bytes[32];
    OK(mfa_key_load_file(key, bytes));
    mfa_open_options options;
    mfa_open_options_init(&options);
    options.create_if_missing = false;
    mfa_core *core = NULL;
    OK(mfa_core_open(store, bytes, sizeof bytes, &options, &core));
    mfa_core_close(core);
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL);
    RUN(raw_and_hex_files_give_the_same_key);
    RUN(bad_files_are_invalid_input_and_leave_the_buffer);
    RUN(a_store_made_by_mfa_admin_opens_with_its_key_file);
    return 0;
}
