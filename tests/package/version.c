/* Prints the C library's versions: the header's macros and mfa_version() at run time. */
#include <stdio.h>

#include "mfa_core.h"

int main(void) {
    printf("MFA_CORE_VERSION=%s\nMFA_VERSION_NUMBER=%ld\nmfa_version()=%s\n", MFA_CORE_VERSION,
           (long)MFA_VERSION_NUMBER, mfa_version());
    return 0;
}
