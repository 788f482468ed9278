# Version check of `find_package(mfa_core X.Y.Z)`: this package is @VERSION@. From 1.0 a newer
# release of the same major version is compatible; before 1.0 each minor version may break the
# ABI, so the major and minor versions must both match.

set(PACKAGE_VERSION "@VERSION@")

if(NOT PACKAGE_FIND_VERSION)
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif(NOT PACKAGE_FIND_VERSION_MAJOR EQUAL "@MAJOR@")
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif("@MAJOR@" EQUAL 0 AND NOT PACKAGE_FIND_VERSION_MINOR EQUAL "@MINOR@")
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
    if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
        set(PACKAGE_VERSION_EXACT TRUE)
    endif()
endif()

# A 64-bit library cannot serve a 32-bit build.
if(CMAKE_SIZEOF_VOID_P AND NOT CMAKE_SIZEOF_VOID_P EQUAL 8)
    set(PACKAGE_VERSION "${PACKAGE_VERSION} (64bit)")
    set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
