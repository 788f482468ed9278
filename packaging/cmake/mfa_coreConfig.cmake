# CMake package configuration of mfa-core's C library: `find_package(mfa_core)`.
#
# Targets:
#   mfa_core::mfa_core         the shared library (libmfa_core.so, SONAME libmfa_core.so.0)
#   mfa_core::mfa_core_static  the static library (libmfa_core.a) with its system libraries
# Both carry the include directory of mfa_core.h. The package is relocatable: paths are found
# from where this file lies (PREFIX/lib/cmake/mfa_core/).

include(CMakeFindDependencyMacro)
find_dependency(Threads)

get_filename_component(_mfa_core_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET mfa_core::mfa_core)
    add_library(mfa_core::mfa_core SHARED IMPORTED)
    set_target_properties(mfa_core::mfa_core PROPERTIES
        IMPORTED_LOCATION "${_mfa_core_prefix}/lib/libmfa_core.so.@VERSION@"
        IMPORTED_SONAME "libmfa_core.so.@SOVERSION@"
        INTERFACE_INCLUDE_DIRECTORIES "${_mfa_core_prefix}/include")
endif()

if(NOT TARGET mfa_core::mfa_core_static)
    add_library(mfa_core::mfa_core_static STATIC IMPORTED)
    set_target_properties(mfa_core::mfa_core_static PROPERTIES
        IMPORTED_LOCATION "${_mfa_core_prefix}/lib/libmfa_core.a"
        IMPORTED_LINK_INTERFACE_LANGUAGES "C"
        INTERFACE_INCLUDE_DIRECTORIES "${_mfa_core_prefix}/include"
        INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m;rt;util")
endif()

unset(_mfa_core_prefix)
